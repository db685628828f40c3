"""Submission writers: send, poll, retry, sweep. Called by thin Celery tasks with ids only.

Celery delivers at least once (a task can run again after a worker dies mid-send), so:
- a task claims its submission with a conditional UPDATE (one winner, a lease for crashed owners);
- before a send the row is marked `uncertain` (committed), and any later attempt on an uncertain
  row first asks the agency by our reference, and only re-sends if the agency never saw it;
- every write after the exchange is fenced on our claim, so a slow owner cannot overwrite a new one.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.base import Filing, Receipt, Result
from agencies.registry import adapter_for
from agencies.transport import Exchange, PermanentError, TransientError, Transport
from filings.models import (
    ReportEvent,
    Submission,
    SubmissionAttempt,
    SubmissionStatus,
)
from filings.status import report_status_refresh
from portal.outbox import outbox_enqueue, task_publish
from portal.services import audit_record, employee_rrn_decrypt

logger = logging.getLogger(__name__)
SEND_TASK = "filings.tasks.submission_send"
POLL_TASK = "filings.tasks.submission_poll"

_transport: Transport | None = None


def transport() -> Transport:
    global _transport
    if _transport is None:
        _transport = Transport()
    return _transport


def _cfg(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def lease_seconds() -> float:
    return _cfg("SUBMISSION_LEASE_SECONDS", 60)


def filing_for(submission: Submission) -> Filing:
    """The adapter's input, built at send time; the plain number exists only in this object."""
    report = submission.report
    wp = report.workplace
    person = None
    if report.employee_id:
        employee = report.employee
        person = {
            "name": employee.name,
            "rrn": employee_rrn_decrypt(employee=employee),
            "nationality": employee.nationality,
            "visa": employee.visa,
            "birth_date": employee.birth_date.isoformat(),
        }
    original_receipt = None
    kind = report.kind
    if submission.action == Submission.Action.CANCEL:
        kind = "hire_cancel"
        original_receipt = (
            Submission.objects.filter(
                report_id=report.pk, agency=submission.agency, action=Submission.Action.FILE
            )
            .values_list("receipt_number", flat=True)
            .first()
        )
    return Filing(
        reference=str(submission.reference),
        kind=kind,
        workplace={
            "management_number": wp.management_number,
            "business_registration_number": wp.business_registration_number,
            "name": wp.name,
            "address": wp.address,
            "representative": wp.representative_name,
            "industry_code": wp.industry_code,
            "headcount": wp.headcount,
        },
        person=person,
        data=dict(report.data),
        original_receipt_number=original_receipt,
    )


def _attempt_store(
    submission: Submission, kind: str, exchange: Exchange | None, outcome: str, error: str = ""
) -> None:
    if exchange is None:
        SubmissionAttempt.objects.create(
            submission=submission, kind=kind, outcome=outcome, error=error
        )
        return
    SubmissionAttempt.objects.create(
        submission=submission,
        kind=kind,
        duration_ms=exchange.duration_ms,
        method=exchange.method,
        url=exchange.url[:500],
        request_body=exchange.request_body,
        status_code=exchange.status_code,
        response_body=exchange.response_body,
        error=(exchange.error or error)[:5000],
        outcome=outcome,
    )


def _event(submission: Submission, status: str, message: str) -> None:
    ReportEvent.objects.create(
        report_id=submission.report_id,
        submission=submission,
        agency=submission.agency,
        status=status,
        message=message[:500],
    )


def _blocked(submission: Submission) -> bool:
    """Ordering between related messages at one agency."""
    if submission.action == Submission.Action.CANCEL:
        # Cancel only what the agency has taken in.
        original = Submission.objects.filter(
            report_id=submission.report_id, agency=submission.agency, action=Submission.Action.FILE
        ).first()
        return original is not None and original.status in (
            SubmissionStatus.QUEUED,
            SubmissionStatus.SENDING,
        )
    report = submission.report
    if report.supersedes_id:
        # A corrected hire waits for the old acquisition's cancellation at the same agency.
        return (
            Submission.objects.filter(
                report_id=report.supersedes_id,
                agency=submission.agency,
                action=Submission.Action.CANCEL,
            )
            .exclude(
                status__in=[
                    SubmissionStatus.ACCEPTED,
                    SubmissionStatus.REJECTED,
                    SubmissionStatus.FAILED,
                    SubmissionStatus.CANCELLED,
                    SubmissionStatus.MANUAL,
                ]
            )
            .exists()
        )
    return False


