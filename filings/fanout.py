"""The fan-out's fast path: a fresh report's submissions claimed, sent and recorded together.

This is the hot loop of the product (every report goes through it once), so it talks to
PostgreSQL in plain SQL: one statement claims the rows and reads everything the messages need,
one statement stores all the answers (attempts, fenced row updates, timeline) and reads back the
reports' submissions for their derived status, which one more statement stores where it changed.
The guarantees are those of `delivery.submission_send`:

- each row is claimed by a conditional UPDATE and marked `uncertain` in that same commit, so a
  worker killed after the claim leaves rows that the next try first looks up at the agency;
- every write after the exchange is fenced on our claim (status 'sending' and our claimed_at);
- rows that need the careful path (uncertain, cancellations, corrections waiting on ordering, not
  yet due) are not claimed here and go through `delivery.submission_send` one by one; so do
  failed sends, which need retry scheduling or a rejection record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from agencies.base import Filing, Receipt
from agencies.transport import AgencyError, Exchange
from filings import delivery
from filings.models import Submission, SubmissionStatus
from filings.status import ReportState, report_status_derive
from filings.webhooks import LIVE_ENDPOINT_SQL

# Only plain first sends of reports that correct nothing: everything else has ordering rules.
# attempts_count is not raised here: as in the careful path, it counts exchanges we recorded.
_CLAIM = """
WITH claimed AS (
    UPDATE filings_submission s
       SET status = 'sending', claimed_at = %(now)s, uncertain = true, updated_at = %(now)s
      FROM filings_report r
     WHERE s.id = ANY(%(ids)s::bigint[]) AND r.id = s.report_id AND r.supersedes_id IS NULL
       AND s.action = 'file' AND s.status = 'queued' AND NOT s.uncertain
       AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= %(due)s)
    RETURNING s.id, s.reference, s.agency, s.attempts_count, s.receipt_number, s.report_id
)
SELECT c.id, c.reference, c.agency, c.attempts_count, c.receipt_number, c.report_id,
       r.kind, r.data, r.workplace_id,
       w.management_number, w.business_registration_number, w.name, w.address,
       w.representative_name, w.industry_code, w.headcount,
       p.id, p.name, p.rrn_encrypted, p.nationality, p.visa, p.birth_date,
       EXISTS (SELECT 1 FROM filings_webhookendpoint e WHERE {listening}) AS listening
  FROM claimed c
  JOIN filings_report r ON r.id = c.report_id
  JOIN portal_workplace w ON w.id = r.workplace_id
  LEFT JOIN portal_employee p ON p.id = r.employee_id
 ORDER BY c.id
""".replace("{listening}", LIVE_ENDPOINT_SQL.replace("{wp}", "r.workplace_id"))

# Lock the reports first (the same order as report_status_refresh and report_cancel), so the
# status read afterwards, in a later statement with a fresh snapshot, sees every commit before us.
_RECORD = """
SELECT 1 FROM filings_report WHERE id = ANY(%(report_ids)s::bigint[]) ORDER BY id FOR UPDATE;
WITH attempts AS (
    INSERT INTO filings_submissionattempt
        (submission_id, kind, started_at, duration_ms, method, url, request_body, status_code,
         response_body, error, outcome)
    SELECT a.sub, 'send', a.started, a.duration, a.method, a.url, a.request, a.code,
           a.response, '', a.outcome
      FROM unnest(%(a_sub)s::bigint[], %(a_started)s::timestamptz[], %(a_duration)s::int[],
                  %(a_method)s::text[], %(a_url)s::text[], %(a_request)s::text[],
                  %(a_code)s::int[], %(a_response)s::text[], %(a_outcome)s::text[])
           AS a(sub, started, duration, method, url, request, code, response, outcome)
), won AS (
    UPDATE filings_submission s
       SET status = v.status, uncertain = false, attempts_count = v.attempts,
           receipt_number = v.receipt,
           result_code = COALESCE(v.code, s.result_code),
           result_message = COALESCE(v.message, s.result_message),
           decided_at = COALESCE(v.decided, s.decided_at),
           last_polled_at = COALESCE(v.polled, s.last_polled_at),
           updated_at = %(now)s
      FROM unnest(%(u_id)s::bigint[], %(u_status)s::text[], %(u_attempts)s::int[],
                  %(u_receipt)s::text[], %(u_code)s::text[], %(u_message)s::text[],
                  %(u_decided)s::timestamptz[], %(u_polled)s::timestamptz[])
           AS v(id, status, attempts, receipt, code, message, decided, polled)
     WHERE s.id = v.id AND s.status = 'sending' AND s.claimed_at = %(claimed_at)s
    RETURNING s.id, s.status
), events AS (
    INSERT INTO filings_reportevent (report_id, submission_id, at, agency, status, message)
    SELECT e.report, e.sub, %(now)s, e.agency, e.status, e.message
      FROM unnest(%(e_report)s::bigint[], %(e_sub)s::bigint[], %(e_agency)s::text[],
                  %(e_status)s::text[], %(e_message)s::text[])
           AS e(report, sub, agency, status, message)
     WHERE e.sub IN (SELECT id FROM won)
)
-- Each report's submissions as they stand after this statement, for its derived status: this
-- statement's own writes are not visible to it, so the rows we won show their new status.
SELECT s.id, won.id IS NOT NULL, r.id, r.status, r.cancelled_at, s.action,
       COALESCE(won.status, s.status)
  FROM filings_submission s
  JOIN filings_report r ON r.id = s.report_id
  LEFT JOIN won ON won.id = s.id
 WHERE s.report_id = ANY(%(report_ids)s::bigint[])
