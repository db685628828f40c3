"""Submission writers: send, poll, retry, sweep. Called by thin Celery tasks with ids only.

Celery delivers at least once (a task can run again after a worker dies mid-send), so:
- a task claims its submission with a conditional UPDATE (one winner, a lease for crashed owners);
- before a send the row is marked `uncertain` (committed), and any later attempt on an uncertain
  row first asks the agency by our reference, and only re-sends if the agency never saw it;
- every write after the exchange is fenced on our claim, so a slow owner cannot overwrite a new one.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from agencies.base import Filing, Receipt, Result
from agencies.registry import adapter_for
from agencies.transport import AgencyError, Exchange, PermanentError, TransientError, Transport
from filings.circuits import circuits_note_failures, held_q
from filings.models import (
    FINAL_STATUSES,
    ReportEvent,
    Submission,
    SubmissionAttempt,
    SubmissionStatus,
)
from filings.periods import Accepted, periods_apply_accepted
from filings.signals import submissions_refused
from filings.status import report_status_refresh, reports_lock, reports_status_store
from filings.webhooks import endpoints_for_workplace, webhook_enqueue_for_submission
from portal.models import DeliveryChannel
from portal.outbox import task_publish, task_publish_after_commit
from portal.services import audit_record, employee_rrn_decrypt

logger = logging.getLogger(__name__)
SEND_TASK = "filings.tasks.submission_send"
SEND_MANY_TASK = "filings.tasks.submissions_send"
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
    original_receipt = None
    kind = report.kind
    if submission.action == Submission.Action.CANCEL:
        kind = f"{report.kind}_cancel"
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
        workplace=workplace_block(report.workplace),
        person=person_block(report.employee) if report.employee_id else None,
        data=dict(report.data),
        original_receipt_number=original_receipt,
    )


def workplace_block(wp: Any) -> dict[str, Any]:
    """A Filing's workplace, from a Workplace."""
    return {
        "management_number": wp.management_number,
        "business_registration_number": wp.business_registration_number,
        "name": wp.name,
        "address": wp.address,
        "representative": wp.representative_name,
        "industry_code": wp.industry_code,
        "headcount": wp.headcount,
    }


def person_block(employee: Any) -> dict[str, Any]:
    """A Filing's person, from an Employee; the one place the resident number is decrypted for
    sending."""
    return {
        "name": employee.name,
        "rrn": employee_rrn_decrypt(employee=employee),
        "nationality": employee.nationality,
        "visa": employee.visa,
        "birth_date": employee.birth_date.isoformat(),
    }