def submission_send(*, submission_id: int) -> str:
    """Claim and send one submission (or find out what happened to an uncertain earlier send)."""
    now = timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    claimable = Q(status=SubmissionStatus.QUEUED) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1))
    )
    claimable |= Q(status=SubmissionStatus.SENDING, claimed_at__lt=stale)
    won = Submission.objects.filter(claimable, pk=submission_id).update(
        status=SubmissionStatus.SENDING, claimed_at=now
    )
    if not won:
        return "not_claimed"
    sub = Submission.objects.select_related("report__workplace", "report__employee").get(
        pk=submission_id
    )
    mine = Submission.objects.filter(pk=sub.pk, status=SubmissionStatus.SENDING, claimed_at=now)
    if _blocked(sub):
        mine.update(status=SubmissionStatus.QUEUED, next_attempt_at=now + timedelta(seconds=2))
        _schedule(sub.pk, 2)
        return "waiting"
    adapter = adapter_for(sub.agency)
    if sub.uncertain:
        try:
            found = adapter.query(str(sub.reference), transport=transport())
        except TransientError as exc:
            _attempt_store(sub, "query", exc.exchange, "transient", str(exc))
            return _retry_later(sub, mine, str(exc))
        result = found.value
        assert result is not None
        _attempt_store(sub, "query", found, "found" if result.status != "unknown" else "unknown")
        if result.status != "unknown":
            return _apply_result(sub, mine, result, via="query")
    mine.update(uncertain=True, attempts_count=sub.attempts_count + 1)
    sub.attempts_count += 1
    try:
        exchange = adapter.submit(filing_for(sub), transport=transport())
    except PermanentError as exc:
        _attempt_store(sub, "send", exc.exchange, "permanent", str(exc))
        message = f"{exc.code} {exc.message}".strip()
        done = mine.update(
            status=SubmissionStatus.REJECTED,
            uncertain=False,
            result_code=exc.code[:16],
            result_message=message[:500],
            decided_at=timezone.now(),
        )
        if done:
            _event(sub, "rejected", f"반려: {message}")
            report_status_refresh(report_id=sub.report_id)
        return "rejected"
    except TransientError as exc:
        _attempt_store(sub, "send", exc.exchange, "transient", str(exc))
        if not exc.maybe_delivered:
            mine.update(uncertain=False)
        return _retry_later(sub, mine, str(exc))
    receipt = exchange.value
    assert receipt is not None
    _attempt_store(sub, "send", exchange, receipt.status)
    return _apply_result(sub, mine, receipt, via="send")


def _apply_result(sub: Submission, mine, answer: Receipt | Result, *, via: str) -> str:  # type: ignore[no-untyped-def]
    now = timezone.now()
    status = answer.status
    fields = {
        "uncertain": False,
        "receipt_number": answer.receipt_number[:64] or sub.receipt_number,
    }
    if status == "accepted":
        fields |= {
            "status": SubmissionStatus.ACCEPTED,
            "decided_at": now,
            "result_code": answer.result_code[:16],
            "result_message": answer.result_message[:500],
        }
    elif status == "rejected":
        fields |= {
            "status": SubmissionStatus.REJECTED,
            "decided_at": now,
            "result_code": answer.result_code[:16],
            "result_message": answer.result_message[:500],
        }
    else:
        fields |= {"status": SubmissionStatus.RECEIVED, "last_polled_at": now}
    if not mine.update(**fields):
        return "fenced"
    if via != "poll" and fields["receipt_number"]:
        found = " (조회로 확인)" if via == "query" else ""
        _event(sub, "received", f"접수번호 {fields['receipt_number']}{found}")
    if status == "accepted":
        _event(sub, "accepted", answer.result_message or "처리완료")
    elif status == "rejected":
        _event(sub, "rejected", f"반려: {answer.result_code} {answer.result_message}".strip())
    report_status_refresh(report_id=sub.report_id)
    return status


def backoff_seconds(attempt: int) -> float:
    base = _cfg("SUBMISSION_RETRY_BASE_SECONDS", 2)
    cap = _cfg("SUBMISSION_RETRY_CAP_SECONDS", 3600)
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    # "Equal jitter": never zero, never a synchronized herd.
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _retry_later(sub: Submission, mine, error: str) -> str:  # type: ignore[no-untyped-def]
    max_attempts = int(_cfg("SUBMISSION_MAX_ATTEMPTS", 12))
    if sub.attempts_count >= max_attempts:
        if mine.update(status=SubmissionStatus.FAILED, decided_at=timezone.now()):
            _event(
                sub,
                "failed",
                f"{sub.attempts_count}회 전송에 실패했습니다. 운영자가 확인합니다. ({error[:200]})",
            )
            report_status_refresh(report_id=sub.report_id)
        return "failed"
    delay = backoff_seconds(sub.attempts_count)
    if mine.update(
        status=SubmissionStatus.QUEUED, next_attempt_at=timezone.now() + timedelta(seconds=delay)
    ):
        _event(sub, "retrying", f"일시 오류로 {delay:.0f}초 뒤 다시 보냅니다. ({error[:200]})")
        _schedule(sub.pk, delay)
    return "retry"


