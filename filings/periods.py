"""Insured periods (자격 이력): what the agencies accepted, and only that.

`period_apply_accepted` is called inside the transaction that records an agency's acceptance:
an accepted acquisition opens a period, an accepted loss closes it, an accepted cancellation of
an acquisition removes the period it opened. Filing, a rejection, a failure or a pending answer
never touches a period. Applying the same acceptance twice changes nothing.
"""

from __future__ import annotations

from datetime import date

from filings.models import InsuredPeriod, ReportKind, Submission


def period_apply_accepted(*, submission: Submission) -> None:
    report = submission.report
    employee_id = report.employee_id
    if employee_id is None:
        return  # workplace reports insure nobody
    if submission.action == Submission.Action.CANCEL:
        if report.kind == ReportKind.HIRE:
            _acquisition_cancelled(submission)
        return
    if report.kind == ReportKind.HIRE:
        InsuredPeriod.objects.get_or_create(
            employee_id=employee_id,
            agency=submission.agency,
            acquired_on=report.event_date,
            defaults={
                "workplace_id": report.workplace_id,
                "report": report,
                "acquired_by": submission,
                "source": InsuredPeriod.Source.FILED,
            },
        )
    elif report.kind == ReportKind.EXIT:
        _close(submission, employee_id=employee_id, lost_on=report.event_date)


def _close(submission: Submission, *, employee_id: int, lost_on: date) -> None:
    """The loss date ends the period open on it (acquired on or before it)."""
    open_period = (
        InsuredPeriod.objects.filter(
            employee_id=employee_id,
            agency=submission.agency,
            lost_on__isnull=True,
            acquired_on__lte=lost_on,
        )
        .order_by("-acquired_on")
        .first()
    )
    if open_period is not None:
        InsuredPeriod.objects.filter(pk=open_period.pk).update(lost_on=lost_on, lost_by=submission)


def _acquisition_cancelled(cancel: Submission) -> None:
    """The agency took back the acquisition: the period it opened never existed."""
    original = Submission.objects.filter(
        report_id=cancel.report_id, agency=cancel.agency, action=Submission.Action.FILE
    ).first()
    if original is not None:
        InsuredPeriod.objects.filter(acquired_by=original).delete()


def periods_of(*, employee_id: int) -> list[InsuredPeriod]:
    return list(
        InsuredPeriod.objects.filter(employee_id=employee_id).order_by("acquired_on", "agency")
    )