def _attempt(
    submission: Submission, kind: str, exchange: Exchange | None, outcome: str, error: str = ""
) -> SubmissionAttempt:
    if exchange is None:
        return SubmissionAttempt(
            submission=submission, kind=kind, outcome=outcome, error=error[:5000]
        )
    return SubmissionAttempt(
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


def _attempt_store(
    submission: Submission, kind: str, exchange: Exchange | None, outcome: str, error: str = ""
) -> None:
    _attempt(submission, kind, exchange, outcome, error).save()


def _new_event(submission: Submission, status: str, message: str) -> ReportEvent:
    return ReportEvent(
        report_id=submission.report_id,
        submission=submission,
        agency=submission.agency,
        status=status,
        message=message[:500],
    )


def _record(
    sub: Submission,
    mine: QuerySet[Submission],  # the submission fenced on our claim
    fields: dict,
    events: list[tuple[str, str]],
    attempt: SubmissionAttempt | None = None,
) -> bool:
    """One transaction (one commit) for everything an exchange changes; fenced on our claim."""
    with transaction.atomic():
        if attempt is not None:
            attempt.save()
        if not mine.update(**fields):
            return False
        if fields.get("status") == SubmissionStatus.ACCEPTED:
            periods_apply_accepted(submissions=[sub])
        ReportEvent.objects.bulk_create([_new_event(sub, st, msg) for st, msg in events])
        report_status_refresh(report_id=sub.report_id)
        announce(sub, fields.get("status", sub.status), [st for st, _ in events])
    return True


def announce(
    sub: Answered,
    status: str,
    event_statuses: list[str],
    endpoints: list | None = None,
    *,
    refusals: list[int] | None = None,
) -> None:
    """Tell people about a status change, inside the change's transaction (outbox rows only):
    alerts for rejections and failures, and a webhook to every endpoint listening. A caller
    recording many answers passes `refusals` and announces them once (refusals_announce)."""
    if any(st in ("rejected", "failed") for st in event_statuses):
        if refusals is None:
            refusals_announce(submission_ids=[sub.pk])
        else:
            refusals.append(sub.pk)
    webhook_enqueue_for_submission(submission_id=sub.pk, status=status, endpoints=endpoints)


def refusals_announce(*, submission_ids: list[int]) -> None:
    """One signal for all the rejections and failures a transaction recorded: the receivers
    (alerts, the consistency marks) work on the set, not one statement train per row."""
    if submission_ids:
        submissions_refused.send(sender=Submission, submission_ids=submission_ids)


def _event(submission: Submission, status: str, message: str) -> None:
    with transaction.atomic():
        _new_event(submission, status, message).save()
        announce(submission, status, [status])


def _needs_ordering(submission: Submission) -> bool:
    """Only a row that never left can wait or be skipped; one that may have reached its agency
    goes on to be looked up there."""
    if submission.status != SubmissionStatus.QUEUED or submission.uncertain:
        return False
    return submission.action == Submission.Action.CANCEL or bool(submission.report.supersedes_id)


GO, WAIT, SKIP = "go", "wait", "skip"


def _gate(submission: Submission) -> tuple[str, str]:
    """Ordering between related messages at one agency: (go | wait | skip, why)."""
    if submission.action == Submission.Action.CANCEL:
        # Cancel only what the agency has taken in; a refused original leaves nothing to cancel.
        original = (
            Submission.objects.filter(
                report_id=submission.report_id,
                agency=submission.agency,
                action=Submission.Action.FILE,
            )
            .values_list("status", flat=True)
            .first()
        )
        if original in (SubmissionStatus.QUEUED, SubmissionStatus.SENDING):
            return WAIT, ""
        if original in (SubmissionStatus.REJECTED, SubmissionStatus.CANCELLED):
            return SKIP, "원 신고가 기관에서 처리되지 않아 취소 신고를 보내지 않았습니다."
        return GO, ""
    # A revision waits for the old report's cancellation at the same agency, and is sent only
    # where that cancellation was accepted: elsewhere the old report stays in force.
    superseded_id = submission.report.supersedes_id
    if superseded_id is None:
        return GO, ""
    cancel = (
        Submission.objects.filter(
            report_id=superseded_id, agency=submission.agency, action=Submission.Action.CANCEL
        )
        .values_list("status", "result_code", "result_message")
        .first()
    )
    if cancel is None:
        return GO, ""
    status, code, message = cancel
    if status not in FINAL_STATUSES:
        return WAIT, ""
    if status in (SubmissionStatus.ACCEPTED, SubmissionStatus.CANCELLED):
        return GO, ""
    why = f"{code} {message}".strip() or str(SubmissionStatus(status).label)
    return SKIP, (
        f"원 신고의 취소가 받아들여지지 않아({why}) 정정 신고를 보내지 않았습니다. "
        "이 기관에는 원 신고가 그대로 유효합니다."
    )


def _skip(submission: Submission, why: str) -> None:
    """Settle a row that must not be sent (see _gate), with its reason on the timeline."""
    with transaction.atomic():
        reports = reports_lock(report_ids=[submission.report_id])
        done = Submission.objects.filter(pk=submission.pk, status=SubmissionStatus.QUEUED).update(
            status=SubmissionStatus.CANCELLED, decided_at=timezone.now(), result_message=why
        )
        if done:
            _new_event(submission, "cancelled", why).save()
            reports_status_store(reports=reports)
            announce(submission, SubmissionStatus.CANCELLED, ["cancelled"])


def over_http() -> Q:
    """Rows this module sends and polls: not those of a workplace that files by upload file
    (filings.agency_files gathers those; they wait `queued` until the user uploads them)."""
    return ~Q(report__workplace__delivery_channel=DeliveryChannel.FILE)


def _claimable(now: datetime) -> Q:
    stale = now - timedelta(seconds=lease_seconds())
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1))
    return (over_http() & ~held_q()) & (
        (Q(status=SubmissionStatus.QUEUED) & due)
        | Q(status=SubmissionStatus.SENDING, claimed_at__lt=stale)
    )


