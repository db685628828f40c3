"""Thin Celery tasks: ids in, one service call. Safe to run twice (services claim their work)."""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(name="notifications.tasks.deadlines_scan")
def deadlines_scan() -> int:
    """Beat: deadline, rejection and delegation alerts due now (each sent once)."""
    return services.deadlines_scan()


@shared_task(name="notifications.tasks.digest_send")
def digest_send() -> int:
    """Beat, once a day: one summary mail per payroll agent."""
    return services.digest_send()


@shared_task(name="notifications.tasks.alert_email_send", acks_late=True)
def alert_email_send(delivery_id: int) -> bool:
    return services.alert_email_send(delivery_id=delivery_id)


@shared_task(name="notifications.tasks.digest_email_send", acks_late=True)
def digest_email_send(digest_id: int) -> bool:
    return services.digest_email_send(digest_id=digest_id)


@shared_task(name="notifications.tasks.submission_alerts_send", acks_late=True)
def submission_alerts_send(submission_ids: list[int]) -> int:
    return services.submission_alerts_deliver(submission_ids=submission_ids)


@shared_task(name="notifications.tasks.discrepancy_alerts_send", acks_late=True)
def discrepancy_alerts_send(discrepancy_ids: list[int]) -> int:
    return services.discrepancy_alerts_deliver(discrepancy_ids=discrepancy_ids)


@shared_task(name="notifications.tasks.daily_work_check")
def daily_work_check() -> int:
    """Beat, daily: daily workers whose month calls for an NPS/NHIS acquisition."""
    return services.daily_work_check()