"""


class _WorkplaceRow(NamedTuple):
    management_number: str
    business_registration_number: str
    name: str
    address: str
    representative_name: str
    industry_code: str
    headcount: int


class _EmployeeRow(NamedTuple):
    name: str
    rrn_encrypted: bytes
    nationality: str
    visa: str
    birth_date: date


@dataclass
class Claimed:
    """A claimed row and what its message needs (the plain RRN lives only in `filing`)."""

    pk: int
    agency: str
    attempts_count: int
    receipt_number: str
    report_id: int
    listening: bool
    filing: Filing


def submissions_send(*, submission_ids: list[int]) -> dict[int, str]:
    """Send a report's fresh submissions together; the others take the careful path."""
    if connection.vendor != "postgresql":
        # The statements below are PostgreSQL's; the embedded SQLite mode sends one by one.
        return {sid: delivery.submission_send(submission_id=sid) for sid in submission_ids}
    now = timezone.now()
    claimed = _claim(submission_ids, now)
    taken = {c.pk for c in claimed}
    outcomes = {
        sid: delivery.submission_send(submission_id=sid)
        for sid in submission_ids
        if sid not in taken
    }
    # The agencies answer independently: send in parallel, record in this thread.
    results = list(delivery.senders().map(lambda c: delivery.exchange(c.agency, c.filing), claimed))
    answered: list[tuple[Claimed, Exchange[Receipt]]] = []
    for row, result in zip(claimed, results, strict=True):
        row.attempts_count += 1
        if isinstance(result, AgencyError):
            outcomes[row.pk] = _failed(row, result, claimed_at=now)
        else:
            answered.append((row, result))
    outcomes |= _record(answered, claimed_at=now)
    return outcomes


