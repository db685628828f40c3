"""A report's status is derived from its submissions; one function keeps the stored copy right."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.db import transaction

from filings.models import Report, ReportStatus, Submission, SubmissionStatus


class ReportState(NamedTuple):
    """The two report columns the derivation reads, for callers that hold no Report object."""

    status: str
    cancelled_at: datetime | None


def report_status_derive(*, report: Report | ReportState, statuses: list[tuple[str, str]]) -> str:
    """statuses: (action, status) for each submission of the report."""
    if report.status == ReportStatus.SUPERSEDED:
        return ReportStatus.SUPERSEDED
    if report.cancelled_at is not None:
        return ReportStatus.CANCELLED
    filed = [status for action, status in statuses if action == Submission.Action.FILE]
    if not filed:
        return ReportStatus.NOT_REQUIRED
    if SubmissionStatus.REJECTED in filed:
        return ReportStatus.REJECTED
    if SubmissionStatus.FAILED in filed:
        return ReportStatus.FAILED
    if all(s in (SubmissionStatus.ACCEPTED, SubmissionStatus.MANUAL) for s in filed):
        return ReportStatus.COMPLETED
    return ReportStatus.IN_PROGRESS


def report_status_refresh(*, report_id: int) -> str:
    # No savepoint when nested: callers roll back as a whole anyway, and it saves two round trips.
    with transaction.atomic(savepoint=False):
        report = Report.objects.select_for_update().get(pk=report_id)
        statuses = list(report.submissions.values_list("action", "status"))
        status = report_status_derive(report=report, statuses=statuses)
        if status != report.status:
            Report.objects.filter(pk=report_id).update(status=status)
        return status