def submission_send(*, submission_id: int) -> str:
    """Claim and send one submission (or find out what happened to an uncertain earlier send)."""
    return submissions_send(submission_ids=[submission_id])[submission_id]


@dataclass
class _Talk:
    """What one claimed row's exchange with its agency gave (HTTP only, no database)."""

    query: Exchange[Result] | None = None
    query_error: TransientError | None = None
    sent: Exchange[Receipt] | AgencyError | None = None


class Answered(Accepted, Protocol):
    """What recording an answer reads of its submission: a model (the API channel) or a lighter
    row (the file channel, whose batches run to 40,000)."""

    @property
    def status(self) -> str: ...


@dataclass
class Outcome:
    """What to record for one claimed row, in the batch's one transaction. `fields` and
    `events` are only read, so equal answers may share them."""

    sub: Answered
    result: str
    fields: dict[str, Any]
    events: list[tuple[str, str]]
    attempts: list[SubmissionAttempt] = field(default_factory=list)
    retry_in: float | None = None


def submissions_send(*, submission_ids: list[int]) -> dict[int, str]:
    """Claim, send and record a batch (a new report's submissions come as one task).

    The claim of every row is one conditional UPDATE, committed before anything leaves (and
    marking the rows uncertain); the agencies are asked in parallel; every answer is recorded
    in one transaction, each row's update fenced on our claim. A report's four submissions so
    cost two commits, not eight, and each row keeps the guarantees of the module docstring.
    """
    now = timezone.now()
    results = dict.fromkeys(submission_ids, "not_claimed")
    rows = list(
        Submission.objects.select_related("report__workplace", "report__employee")
        .filter(_claimable(now), pk__in=submission_ids)
        .order_by("pk")
    )
    ready = []
    for sub in rows:
        gate, why = _gate(sub) if _needs_ordering(sub) else (GO, "")
        if gate == WAIT:
            Submission.objects.filter(pk=sub.pk, status=SubmissionStatus.QUEUED).update(
                next_attempt_at=now + timedelta(seconds=2)
            )
            _schedule(sub.pk, 2)
            results[sub.pk] = "waiting"
        elif gate == SKIP:
            _skip(sub, why)
            results[sub.pk] = "skipped"
        else:
            ready.append(sub)
    if not ready:
        return results
    won = Submission.objects.filter(_claimable(now), pk__in=[s.pk for s in ready]).update(
        status=SubmissionStatus.SENDING, claimed_at=now, uncertain=True
    )
    if won < len(ready):  # another worker took some of them between our read and our claim
        mine = set(
            Submission.objects.filter(
                pk__in=[s.pk for s in ready], status=SubmissionStatus.SENDING, claimed_at=now
            ).values_list("pk", flat=True)
        )
        ready = [s for s in ready if s.pk in mine]
    filings = [filing_for(sub) for sub in ready]  # database reads stay on this thread
    talks = list(senders().map(_talk, ready, filings))
    outcomes = [_outcome(sub, talk) for sub, talk in zip(ready, talks, strict=True)]
    recorded = _record_many(outcomes, claimed_at=now)
    failures = {
        o.sub.agency: o.events[0][1]
        for o in outcomes
        if o.result in ("retry", "failed") and o.sub.pk in recorded
    }
    if failures:
        circuits_note_failures(failures=failures, now=now)
    for outcome in outcomes:
        results[outcome.sub.pk] = outcome.result if outcome.sub.pk in recorded else "fenced"
        if outcome.retry_in is not None and outcome.sub.pk in recorded:
            _schedule(outcome.sub.pk, outcome.retry_in)
    return results


def _talk(sub: Submission, filing: Filing) -> _Talk:
    """Runs on a sender thread: an uncertain row is first looked up by our reference, and only
    sent if the agency never saw it."""
    talk = _Talk()
    if sub.uncertain:
        try:
            talk.query = adapter_for(sub.agency).query(str(sub.reference), transport=transport())
        except TransientError as exc:
            talk.query_error = exc
            return talk
        assert talk.query.value is not None
        if talk.query.value.status != "unknown":
            return talk
    talk.sent = exchange(sub.agency, filing)
    return talk


