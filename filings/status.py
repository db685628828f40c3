"""A report's status is derived from its submissions; one function keeps the stored copy right."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from filings.models import FINAL_STATUSES, Report, ReportStatus, Submission, SubmissionStatus


def report_status_derive(*, report: Report, statuses: list[tuple[str, str]]) -> str:
    """statuses: (action, status) for each submission of the report.

    A cancelled or corrected report reads 취소됨 / 정정됨 only once every agency that held it
    accepted the cancellation; a refused cancellation leaves the report in force there, which
    shows as a rejection to act on.
    """
    filed = [status for action, status in statuses if action == Submission.Action.FILE]
    cancels = [status for action, status in statuses if action == Submission.Action.CANCEL]
    if report.cancelled_at is not None or report.corrected_at is not None:
        if any(s in _REFUSED for s in cancels):
            return ReportStatus.REJECTED
        if any(s not in FINAL_STATUSES for s in cancels):
            return ReportStatus.IN_PROGRESS
        if report.corrected_at is not None:
            return ReportStatus.SUPERSEDED
        return ReportStatus.CANCELLED
    if not filed:
        return ReportStatus.NOT_REQUIRED
    # A row settled without being sent (a revision whose original stayed in force) is not owed.
    owed = [s for s in filed if s != SubmissionStatus.CANCELLED]
    if not owed:
        return ReportStatus.CANCELLED
    if SubmissionStatus.REJECTED in owed:
        return ReportStatus.REJECTED
    if SubmissionStatus.FAILED in owed:
        return ReportStatus.FAILED
    if all(s in (SubmissionStatus.ACCEPTED, SubmissionStatus.MANUAL) for s in owed):
        return ReportStatus.COMPLETED
    return ReportStatus.IN_PROGRESS


_REFUSED = (SubmissionStatus.REJECTED, SubmissionStatus.FAILED)


def reports_lock(*, report_ids: Iterable[int]) -> list[Report]:
    """Lock the reports in id order (the one lock order of every writer) and read what their
    derived status needs, and their workplace (whose webhooks hear of the change)."""
    return list(
        Report.objects.select_for_update()
        .filter(pk__in=sorted(set(report_ids)))
        .order_by("pk")
        .only("pk", "workplace_id", "status", "cancelled_at", "corrected_at")
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
    changed: dict[str, list[int]] = {}
    for report in reports:
        status = report_status_derive(report=report, statuses=statuses[report.pk])
        if status != report.status:
            changed.setdefault(status, []).append(report.pk)
            report.status = status
    # One UPDATE per new status, not per report (a 4insure result file settles thousands).
    for status, ids in changed.items():
        Report.objects.filter(pk__in=ids).update(status=status)


def report_status_refresh(*, report_id: int) -> str:
    # No savepoint when nested: callers roll back as a whole anyway, and it saves two round trips.
    with transaction.atomic(savepoint=False):
        reports = reports_lock(report_ids=[report_id])
        if not reports:
            raise Report.DoesNotExist(f"report {report_id}")
        reports_status_store(reports=reports)
        return reports[0].status