def _claim(submission_ids: list[int], now: datetime) -> list[Claimed]:
    params = {
        "now": now,
        "ids": list(submission_ids),
        "due": now + timedelta(seconds=1),
        "today": timezone.localdate(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        rows = cursor.fetchall()
    people: dict[int, dict[str, Any]] = {}
    claimed = []
    for row in rows:
        (pk, reference, agency, attempts, receipt, report_id, kind, data, _wp_id) = row[:9]
        employee_id = row[16]
        if employee_id is not None and employee_id not in people:
            # Decrypted once per report, not once per agency.
            people[employee_id] = delivery.person_block(_EmployeeRow(*row[17:22]))
        filing = Filing(
            reference=str(reference),
            kind=kind,
            workplace=delivery.workplace_block(_WorkplaceRow(*row[9:16])),
            person=people.get(employee_id) if employee_id is not None else None,
            data=json.loads(data) if isinstance(data, str) else dict(data or {}),
        )
        claimed.append(Claimed(pk, agency, attempts, receipt, report_id, bool(row[22]), filing))
    return claimed


def _failed(row: Claimed, exc: AgencyError, *, claimed_at: datetime) -> str:
    """A failed send needs a rejection record or a retry schedule: the careful path's code."""
    sub = Submission.objects.get(pk=row.pk)
    sub.attempts_count = row.attempts_count
    mine = Submission.objects.filter(
        pk=row.pk, status=SubmissionStatus.SENDING, claimed_at=claimed_at
    )
    return delivery.send_failed(sub, mine, exc)


def _record(
    answered: list[tuple[Claimed, Exchange[Receipt]]], *, claimed_at: datetime
) -> dict[int, str]:
    if not answered:
        return {}
    now = timezone.now()
    attempts, updates, events = [], [], []
    changes: dict[int, tuple[str, list[str]]] = {}
    for row, exchange in answered:
        receipt = exchange.value
        assert receipt is not None
        started = now - timedelta(milliseconds=exchange.duration_ms)
        attempts.append(
            (row.pk, started, exchange.duration_ms, exchange.method, exchange.url[:500])
            + (exchange.request_body, exchange.status_code, exchange.response_body, receipt.status)
        )
        fields, timeline = delivery.result_changes(row, receipt, via="send")
        updates.append(
            (row.pk, fields["status"], fields["attempts_count"], fields["receipt_number"])
            + tuple(fields.get(f) for f in ("result_code", "result_message"))
            + tuple(fields.get(f) for f in ("decided_at", "last_polled_at"))
        )
        events += [(row.report_id, row.pk, row.agency, st, msg[:500]) for st, msg in timeline]
        changes[row.pk] = (fields["status"], [st for st, _ in timeline])
    p: dict[str, Any] = {"now": now, "claimed_at": claimed_at}
    p |= _columns("a_", _ATTEMPT_COLUMNS, attempts)
    p |= _columns("u_", _UPDATE_COLUMNS, updates)
    p |= _columns("e_", _EVENT_COLUMNS, events)
    report_ids = sorted({row.report_id for row, _ in answered})
    p["report_ids"] = report_ids
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_RECORD, p)
            rows = cursor.fetchall()
            won = {row[0] for row in rows if row[1]}
            _reports_refresh(cursor, [row[2:] for row in rows])
        for row, _ in answered:
            status, event_statuses = changes[row.pk]
            if row.pk in won and (row.listening or {"rejected", "failed"} & set(event_statuses)):
                delivery.announce(Submission.objects.get(pk=row.pk), status, event_statuses)
    return {
        row.pk: (exchange.value.status if row.pk in won and exchange.value else "fenced")
        for row, exchange in answered
    }


_ATTEMPT_COLUMNS = ("sub", "started", "duration", "method", "url", "request")
_ATTEMPT_COLUMNS += ("code", "response", "outcome")
_UPDATE_COLUMNS = ("id", "status", "attempts", "receipt", "code", "message", "decided", "polled")
_EVENT_COLUMNS = ("report", "sub", "agency", "status", "message")


def _columns(prefix: str, names: tuple[str, ...], rows: list[tuple]) -> dict[str, list]:
    """Rows to one list per column: each becomes an array parameter for unnest()."""
    columns: list[list] = [[] for _ in names]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return {prefix + name: column for name, column in zip(names, columns, strict=True)}


def _reports_refresh(cursor: Any, rows: list[tuple]) -> None:
    """Store each report's derived status where it changed (the reports are locked)."""
    reports: dict[int, tuple[ReportState, list[tuple[str, str]]]] = {}
    for report_id, status, cancelled_at, action, sub_status in rows:
        state, statuses = reports.setdefault(report_id, (ReportState(status, cancelled_at), []))
        statuses.append((action, sub_status))
    changed = [
        (report_id, new)
        for report_id, (state, statuses) in reports.items()
        if (new := report_status_derive(report=state, statuses=statuses)) != state.status
    ]
    if changed:
        cursor.execute(
            "UPDATE filings_report r SET status = v.status, updated_at = %s"
            "  FROM unnest(%s::bigint[], %s::text[]) AS v(id, status) WHERE r.id = v.id",
            [timezone.now(), [c[0] for c in changed], [c[1] for c in changed]],
        )