def _outcome(sub: Submission, talk: _Talk) -> Outcome:
    if talk.query_error is not None:
        # A failed look-up is an attempt too: without counting it, an agency that is down
        # would be asked again at the first backoff step forever, never reaching the cap.
        sub.attempts_count += 1
        exc = talk.query_error
        attempt = _attempt(sub, "query", exc.exchange, "transient", str(exc))
        return _retry_later(sub, str(exc), [attempt])
    attempts: list[SubmissionAttempt] = []
    if talk.query is not None:
        found = talk.query.value
        assert found is not None
        if found.status != "unknown":
            fields, events = result_changes(sub, found, via="query")
            attempt = _attempt(sub, "query", talk.query, "found")
            return Outcome(sub, found.status, fields, events, [attempt])
        attempts.append(_attempt(sub, "query", talk.query, "unknown"))
    sub.attempts_count += 1
    sent = talk.sent
    if isinstance(sent, PermanentError):
        message = f"{sent.code} {sent.message}".strip()
        fields = {
            "status": SubmissionStatus.REJECTED,
            "uncertain": False,
            "attempts_count": sub.attempts_count,
            "result_code": sent.code[:16],
            "result_message": message[:500],
            "decided_at": timezone.now(),
        }
        attempts.append(_attempt(sub, "send", sent.exchange, "permanent", str(sent)))
        return Outcome(sub, "rejected", fields, [("rejected", f"반려: {message}")], attempts)
    if isinstance(sent, AgencyError):
        attempts.append(_attempt(sub, "send", sent.exchange, "transient", str(sent)))
        maybe = getattr(sent, "maybe_delivered", True)
        return _retry_later(sub, str(sent), attempts, uncertain=maybe)
    assert sent is not None and sent.value is not None
    receipt = sent.value
    fields, events = result_changes(sub, receipt, via="send")
    attempts.append(_attempt(sub, "send", sent, receipt.status))
    return Outcome(sub, receipt.status, fields, events, attempts)


def _update_fenced(outcomes: list[Outcome], *, claimed_at: datetime) -> set[int]:
    """Store each outcome's fields on its row where our claim still holds; the ids stored.
    One plain UPDATE per row: measured cheaper than one UPDATE with a CASE per column."""
    recorded: set[int] = set()
    for o in outcomes:
        mine = Submission.objects.filter(
            pk=o.sub.pk, status=SubmissionStatus.SENDING, claimed_at=claimed_at
        )
        if mine.update(**o.fields):
            recorded.add(o.sub.pk)
    return recorded


def _record_many(outcomes: list[Outcome], *, claimed_at: datetime) -> set[int]:
    """One transaction for the whole batch; returns the ids whose update our claim still held.
    Attempts are stored either way: they happened."""
    return outcomes_record(outcomes, store=lambda os: _update_fenced(os, claimed_at=claimed_at))


def outcomes_record(
    outcomes: list[Outcome], *, store: Callable[[list[Outcome]], set[int]]
) -> set[int]:
    """Record agencies' answers, whatever the channel that brought them, in one transaction:
    `store` writes each row's fields where the caller's fence holds and returns those ids; then
    periods, the timeline, the reports' status, alerts and webhooks follow for those rows."""
    with transaction.atomic():
        # Reports first, in id order, as every writer locks them.
        reports = reports_lock(report_ids=[o.sub.report_id for o in outcomes])
        SubmissionAttempt.objects.bulk_create([a for o in outcomes for a in o.attempts])
        recorded = store(outcomes)
        done = [o for o in outcomes if o.sub.pk in recorded]
        periods_apply_accepted(
            submissions=[o.sub for o in done if o.fields.get("status") == SubmissionStatus.ACCEPTED]
        )
        _events_insert([(o.sub, st, msg) for o in done for st, msg in o.events])
        reports_status_store(reports=reports)
        workplace_of = {report.pk: report.workplace_id for report in reports}
        endpoints: dict[int, list[Any]] = {}
        refusals: list[int] = []
        for o in done:
            workplace_id = workplace_of[o.sub.report_id]
            if workplace_id not in endpoints:
                endpoints[workplace_id] = endpoints_for_workplace(workplace_id)
            status = o.fields.get("status", o.sub.status)
            announce(
                o.sub,
                status,
                [st for st, _ in o.events],
                endpoints[workplace_id],
                refusals=refusals,
            )
        refusals_announce(submission_ids=refusals)
    return recorded