def _schedule(submission_id: int, delay: float) -> None:
    # Short waits ride a countdown; long ones wait in the database for the sweeper, because
    # Redis redelivers ETA tasks past the visibility timeout (reliability notes A4).
    if delay <= _cfg("SUBMISSION_COUNTDOWN_MAX_SECONDS", 120):
        task_publish(task=SEND_TASK, args=[submission_id], countdown=delay)


def submission_poll(*, submission_id: int) -> str:
    """Ask the agency for the result of a received submission."""
    now = timezone.now()
    interval = _cfg("RESULT_POLL_INTERVAL_SECONDS", 5)
    won = Submission.objects.filter(
        Q(last_polled_at__isnull=True)
        | Q(last_polled_at__lte=now - timedelta(seconds=interval * 0.8)),
        pk=submission_id,
        status=SubmissionStatus.RECEIVED,
    ).update(last_polled_at=now)
    if not won:
        return "not_claimed"
    sub = Submission.objects.get(pk=submission_id)
    try:
        found = adapter_for(sub.agency).query(str(sub.reference), transport=transport())
    except TransientError as exc:
        _attempt_store(sub, "query", exc.exchange, "transient", str(exc))
        return "retry"
    result = found.value
    assert result is not None
    if result.status in ("received",):
        return "pending"  # not stored: polling an undecided report is not worth a row each time
    _attempt_store(sub, "query", found, result.status)
    mine = Submission.objects.filter(pk=sub.pk, status=SubmissionStatus.RECEIVED)
    if result.status == "unknown":
        # The agency lost it: send again (as an uncertain row, so the send asks first).
        if mine.update(status=SubmissionStatus.QUEUED, uncertain=True, next_attempt_at=None):
            _event(sub, "retrying", "기관에서 접수 내역을 찾지 못해 다시 보냅니다.")
            task_publish(task=SEND_TASK, args=[sub.pk])
        return "resend"
    return _apply_result(sub, mine, result, via="poll")


def submissions_due(*, limit: int = 1000) -> list[int]:
    """Submissions whose task may have been lost: queued and due, or claimed by a dead worker."""
    now = timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    lost_after = now - timedelta(seconds=_cfg("SUBMISSION_LOST_AFTER_SECONDS", 30))
    return list(
        Submission.objects.filter(
            Q(status=SubmissionStatus.QUEUED, next_attempt_at__lte=now)
            | Q(
                status=SubmissionStatus.QUEUED,
                next_attempt_at__isnull=True,
                updated_at__lt=lost_after,
            )
            | Q(status=SubmissionStatus.SENDING, claimed_at__lt=stale)
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def submissions_to_poll(*, limit: int = 1000) -> list[int]:
    now = timezone.now()
    interval = _cfg("RESULT_POLL_INTERVAL_SECONDS", 5)
    return list(
        Submission.objects.filter(
            Q(last_polled_at__isnull=True)
            | Q(last_polled_at__lte=now - timedelta(seconds=interval)),
            status=SubmissionStatus.RECEIVED,
        )
        .order_by("last_polled_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def submission_retry(*, actor, submission: Submission, ip: str | None = None) -> bool:  # type: ignore[no-untyped-def]
    """Operator action: give a failed submission a fresh retry budget."""
    with transaction.atomic():
        done = Submission.objects.filter(
            pk=submission.pk, status__in=[SubmissionStatus.FAILED, SubmissionStatus.MANUAL]
        ).update(
            status=SubmissionStatus.QUEUED, attempts_count=0, next_attempt_at=None, uncertain=True
        )
        if done:
            _event(submission, "queued", "운영자가 재전송을 요청했습니다.")
            audit_record(actor=actor, action="submission.retry", obj=submission, ip=ip)
            outbox_enqueue(task=SEND_TASK, args=[submission.pk])
    report_status_refresh(report_id=submission.report_id)
    return bool(done)


def submission_mark_manual(*, actor, submission: Submission, ip: str | None = None) -> bool:  # type: ignore[no-untyped-def]
    """Operator action: take a submission out of automatic handling."""
    with transaction.atomic():
        done = (
            Submission.objects.filter(pk=submission.pk)
            .exclude(status__in=[SubmissionStatus.ACCEPTED, SubmissionStatus.CANCELLED])
            .update(status=SubmissionStatus.MANUAL, decided_at=timezone.now())
        )
        if done:
            _event(submission, "manual", "운영자가 수동 처리로 전환했습니다.")
            audit_record(actor=actor, action="submission.manual", obj=submission, ip=ip)
    report_status_refresh(report_id=submission.report_id)
    return bool(done)
