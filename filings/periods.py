"""Insured periods (자격 이력): what the agencies accepted, and only that.

`periods_apply_accepted` is called inside the transaction that records an agency's acceptance:
an accepted acquisition opens a period, an accepted loss closes it, an accepted cancellation of
an acquisition removes the period it opened and an accepted cancellation of a loss reopens the
period it closed. Filing, a rejection, a failure or a pending answer never touches a period.
Applying the same acceptance twice changes nothing.

`Employee.loss_date` is a summary of the periods kept here, in the same transaction: set when an
accepted loss or cancellation leaves the person insured at no agency, cleared when an agency
takes them (back) in. `Employee.monthly_wage`, which bills read, likewise changes only when an
agency accepts a pay change (or its cancellation).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple, Protocol

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from agencies.base import AgencyAdapter
from agencies.registry import adapter_for
from filings.consistency import discrepancies_check_later
from filings.models import (
    InsuredPeriod,
    Report,
    ReportKind,
    Submission,
    SubmissionStatus,
    id_list,
)
from filings.signals import bill_inputs_changed
from portal.models import Employee


class Accepted(Protocol):
    """What periods read of an accepted submission (a model or a lighter row); the rest comes
    from its report, read here."""

    @property
    def pk(self) -> int: ...
    @property
    def report_id(self) -> int: ...
    @property
    def agency(self) -> str: ...
    @property
    def action(self) -> str: ...


class _Facts(NamedTuple):
    """What an accepted answer's report says about the period, and its person's summary."""

    workplace_id: int
    employee_id: int | None
    kind: str
    event_date: date
    data: dict[str, Any]
    birth_date: date | None
    loss_date: date | None


def _facts_of(report_ids: Iterable[int]) -> dict[int, _Facts]:
    rows = Report.objects.filter(pk__in=id_list(sorted(set(report_ids)))).values_list(
        "pk",
        "workplace_id",
        "employee_id",
        "kind",
        "event_date",
        "data",
        "employee__birth_date",
        "employee__loss_date",
    )
    return {pk: _Facts(*facts) for pk, *facts in rows}


def periods_apply_accepted(*, submissions: Sequence[Accepted]) -> None:
    """Apply a batch of acceptances: acquisitions in one INSERT, each loss and cancellation in
    one statement of its own; then, once per person, what their periods now say. The reports
    are read here, in one query, whatever the caller has loaded."""
    if not submissions:
        return
    facts = _facts_of(s.report_id for s in submissions)
    opened = _Opened()
    losing: dict[int, tuple[date, date | None]] = {}
    insured_again: set[int] = set()
    changed: dict[int, date] = {}  # workplace -> first day whose bill this batch changes
    wages: dict[int, int] = {}
    wage_withdrawn: set[int] = set()
    for submission in submissions:
        report = facts[submission.report_id]
        employee_id = report.employee_id
        if employee_id is None:
            continue  # workplace reports insure nobody
        # A loss changes the month holding the day before it (§5.2), so start a day early.
        since = report.event_date - timedelta(days=1)
        if since < changed.get(report.workplace_id, date.max):
            changed[report.workplace_id] = since
        cancel = submission.action == Submission.Action.CANCEL
        if cancel and report.kind == ReportKind.HIRE:
            _acquisition_cancelled(submission)
            if not report.data.get("employee_id"):  # an added acquisition ends no employment
                losing[employee_id] = (report.event_date, None)
        elif cancel and report.kind == ReportKind.EXIT:
            _loss_cancelled(submission)
            insured_again.add(employee_id)
        elif not cancel and report.kind == ReportKind.HIRE:
            opened.add(submission, report, employee_id)
            if report.loss_date is not None:
                insured_again.add(employee_id)  # only a lost person needs the UPDATE
        elif report.kind == ReportKind.PAY_CHANGE and cancel:
            wage_withdrawn.add(employee_id)
        elif report.kind == ReportKind.PAY_CHANGE:
            wages[employee_id] = int(report.data["monthly_wage"])
        elif not cancel and report.kind == ReportKind.EXIT:
            _close(submission, report, employee_id=employee_id)
            last_day = report.data.get("last_working_day")
            losing[employee_id] = (
                report.event_date,
                date.fromisoformat(last_day) if last_day else None,
            )
    opened.insert()
    for employee_id, (on, last_day) in losing.items():
        if employee_id not in insured_again:
            _employee_lost_if_insured_nowhere(employee_id=employee_id, on=on, last_day=last_day)
    if insured_again:
        _employees_insured(employee_ids=insured_again)
    for employee_id in wage_withdrawn - set(wages):
        wages[employee_id] = _wage_in_force(employee_id=employee_id)
    for employee_id, wage in wages.items():
        Employee.objects.filter(pk=employee_id).update(monthly_wage=wage)
    for workplace_id, since in changed.items():
        bill_inputs_changed.send(sender=InsuredPeriod, workplace_ids={workplace_id}, since=since)
    # Pay changes too: every accepted answer may settle or open a cross-agency discrepancy.
    discrepancies_check_later(employee_ids=[f.employee_id for f in facts.values()])


def _wage_in_force(*, employee_id: int) -> int:
    """After a pay change was withdrawn: the latest pay change still standing at an agency,
    else the wage the person was hired on."""
    standing = (
        Submission.objects.filter(
            report__employee_id=employee_id,
            report__kind__in=[ReportKind.PAY_CHANGE, ReportKind.HIRE],
            report__cancelled_at__isnull=True,
            action=Submission.Action.FILE,
            status=SubmissionStatus.ACCEPTED,
        )
        .order_by("-report__event_date", "-report_id")
        .values_list("report__data", flat=True)
        .first()
    )
    if standing is not None:
        return int(standing["monthly_wage"])
    wage = Employee.objects.filter(pk=employee_id).values_list("monthly_wage", flat=True).get()
    return int(wage)


class _Opened:
    """The periods accepted acquisitions open, written in one INSERT whose rows go as one JSON
    parameter (as filings.delivery._events_insert): a model object per period cost more than
    the insert."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.adapters: dict[str, AgencyAdapter] = {}

    def add(self, submission: Accepted, report: _Facts, employee_id: int) -> None:
        adapter = self.adapters.get(submission.agency)
        if adapter is None:
            adapter = self.adapters[submission.agency] = adapter_for(submission.agency)
        assert report.birth_date is not None  # a person report's employee
        code = adapter.acquisition_code_for(data=report.data, birth_date=report.birth_date)
        self.rows.append(
            {
                "e": employee_id,
                "w": report.workplace_id,
                "a": submission.agency,
                "d": report.event_date.isoformat(),
                "c": code,
                "s": submission.pk,
            }
        )

    def insert(self) -> None:
        if not self.rows:
            return
        now = timezone.now()
        # An acquisition accepted twice (a resend found by query) opens its period once.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {InsuredPeriod._meta.db_table} "  # noqa: S608  (our table name)
                "(employee_id, workplace_id, agency, acquired_on, acquisition_code,"
                " acquired_by_id, lost_on, loss_code, lost_by_id, source, created_at, updated_at)"
                " SELECT e, w, a, d, c, s, NULL, '', NULL, %s, %s, %s"
                " FROM json_to_recordset(%s::json)"
                " AS t(e bigint, w bigint, a text, d date, c text, s bigint)"
                " ON CONFLICT DO NOTHING",
                [InsuredPeriod.Source.FILED, now, now, json.dumps(self.rows)],
            )