def _events_insert(events: Sequence[tuple[Answered, str, str]]) -> None:
    """The timeline entries of recorded answers in one INSERT, not a model object each: the rows
    go as one JSON parameter (json_to_recordset; psycopg2 would send lists as ARRAY[...] with an
    expression per element for the server to parse). They share one time; their ids follow the
    order given, which orders the timeline within that time."""
    if not events:
        return
    rows = [
        {"n": n, "r": sub.report_id, "s": sub.pk, "a": sub.agency, "st": status, "m": message[:500]}
        for n, (sub, status, message) in enumerate(events)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ReportEvent._meta.db_table} "  # noqa: S608  (our table name)
            "(report_id, submission_id, agency, status, message, at)"
            " SELECT r, s, a, st, m, %s FROM json_to_recordset(%s::json)"
            " AS t(n int, r bigint, s bigint, a text, st text, m text) ORDER BY n",
            [timezone.now(), json.dumps(rows, ensure_ascii=False)],
        )


class Answerable(Protocol):
    """What `result_changes` reads of a submission."""

    @property
    def attempts_count(self) -> int: ...
    @property
    def receipt_number(self) -> str: ...


def result_changes(
    sub: Answerable, answer: Receipt | Result, *, via: str
) -> tuple[dict, list[tuple[str, str]]]:
    """The row fields and timeline entries an agency's answer implies."""
    now = timezone.now()
    status = answer.status
    fields: dict = {
        "uncertain": False,
        "attempts_count": sub.attempts_count,
        "receipt_number": answer.receipt_number[:64] or sub.receipt_number,
    }
    decided = {
        "decided_at": now,
        "result_code": answer.result_code[:16],
        "result_message": answer.result_message[:500],
    }
    if status == "accepted":
        fields |= {"status": SubmissionStatus.ACCEPTED, **decided}
    elif status == "rejected":
        fields |= {"status": SubmissionStatus.REJECTED, **decided}
    else:
        fields |= {"status": SubmissionStatus.RECEIVED, "last_polled_at": now}
    # The receipt is news unless it came earlier ("poll": the row is already received).
    note = ""
    if via != "poll" and fields["receipt_number"]:
        if getattr(sub, "received_at", None) is None:  # the first receipt is the filing date
            fields["received_at"] = now
        found = " (조회로 확인)" if via == "query" else ""
        note = f"접수번호 {fields['receipt_number']}{found}"
    # One timeline entry per thing that happened: a decision that came with its receipt says
    # both; a receipt alone is its own entry.
    events: list[tuple[str, str]] = []
    if status == "accepted":
        events.append(("accepted", _with_note(answer.result_message or "처리완료", note)))
    elif status == "rejected":
        decision = f"반려: {answer.result_code} {answer.result_message}".strip()
        events.append(("rejected", _with_note(decision, note)))
    elif note:
        events.append(("received", note))
    return fields, events


def _with_note(text: str, note: str) -> str:
    return f"{text} ({note})" if note else text


def _apply_result(
    sub: Submission,
    mine: QuerySet[Submission],  # the submission fenced on our claim
    answer: Receipt | Result,
    *,
    via: str,
    attempt: SubmissionAttempt | None = None,
) -> str:
    fields, events = result_changes(sub, answer, via=via)
    if not _record(sub, mine, fields, events, attempt):
        return "fenced"
    return answer.status


_sender_pool: ThreadPoolExecutor | None = None


def senders() -> ThreadPoolExecutor:
    global _sender_pool
    if _sender_pool is None:
        _sender_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="agency-send")
    return _sender_pool


def exchange(agency: str, filing: Filing) -> Exchange | AgencyError:
    """The HTTP part only (no database), so it can run on a sender thread."""
    try:
        return adapter_for(agency).submit(filing, transport=transport())
    except AgencyError as exc:
        return exc


