"""A report's status is derived from its submissions; one function keeps the stored copy right."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple, Protocol

from django.db import transaction

from filings.models import (
    FINAL_STATUSES,
    Report,
    ReportStatus,
    Submission,
    SubmissionStatus,
    id_list,
)


class Withdrawable(Protocol):
    """What deriving a status reads of a report (a model, or a locked row below)."""

    @property
    def cancelled_at(self) -> datetime | None: ...
    @property
    def corrected_at(self) -> datetime | None: ...


class LockedReport(NamedTuple):
    pk: int
    workplace_id: int
    status: str
    cancelled_at: datetime | None
    corrected_at: datetime | None


def report_status_derive(*, report: Withdrawable, statuses: list[tuple[str, str]]) -> str:
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


def reports_lock(*, report_ids: Iterable[int]) -> list[LockedReport]:
    """Lock the reports in id order (the one lock order of every writer) and read what their
    derived status needs, and their workplace (whose webhooks hear of the change): rows, not
    models (a result file locks ten thousand)."""
    rows = (
        Report.objects.select_for_update()
        .filter(pk__in=id_list(sorted(set(report_ids))))
        .order_by("pk")
        .values_list(*LockedReport._fields)
    )
    return [LockedReport._make(row) for row in rows]


def reports_status_store(*, reports: list[LockedReport]) -> dict[int, str]:
    """Store each locked report's status as derived from its submissions, where it changed:
    one read for all of them. Returns every report's status now."""
    statuses: dict[int, list[tuple[str, str]]] = {report.pk: [] for report in reports}
    rows = Submission.objects.filter(report_id__in=id_list(statuses)).values_list(
        "report_id", "action", "status"
    )
    for report_id, action, status in rows:
        statuses[report_id].append((action, status))
    changed: dict[str, list[int]] = {}
    now: dict[int, str] = {}
    for report in reports:
        status = now[report.pk] = report_status_derive(report=report, statuses=statuses[report.pk])
        if status != report.status:
            changed.setdefault(status, []).append(report.pk)
    # One UPDATE per new status, not per report (a 4insure result file settles thousands).
    for status, ids in changed.items():
        Report.objects.filter(pk__in=id_list(ids)).update(status=status)
    return now


def report_status_refresh(*, report_id: int) -> str:
    # No savepoint when nested: callers roll back as a whole anyway, and it saves two round trips.
    with transaction.atomic(savepoint=False):
        reports = reports_lock(report_ids=[report_id])
        if not reports:
            raise Report.DoesNotExist(f"report {report_id}")
        return reports_status_store(reports=reports)[report_id]
