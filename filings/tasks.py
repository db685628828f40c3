"""Thin Celery tasks: ids in, one service call. Safe to run twice (services claim their work)."""

from __future__ import annotations

from celery import shared_task

from filings import delivery
from filings.circuits import circuits_probe
from portal.outbox import broker_backlog, task_publish
from portal.outbox import outbox_sweep as outbox_sweep_service


@shared_task(name="filings.tasks.submission_send", acks_late=True)
def submission_send(submission_id: int) -> str:
    return delivery.submission_send(submission_id=submission_id)


@shared_task(name="filings.tasks.submissions_send", acks_late=True)
def submissions_send(submission_ids: list[int]) -> dict[int, str]:
    """A new report's submissions in one task (the fan-out); each row is still claimed alone."""
    return delivery.submissions_send(submission_ids=submission_ids)


@shared_task(name="filings.tasks.submission_poll", acks_late=True)
def submission_poll(submission_id: int) -> str:
    return delivery.submission_poll(submission_id=submission_id)


@shared_task(name="filings.tasks.outbox_sweep")
def outbox_sweep() -> int:
    """Beat: publish outbox rows never published, and re-publish submissions whose task was lost."""
    count = outbox_sweep_service()
    # An agency that answers again is closed first, so its waiting rows are due right away.
    circuits_probe(transport=delivery.transport())
    for submission_id in delivery.submissions_due(backlog=broker_backlog()):
        count += task_publish(task=delivery.SEND_TASK, args=[submission_id])
    return count


@shared_task(name="filings.tasks.results_poll")
def results_poll() -> int:
    """Beat: ask agencies for results of received submissions."""
    ids = delivery.submissions_to_poll()
    for submission_id in ids:
        task_publish(task=delivery.POLL_TASK, args=[submission_id])
    return len(ids)


@shared_task(name="filings.tasks.webhook_deliver", acks_late=True)
def webhook_deliver(delivery_id: int) -> str:
    from filings import webhooks

    return webhooks.webhook_deliver(delivery_id=delivery_id)


@shared_task(name="filings.tasks.bulk_file", acks_late=True)
def bulk_file(upload_id: int) -> str:
    from filings import bulk

    return bulk.bulk_file_run(upload_id=upload_id)


@shared_task(name="filings.tasks.api_sweep")
def api_sweep() -> int:
    """Beat: due webhook retries, stalled bulk filings, expired idempotency keys."""
    from filings import bulk, webhooks
    from filings.services import idempotency_records_purge

    count = webhooks.webhook_sweep()
    for upload_id in bulk.bulk_uploads_stalled():
        count += task_publish(task=bulk.FILE_TASK, args=[upload_id])
    idempotency_records_purge()
    return count


@shared_task(name="filings.tasks.discrepancies_check_due")
def discrepancies_check_due() -> int:
    """Beat, every few seconds: the people an answer or an import marked since the last run
    (a run given up on a lock wait leaves its marks for the next)."""
    from filings import consistency

    return consistency.discrepancies_check_due()


@shared_task(name="filings.tasks.discrepancies_check_all")
def discrepancies_check_all() -> int:
    """Beat, nightly: every person of every workplace."""
    from filings import consistency

    return consistency.discrepancies_check().opened


@shared_task(name="filings.tasks.history_sandbox_tell", acks_late=True)
def history_sandbox_tell(employee_ids: list[int], attempt: int = 0) -> str:
    """Development: tell the bundled sandbox whom an imported history insures."""
    from filings import history

    return history.history_sandbox_tell(employee_ids=employee_ids, attempt=attempt)


@shared_task(name="filings.tasks.agency_files_gather")
def agency_files_gather() -> int:
    """Beat, daily: gather the ready submissions of every file-channel workplace into batches
    (the portal's button and the API do the same on request)."""
    from filings import agency_files

    return agency_files.agency_files_gather_all()
