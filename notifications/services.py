"""Writers: the deadline scan, exactly-once alert delivery, e-mail sending, digests, drafts.

Every alert is first inserted as an AlertDelivery row under a unique key (deadline, threshold,
recipient, channel); only the process whose insert wins writes the notification or queues the
mail, in the same transaction. E-mail leaves through the outbox after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from itertools import groupby
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from agencies.registry import insurance_labels
from filings.models import (
    Discrepancy,
    Report,
    ReportKind,
    ReportStatus,
    Submission,
    SubmissionStatus,
)
from filings.selectors import daily_work_prompts
from notifications import alerts, selectors
from notifications.alerts import Alert
from notifications.models import (
    AlertDelivery,
    Channel,
    Digest,
    DraftEvent,
    Notification,
    NotificationPreference,
)
from portal.access import delegation_live_q
from portal.models import Delegation, Workplace
from portal.outbox import outbox_enqueue, outbox_enqueue_many, task_publish
from portal.services import audit_record

logger = logging.getLogger(__name__)
T = TypeVar("T")

ALERT_EMAIL_TASK = "notifications.tasks.alert_email_send"
DIGEST_EMAIL_TASK = "notifications.tasks.digest_email_send"
DISCREPANCY_ALERTS_TASK = "notifications.tasks.discrepancy_alerts_send"
SUBMISSION_ALERTS_TASK = "notifications.tasks.submission_alerts_send"
ALERT_CHUNK = 200
# Alerts about deadlines that passed longer ago than this are not started (old data, first run).
OVERDUE_WINDOW_DAYS = 30
# Rejections and failures older than this are not announced by the catch-up scan.
REJECTION_WINDOW_DAYS = 7
DELEGATION_NOTICE_DAYS = 7
# A mail claimed this long ago and still unsent is taken as lost (worker died) and sent again.
MAIL_LEASE = timedelta(minutes=10)
MAIL_RETRY_WINDOW = timedelta(days=2)


def _in_portal_language(compose: Callable[..., T]) -> Callable[..., T]:
    """Alerts go to many people from background jobs: write them in the portal's language, not
    in whatever language the calling thread last served a request in."""

    @wraps(compose)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with translation.override(settings.LANGUAGE_CODE):
            return compose(*args, **kwargs)

    return wrapper


def _board_url(workplace_id: int) -> str:
    return reverse("notifications:deadlines", args=[workplace_id])


def _claim(**fields: Any) -> AlertDelivery | None:
    """Insert-first: None when the row exists (another scan or beat process got there first)."""
    try:
        with transaction.atomic():
            return AlertDelivery.objects.create(**fields)
    except IntegrityError:
        return None


def alert_deliver(*, alert: Alert, recipients: list[selectors.Recipient]) -> int:
    """Deliver one alert to each recipient on the channels they chose; returns new deliveries."""
    created = 0
    # Skips the common case cheaply; the unique key still decides any race.
    done = set(
        AlertDelivery.objects.filter(
            deadline_key=alert.deadline_key, threshold=alert.threshold
        ).values_list("recipient_id", "channel")
    )
    for r in recipients:
        pref = selectors.preference_for(r.user)
        channels: list[str] = []
        if pref.in_portal:
            channels.append(Channel.PORTAL)
        if pref.email and r.user.email:
            use_digest = r.is_agent and pref.digest and not alert.urgent
            channels.append(Channel.DIGEST if use_digest else Channel.EMAIL)
        for channel in channels:
            if (r.user.pk, channel) in done:
                continue
            with transaction.atomic():
                delivery = _claim(
                    deadline_key=alert.deadline_key,
                    threshold=alert.threshold,
                    recipient=r.user,
                    channel=channel,
                    workplace_id=alert.workplace_id,
                    title=alert.title,
                    body=alert.body,
                    url=alert.url,
                )
                if delivery is None:
                    continue
                created += 1
                if channel == Channel.PORTAL:
                    Notification.objects.create(
                        user=r.user,
                        workplace_id=alert.workplace_id,
                        title=alert.title,
                        body=alert.body,
                        url=alert.url,
                    )
                    AlertDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
                elif channel == Channel.EMAIL:
                    outbox_enqueue(task=ALERT_EMAIL_TASK, args=[delivery.pk])
    return created


def _workplace_names(ids: set[int]) -> dict[int, str]:
    return dict(Workplace.objects.filter(pk__in=ids).values_list("pk", "name"))


@_in_portal_language
def _deadline_alerts(today: date) -> list[Alert]:
    closures = selectors.closure_dates()
    rows: list[selectors.DeadlineRow] = []
    floor = today - timedelta(days=OVERDUE_WINDOW_DAYS)
    for sub in selectors.open_submissions().filter(deadline__gte=floor):
        rows.append(selectors.submission_row(sub, today=today, closures=closures))
    for draft in selectors.open_drafts().filter(event_date__gte=floor - timedelta(days=90)):
        rows.extend(selectors.draft_rows(draft, today=today, closures=closures))
    names = _workplace_names({r.workplace_id for r in rows})
    out = []
    for row in rows:
        threshold = alerts.threshold_for(row.days_left)
        if threshold is None or row.days_left < -OVERDUE_WINDOW_DAYS:
            continue
        out.append(
            alerts.deadline_alert(
                key=row.key,
                threshold=threshold,
                workplace_id=row.workplace_id,
                workplace_name=names.get(row.workplace_id, ""),
                agency=row.agency,
                kind=row.kind,
                employee_name=row.employee_name,
                due=row.due_date,
                left=row.days_left,
                rule=row.rule,
                url=_board_url(row.workplace_id),
            )
        )
    return out


@_in_portal_language
def _rejection_alert(sub: Submission) -> Alert:
    report = sub.report
    return alerts.rejection_alert(
        key=f"submission:{sub.pk}",
        threshold=sub.status,
        workplace_id=report.workplace_id,
        workplace_name=report.workplace.name,
        agency=sub.agency,
        kind=report.kind,
        employee_name=report.employee.name if report.employee else "",
        message=sub.result_message,
        url=_board_url(report.workplace_id),
    )


_REFUSED = (SubmissionStatus.REJECTED, SubmissionStatus.FAILED)


def submission_alerts_enqueue(*, submission_ids: list[int]) -> None:
    """In the transaction that recorded the refusals: outbox rows only (a task per chunk), so a
    batch with many rejections stays one short transaction and the alerts go out right after
    it commits, never if it rolls back."""
    ids = sorted(submission_ids)
    chunks = [[ids[i : i + ALERT_CHUNK]] for i in range(0, len(ids), ALERT_CHUNK)]
    outbox_enqueue_many(task=SUBMISSION_ALERTS_TASK, args_list=chunks)


def submission_alerts_deliver(*, submission_ids: list[int]) -> int:
    """Alert that submissions were rejected or failed (others are skipped); returns the new
    deliveries. Safe to run more than once and alongside the scan's catch-up: the unique key
    sends each alert once."""
    today = timezone.localdate()
    recipients: dict[int, list[selectors.Recipient]] = {}
    created = 0
    subs = (
        Submission.objects.select_related("report", "report__workplace", "report__employee")
        .filter(pk__in=submission_ids, status__in=_REFUSED)
        .order_by("pk")
    )
    for sub in subs:
        workplace_id = sub.report.workplace_id
        if workplace_id not in recipients:
            recipients[workplace_id] = selectors.workplace_recipients(
                workplace_id=workplace_id, today=today
            )
        created += alert_deliver(alert=_rejection_alert(sub), recipients=recipients[workplace_id])
    return created


def _rejected_ids() -> list[int]:
    since = timezone.now() - timedelta(days=REJECTION_WINDOW_DAYS)
    recent = Q(decided_at__gte=since) | Q(decided_at__isnull=True, updated_at__gte=since)
    return list(
        Submission.objects.filter(recent, status__in=_REFUSED)
        .exclude(report__status__in=selectors.DEAD_REPORT_STATUSES)
        .values_list("pk", flat=True)
    )


@_in_portal_language
def _delegation_alerts(today: date) -> list[tuple[Alert, Delegation]]:
    ending = Delegation.objects.filter(
        delegation_live_q(today),
        ends_on__lte=today + timedelta(days=DELEGATION_NOTICE_DAYS),
    ).select_related("firm", "workplace")
    return [
        (
            alerts.delegation_alert(
                key=f"delegation:{d.pk}:{d.ends_on.isoformat()}",
                workplace_id=d.workplace_id,
                workplace_name=d.workplace.name,
                firm_name=d.firm.name,
                ends_on=d.ends_on,
                left=(d.ends_on - today).days,
                url=_board_url(d.workplace_id),
            ),
            d,
        )
        for d in ending
        if d.ends_on is not None
    ]


def drafts_link_filed() -> int:
    """Stop the draft clock once the matching report has been filed."""
    linked = 0
    for draft in selectors.open_drafts():
        report = selectors.draft_matching_report(draft)
        if report is not None:
            linked += DraftEvent.objects.filter(pk=draft.pk, report__isnull=True).update(
                report=report
            )
    return linked


def deadlines_scan(*, today: date | None = None) -> int:
    """Beat: every alert due today, each sent once; returns the number of new deliveries."""
    today = today or timezone.localdate()
    drafts_link_filed()
    created = 0
    recipients_cache: dict[int, list[selectors.Recipient]] = {}

    def recipients(workplace_id: int) -> list[selectors.Recipient]:
        if workplace_id not in recipients_cache:
            recipients_cache[workplace_id] = selectors.workplace_recipients(
                workplace_id=workplace_id, today=today
            )
        return recipients_cache[workplace_id]

    for alert in _deadline_alerts(today):
        created += alert_deliver(alert=alert, recipients=recipients(alert.workplace_id))
    created += submission_alerts_deliver(submission_ids=_rejected_ids())
    for alert, delegation in _delegation_alerts(today):
        created += alert_deliver(
            alert=alert, recipients=selectors.delegation_recipients(delegation=delegation)
        )
    mails_republish()
    return created


def mails_republish() -> int:
    """Re-publish mails whose send failed or whose worker died; the send itself claims them."""
    now = timezone.now()
    lost = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - MAIL_LEASE)
    window = Q(created_at__lt=now - MAIL_LEASE, created_at__gte=now - MAIL_RETRY_WINDOW)
    count = 0
    for pk in AlertDelivery.objects.filter(
        lost, window, channel=Channel.EMAIL, sent_at__isnull=True
    ).values_list("pk", flat=True):
        count += task_publish(task=ALERT_EMAIL_TASK, args=[pk])
    for pk in Digest.objects.filter(lost, window, sent_at__isnull=True).values_list(
        "pk", flat=True
    ):
        count += task_publish(task=DIGEST_EMAIL_TASK, args=[pk])
    return count


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url


def _lease(model: type[AlertDelivery] | type[Digest], pk: int, now: Any, **extra: Any) -> bool:
    lost = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - MAIL_LEASE)
    return bool(
        model.objects.filter(lost, pk=pk, sent_at__isnull=True, **extra).update(claimed_at=now)
    )


def _send(model: type[AlertDelivery] | type[Digest], pk: int, now: Any, **mail: Any) -> bool:
    try:
        send_mail(fail_silently=False, from_email=None, **mail)
    except Exception as exc:
        # Release the lease so the scan's re-publish tries again.
        logger.warning("mail for %s #%s failed", model.__name__, pk, exc_info=True)
        model.objects.filter(pk=pk, claimed_at=now).update(claimed_at=None, error=str(exc)[:500])
        return False
    model.objects.filter(pk=pk).update(sent_at=timezone.now(), error="")
    return True


def alert_email_send(*, delivery_id: int) -> bool:
    """Send one alert mail; False if already sent, being sent, or the send failed."""
    now = timezone.now()
    if not _lease(AlertDelivery, delivery_id, now, channel=Channel.EMAIL):
        return False
    d = AlertDelivery.objects.select_related("recipient").get(pk=delivery_id)
    body = render_to_string(
        "notifications/alert_email.txt", {"delivery": d, "link": _absolute(d.url)}
    )
    return _send(
        AlertDelivery,
        delivery_id,
        now,
        subject=d.title,
        message=body,
        recipient_list=[d.recipient.email],
    )


def digest_send(*, today: date | None = None) -> int:
    """Beat: gather each agent's pending alerts into one digest for the day; returns digests made."""
    today = today or timezone.localdate()
    pending = AlertDelivery.objects.filter(channel=Channel.DIGEST, digest__isnull=True)
    made = 0
    for recipient_id in (
        pending.order_by("recipient_id").values_list("recipient_id", flat=True).distinct()
    ):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    digest = Digest.objects.create(recipient_id=recipient_id, day=today)
            except IntegrityError:
                continue  # today's digest exists: the rest waits for tomorrow's
            pending.filter(recipient_id=recipient_id).update(digest=digest)
            outbox_enqueue(task=DIGEST_EMAIL_TASK, args=[digest.pk])
            made += 1
    return made