def _employee_lost_if_insured_nowhere(*, employee_id: int, on: date, last_day: date | None) -> None:
    """The person counts as lost here once no agency holds them insured any more."""
    if InsuredPeriod.objects.filter(employee_id=employee_id, lost_on__isnull=True).exists():
        return
    Employee.objects.filter(pk=employee_id, loss_date__isnull=True).update(
        loss_date=on, last_working_day=last_day
    )


def _employees_insured(*, employee_ids: set[int]) -> None:
    """Insured at an agency again: no longer lost here. Not while the same person is employed
    here under a newer record (a rehire), whom the workplace's one-active rule protects."""
    newer = Employee.objects.filter(
        workplace_id=OuterRef("workplace_id"),
        rrn_index=OuterRef("rrn_index"),
        loss_date__isnull=True,
    ).exclude(pk=OuterRef("pk"))
    Employee.objects.filter(pk__in=employee_ids, loss_date__isnull=False).exclude(
        Exists(newer)
    ).update(loss_date=None, last_working_day=None)


def _close(submission: Accepted, report: _Facts, *, employee_id: int) -> None:
    """The loss date ends the period open on it (acquired on or before it)."""
    InsuredPeriod.objects.filter(
        employee_id=employee_id,
        agency=submission.agency,
        lost_on__isnull=True,
        acquired_on__lte=report.event_date,
    ).update(
        lost_on=report.event_date,
        lost_by_id=submission.pk,
        loss_code=_loss_code(submission, report),
    )