def backoff_seconds(attempt: int) -> float:
    base = _cfg("SUBMISSION_RETRY_BASE_SECONDS", 2)
    cap = _cfg("SUBMISSION_RETRY_CAP_SECONDS", 3600)
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    # "Equal jitter": never zero, never a synchronized herd.
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _retry_later(
    sub: Submission, error: str, attempts: list[SubmissionAttempt], *, uncertain: bool = True
) -> Outcome:
    max_attempts = int(_cfg("SUBMISSION_MAX_ATTEMPTS", 12))
    base = {"attempts_count": sub.attempts_count, "uncertain": uncertain}
    if sub.attempts_count >= max_attempts:
        message = (
            f"{sub.attempts_count}회 전송에 실패했습니다. 운영자가 확인합니다. ({error[:200]})"
        )
        fields = {**base, "status": SubmissionStatus.FAILED, "decided_at": timezone.now()}
        return Outcome(sub, "failed", fields, [("failed", message)], attempts)
    delay = backoff_seconds(sub.attempts_count)
    fields = {
        **base,
        "status": SubmissionStatus.QUEUED,
        "next_attempt_at": timezone.now() + timedelta(seconds=delay),
    }
    message = f"일시 오류로 {delay:.0f}초 뒤 다시 보냅니다. ({error[:200]})"
    return Outcome(sub, "retry", fields, [("retrying", message)], attempts, retry_in=delay)


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
    mine = Submission.objects.filter(pk=sub.pk, status=SubmissionStatus.RECEIVED)
    if result.status == "unknown":
        _attempt_store(sub, "query", found, result.status)
        # The agency lost it: send again (as an uncertain row, so the send asks first).
        if mine.update(status=SubmissionStatus.QUEUED, uncertain=True, next_attempt_at=None):
            _event(sub, "retrying", "기관에서 접수 내역을 찾지 못해 다시 보냅니다.")
            task_publish(task=SEND_TASK, args=[sub.pk])
        return "resend"
    attempt = _attempt(sub, "query", found, result.status)
    return _apply_result(sub, mine, result, via="poll", attempt=attempt)


def submissions_due(*, limit: int = 1000, backlog: int | None = 0) -> list[int]:
    """Submissions whose task may have been lost: queued and not touched for LOST_AFTER (never
    attempted, or due for a retry), or claimed by a dead worker. Each queued row returned is
    touched, so the sweeper republishes it at most once per LOST_AFTER, not on every sweep.

    `backlog`: messages waiting in the broker's queue (None: unknown). While it is longer than
    SWEEP_BACKLOG_MAX, a row never attempted is most likely still in it, waiting its turn, and
    is left alone: a copy published now would only lengthen the queue that holds it."""
    now = timezone.now()
    stale = now - timedelta(seconds=lease_seconds())
    lost_after = now - timedelta(seconds=_cfg("SUBMISSION_LOST_AFTER_SECONDS", 30))
    # A retry is published once when it falls due (then again only if lost: the embedded
    # mode has no countdowns, the sweeper is its clock); a new row only once it may be lost.
    waiting = Q(next_attempt_at__lte=now) & (
        Q(updated_at__lt=F("next_attempt_at")) | Q(updated_at__lt=lost_after)
    )
    if backlog is None or backlog <= _cfg("SWEEP_BACKLOG_MAX", 500):
        waiting |= Q(next_attempt_at__isnull=True, updated_at__lt=lost_after)
    ids = list(
        Submission.objects.filter(
            Q(status=SubmissionStatus.QUEUED) & waiting
            | Q(status=SubmissionStatus.SENDING, claimed_at__lt=stale),
            over_http(),
            ~held_q(),
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    if ids:
        Submission.objects.filter(pk__in=ids, status=SubmissionStatus.QUEUED).update(updated_at=now)
    return ids


def submissions_to_poll(*, limit: int = 1000) -> list[int]:
    now = timezone.now()
    interval = _cfg("RESULT_POLL_INTERVAL_SECONDS", 5)
    return list(
        Submission.objects.filter(
            Q(last_polled_at__isnull=True)
            | Q(last_polled_at__lte=now - timedelta(seconds=interval)),
            over_http(),
            status=SubmissionStatus.RECEIVED,
        )
        .order_by("last_polled_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def submission_retry(*, actor: User, submission: Submission, ip: str | None = None) -> bool:
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
            task_publish_after_commit(task=SEND_TASK, args=[submission.pk])
    report_status_refresh(report_id=submission.report_id)
    return bool(done)


def submission_mark_manual(*, actor: User, submission: Submission, ip: str | None = None) -> bool:
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