def digest_email_send(*, digest_id: int) -> bool:
    """Send one digest mail, its alerts grouped by workplace."""
    now = timezone.now()
    if not _lease(Digest, digest_id, now):
        return False
    digest = Digest.objects.select_related("recipient").get(pk=digest_id)
    items = list(
        AlertDelivery.objects.filter(digest=digest)
        .select_related("workplace")
        .order_by("workplace__name", "workplace_id", "created_at", "id")
    )
    groups = [
        {
            "workplace": wp,
            "items": [{"title": i.title, "body": i.body, "link": _absolute(i.url)} for i in group],
        }
        for wp, group in groupby(items, key=lambda i: i.workplace)
    ]
    body = render_to_string(
        "notifications/digest_email.txt", {"digest": digest, "groups": groups, "count": len(items)}
    )
    subject = f"[4대보험 신고 포털] {digest.day.isoformat()} 알림 요약 ({len(items)}건)"
    sent = _send(
        Digest,
        digest_id,
        now,
        subject=subject,
        message=body,
        recipient_list=[digest.recipient.email],
    )
    if sent:
        AlertDelivery.objects.filter(digest=digest).update(sent_at=timezone.now())
    return sent


def draft_event_create(
    *,
    actor: User,
    workplace: Workplace,
    kind: str,
    event_date: date,
    employee_name: str,
    ip: str | None = None,
) -> DraftEvent:
    """Start the clock for a hire or exit not yet filed (the caller has checked FILE access)."""
    with transaction.atomic():
        draft = DraftEvent.objects.create(
            workplace=workplace,
            kind=kind,
            event_date=event_date,
            employee_name=employee_name.strip(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="draft_event.create",
            obj=draft,
            workplace=workplace,
            ip=ip,
            data={"kind": kind, "event_date": event_date.isoformat()},
        )
    return draft


def draft_event_cancel(*, actor: User, draft: DraftEvent, ip: str | None = None) -> None:
    with transaction.atomic():
        if DraftEvent.objects.filter(pk=draft.pk, cancelled_at__isnull=True).update(
            cancelled_at=timezone.now()
        ):
            audit_record(
                actor=actor,
                action="draft_event.cancel",
                obj=draft,
                workplace=draft.workplace,
                ip=ip,
            )


def notification_mark_read(*, user: User, notification_id: int) -> Notification | None:
    """The caller's notification, now read; None when it is not theirs."""
    found = Notification.objects.filter(pk=notification_id, user=user).first()
    if found is not None and found.read_at is None:
        found.read_at = timezone.now()
        found.save(update_fields=["read_at"])
    return found


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_update(
    *, user: User, email: bool, in_portal: bool, digest: bool
) -> NotificationPreference:
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "in_portal": in_portal, "digest": digest}
    )
    return pref


