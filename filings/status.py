"""A report's status is derived from its submissions; one function keeps the stored copy right."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from filings.models import Report, ReportStatus, Submission, SubmissionStatus


def report_status_derive(*, report: Report, statuses: list[tuple[str, str]]) -> str:
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


def reports_lock(*, report_ids: Iterable[int]) -> list[Report]:
    """Lock the reports in id order (the one lock order of every writer) and read what their
    derived status needs."""
    return list(
        Report.objects.select_for_update()
        .filter(pk__in=sorted(set(report_ids)))
        .order_by("pk")
        .only("pk", "status", "cancelled_at")
    )


def reports_status_store(*, reports: list[Report]) -> None:
    """Store each locked report's status as derived from its submissions, where it changed:
    one read for all of them."""
    statuses: dict[int, list[tuple[str, str]]] = {report.pk: [] for report in reports}
    rows = Submission.objects.filter(report_id__in=list(statuses)).values_list(
        "report_id", "action", "status"
    )
    for report_id, action, status in rows:
        statuses[report_id].append((action, status))
    for report in reports:
        status = report_status_derive(report=report, statuses=statuses[report.pk])
        if status != report.status:
            Report.objects.filter(pk=report.pk).update(status=status)
            report.status = status


def report_status_refresh(*, report_id: int) -> str:
    # No savepoint when nested: callers roll back as a whole anyway, and it saves two round trips.
    with transaction.atomic(savepoint=False):
        reports = reports_lock(report_ids=[report_id])
        if not reports:
            raise Report.DoesNotExist(f"report {report_id}")
        reports_status_store(reports=reports)
        return reports[0].status