def _loss_code(submission: Accepted, report: _Facts) -> str:
    reason = str(report.data.get("reason_code") or "")
    try:
        return adapter_for(submission.agency).loss_code(reason)
    except (KeyError, ValueError):
        return ""


def _acquisition_cancelled(cancel: Accepted) -> None:
    """The agency took back the acquisition: the period it opened never existed."""
    InsuredPeriod.objects.filter(
        acquired_by__report_id=cancel.report_id,
        acquired_by__agency=cancel.agency,
        acquired_by__action=Submission.Action.FILE,
    ).delete()


def _loss_cancelled(cancel: Accepted) -> None:
    """상실취소 accepted: the period the loss closed is open again."""
    InsuredPeriod.objects.filter(
        lost_by__report_id=cancel.report_id,
        lost_by__agency=cancel.agency,
        lost_by__action=Submission.Action.FILE,
    ).update(lost_on=None, lost_by=None, loss_code="")


def periods_of(*, employee_id: int) -> list[InsuredPeriod]:
    return list(
        InsuredPeriod.objects.filter(employee_id=employee_id)
        .select_related("acquired_by")
        .order_by("acquired_on", "agency")
    )


def periods_import(
    *, workplace_id: int, periods: dict[int, list[tuple[str, date, date | None]]]
) -> int:
    """History an employer imported for staff insured before the portal (filings.history):
    employee id -> [(agency, acquired on, lost on or None)], written with source "imported" and
    no report. The caller checked that none overlaps a period already here; a clash raises and
    rolls the import back. Someone whose every period has ended counts as lost on the last loss
    date, as after an accepted loss."""
    rows = [
        InsuredPeriod(
            employee_id=employee_id,
            workplace_id=workplace_id,
            agency=agency,
            acquired_on=acquired_on,
            lost_on=lost_on,
            source=InsuredPeriod.Source.IMPORTED,
        )
        for employee_id, items in periods.items()
        for agency, acquired_on, lost_on in items
    ]
    InsuredPeriod.objects.bulk_create(rows, batch_size=1000)
    for employee_id, items in periods.items():
        losses = [lost_on for _, _, lost_on in items]
        if losses and None not in losses:
            last = max(d for d in losses if d is not None)
            # The loss date is the day after the last working day (자격상실일).
            _employee_lost_if_insured_nowhere(
                employee_id=employee_id, on=last, last_day=last - timedelta(days=1)
            )
    if rows:
        # Like an accepted answer: bills from the first imported month, and the agencies
        # checked against each other (an import may hold someone at some agencies only).
        since = min(row.acquired_on for row in rows)
        bill_inputs_changed.send(sender=InsuredPeriod, workplace_ids={workplace_id}, since=since)
        discrepancies_check_later(employee_ids=list(periods))
    return len(rows)