@_in_portal_language
def _discrepancy_alert(d: Discrepancy) -> Alert:
    suggested = d.suggested_report or {}
    kind = str(suggested.get("kind", ""))
    fix = alerts.KIND_LABELS.get(kind, kind)
    agencies = insurance_labels()
    where = "·".join(agencies.get(a, a) for a in suggested.get("agencies", []))
    return alerts.discrepancy_alert(
        key=f"discrepancy:{d.pk}",
        workplace_id=d.workplace_id,
        workplace_name=d.workplace.name,
        employee_name=d.employee.name,
        kind_label=str(d.get_kind_display()),
        detail=d.detail,
        fix=f"{where} {fix}".strip(),
        url=reverse("portal:board"),
    )


def discrepancy_alerts_enqueue(*, discrepancy_ids: list[int]) -> None:
    """In the check's transaction: outbox rows only, so a nightly run that opens many stays short,
    and the alerts go out (from a task) only if the check commits."""
    ids = sorted(discrepancy_ids)
    # Chunks keep each task far below the task time limit on a first run that opens thousands.
    chunks = [[ids[i : i + ALERT_CHUNK]] for i in range(0, len(ids), ALERT_CHUNK)]
    outbox_enqueue_many(task=DISCREPANCY_ALERTS_TASK, args_list=chunks)


