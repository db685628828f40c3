"""Insured periods (자격 이력): what the agencies accepted, and only that.

`periods_apply_accepted` is called inside the transaction that records an agency's acceptance:
an accepted acquisition opens a period, an accepted loss closes it, an accepted cancellation of
an acquisition removes the period it opened. Filing, a rejection, a failure or a pending answer
never touches a period. Applying the same acceptance twice changes nothing.
"""

from __future__ import annotations

from datetime import date

from filings.models import InsuredPeriod, ReportKind, Submission
from portal.models import Employee


def periods_apply_accepted(*, submissions: list[Submission]) -> None:
    """Apply a batch of acceptances: acquisitions in one INSERT, each loss and cancellation in
    one statement of its own; then, once per person who lost a period, whether they count as
    lost here."""
    opened = []
    losing: dict[int, tuple[date, date | None]] = {}
    for submission in submissions:
        report = submission.report
        if report.employee_id is None:
            continue  # workplace reports insure nobody
        if submission.action == Submission.Action.CANCEL:
            if report.kind == ReportKind.HIRE:
                _acquisition_cancelled(submission)
                losing[report.employee_id] = (report.event_date, None)
        elif report.kind == ReportKind.HIRE:
            opened.append(
                InsuredPeriod(
                    employee_id=report.employee_id,
                    workplace_id=report.workplace_id,
                    agency=submission.agency,
                    acquired_on=report.event_date,
                    report=report,
                    acquired_by=submission,
                    source=InsuredPeriod.Source.FILED,
                )
            )
        elif report.kind == ReportKind.EXIT:
            _close(submission, employee_id=report.employee_id, lost_on=report.event_date)
            last_day = report.data.get("last_working_day")
            losing[report.employee_id] = (
                report.event_date,
                date.fromisoformat(last_day) if last_day else None,
            )
    # An acquisition accepted twice (a resend found by query) opens its period once.
    InsuredPeriod.objects.bulk_create(opened, ignore_conflicts=True)
    for employee_id, (on, last_day) in losing.items():
        _employee_lost_if_insured_nowhere(employee_id=employee_id, on=on, last_day=last_day)


def _employee_lost_if_insured_nowhere(*, employee_id: int, on: date, last_day: date | None) -> None:
    """The person counts as lost here once no agency holds them insured any more."""
    if InsuredPeriod.objects.filter(employee_id=employee_id, lost_on__isnull=True).exists():
        return
    Employee.objects.filter(pk=employee_id, loss_date__isnull=True).update(
        loss_date=on, last_working_day=last_day
    )


def _close(submission: Submission, *, employee_id: int, lost_on: date) -> None:
    """The loss date ends the period open on it (acquired on or before it)."""
    InsuredPeriod.objects.filter(
        employee_id=employee_id,
        agency=submission.agency,
        lost_on__isnull=True,
        acquired_on__lte=lost_on,
    ).update(lost_on=lost_on, lost_by=submission)


def _acquisition_cancelled(cancel: Submission) -> None:
    """The agency took back the acquisition: the period it opened never existed."""
    InsuredPeriod.objects.filter(
        acquired_by__report_id=cancel.report_id,
        acquired_by__agency=cancel.agency,
        acquired_by__action=Submission.Action.FILE,
    ).delete()


def periods_of(*, employee_id: int) -> list[InsuredPeriod]:
    return list(
        InsuredPeriod.objects.filter(employee_id=employee_id).order_by("acquired_on", "agency")
    )