def discrepancy_alerts_deliver(*, discrepancy_ids: list[int]) -> int:
    """Alert the workplace's people (owner, HR, delegated agents) about new discrepancies, each
    once (the unique delivery key; the check marks them alerted in the same transaction)."""
    today = timezone.localdate()
    recipients: dict[int, list[selectors.Recipient]] = {}
    created = 0
    rows = (
        Discrepancy.objects.filter(pk__in=discrepancy_ids, resolved_at__isnull=True)
        .select_related("workplace", "employee")
        .order_by("pk")
    )
    for d in rows:
        if d.workplace_id not in recipients:
            recipients[d.workplace_id] = selectors.workplace_recipients(
                workplace_id=d.workplace_id, today=today
            )
        if recipients[d.workplace_id]:
            created += alert_deliver(
                alert=_discrepancy_alert(d), recipients=recipients[d.workplace_id]
            )
    return created


@_in_portal_language
def _acquisition_due_alert(report: Report, reasons: list[str]) -> Alert:
    assert report.employee is not None
    return alerts.acquisition_due_alert(
        key=f"acquisition_due:{report.pk}",
        workplace_id=report.workplace_id,
        workplace_name=report.workplace.name,
        employee_name=report.employee.name,
        month=str(report.data.get("month", "")),
        reasons=reasons,
        url=reverse("portal:report_detail", args=[report.pk]),
    )


def daily_work_check(*, today: date | None = None) -> int:
    """Beat, daily: every daily worker's 근로내용확인신고 of this month and the last, checked
    against the NPS and NHIS thresholds; where one is crossed and nothing is filed there yet,
    the workplace's people are told once per report (the delivery key)."""
    today = today or timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    reports = (
        Report.objects.filter(
            kind=ReportKind.DAILY_WORK,
            data__month__in=[f"{last_month:%Y-%m}", f"{today:%Y-%m}"],
            status__in=[ReportStatus.IN_PROGRESS, ReportStatus.COMPLETED],
            cancelled_at__isnull=True,
            corrected_at__isnull=True,
        )
        .select_related("workplace", "employee")
        .order_by("pk")
    )
    recipients: dict[int, list[selectors.Recipient]] = {}
    created = 0
    for report in reports:
        prompts = daily_work_prompts(report=report)
        if not prompts:
            continue
        if report.workplace_id not in recipients:
            recipients[report.workplace_id] = selectors.workplace_recipients(
                workplace_id=report.workplace_id, today=today
            )
        alert = _acquisition_due_alert(report, [p.reason for p in prompts])
        created += alert_deliver(alert=alert, recipients=recipients[report.workplace_id])
    return created
