"""Read paths for the portal and the API; every query is scoped through portal.access."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from agencies.registry import agency_codes, insurance_labels
from filings.daily_work import AcquisitionPrompt, acquisition_prompts
from filings.models import (
    AgencyOutage,
    InsuredPeriod,
    Report,
    ReportEvent,
    ReportKind,
    Submission,
    SubmissionStatus,
)
from filings.status import report_status_derive
from portal.access import Action, workplaces_for


def agency_order(code: str) -> int:
    """Where an agency's rows go in a report: the registry's order."""
    codes = agency_codes()
    return codes.index(code) if code in codes else len(codes)


def reports_for(user: Any, *, action: Action = Action.VIEW) -> QuerySet[Report]:
    return Report.objects.filter(workplace__in=workplaces_for(user, action=action))


def report_get_for(user: Any, report_id: int | str, *, action: Action = Action.VIEW) -> Report:
    """The report if the user may act on its workplace; 404 otherwise (no existence leak)."""
    try:
        pk = int(report_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    report = (
        reports_for(user, action=action)
        .select_related("workplace", "employee")
        .prefetch_related(
            Prefetch("submissions", queryset=Submission.objects.order_by("id")),
        )
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return report


def submission_as_dict(
    sub: Submission, outages: dict[str, AgencyOutage] | None = None
) -> dict[str, Any]:
    waiting = sub.status == SubmissionStatus.QUEUED
    outage = (outages or {}).get(sub.agency) if waiting else None
    return {
        "agency": sub.agency,
        "action": sub.action,
        "status": sub.status,
        "receipt_number": sub.receipt_number,
        "received_at": sub.received_at.isoformat() if sub.received_at else None,
        "deadline": sub.deadline.isoformat() if sub.deadline else None,
        "result_code": sub.result_code,
        "result_message": sub.result_message,
        "attempts": sub.attempts_count,
        "last_attempt_at": (
            sub.claimed_at.isoformat() if sub.claimed_at and sub.attempts_count else None
        ),
        "next_attempt_at": (
            sub.next_attempt_at.isoformat() if waiting and sub.next_attempt_at else None
        ),
        # The agency is out (circuit open): the row waits for it, spending no attempts.
        "agency_outage": outage_as_dict(outage) if outage else None,
    }


def outage_as_dict(outage: AgencyOutage) -> dict[str, Any]:
    return {
        "since": outage.opened_at.isoformat(),
        "last_attempt_at": outage.last_attempt_at.isoformat(),
        "next_attempt_at": outage.probe_at.isoformat(),
        "error": outage.last_error,
    }


def outages_current() -> dict[str, AgencyOutage]:
    """The agencies out now (open circuits, filings.circuits), by code."""
    return {o.agency: o for o in AgencyOutage.objects.all()}


def outages_for(submissions: list[Submission]) -> dict[str, AgencyOutage]:
    """The agencies out, read only when one of these rows waits to be sent (no query else)."""
    if any(s.status == SubmissionStatus.QUEUED for s in submissions):
        return outages_current()
    return {}


def report_as_dict(
    report: Report,
    *,
    with_events: bool = False,
    submissions: list[Submission] | None = None,
    with_prompts: bool = True,
) -> dict[str, Any]:
    """`submissions`: the report's rows if the caller holds all of them (e.g. just written).
    `with_prompts`: a daily_work report's acquisition prompts (a query each: not for lists)."""
    if submissions is None:
        submissions = list(report.submissions.all())
    subs = sorted(submissions, key=lambda s: (s.action != "file", agency_order(s.agency)))
    # Derived from the same rows we show, so a response never pairs a stale report status with
    # fresher submissions (the two are read by separate queries).
    status = report_status_derive(report=report, statuses=[(s.action, s.status) for s in subs])
    outages = outages_for(subs) if with_events else None
    out: dict[str, Any] = {
        "id": report.pk,
        "kind": report.kind,
        "status": status,
        "workplace_id": report.workplace_id,
        "employee_id": report.employee_id,
        "event_date": report.event_date.isoformat(),
        "revision": report.revision,
        "supersedes": report.supersedes_id,
        "filed_at": report.filed_at.isoformat(),
        "coverage": report.coverage,
        "submissions": [
            submission_as_dict(s, outages) for s in subs if s.action == Submission.Action.FILE
        ],
        "cancellations": [
            submission_as_dict(s, outages) for s in subs if s.action == Submission.Action.CANCEL
        ],
    }
    if with_prompts and report.kind == ReportKind.DAILY_WORK:
        out["acquisition_prompts"] = [asdict(p) for p in daily_work_prompts(report=report)]
    if with_events:
        events = ReportEvent.objects.filter(report=report).order_by("at", "id")
        out["events"] = [
            {"at": e.at.isoformat(), "agency": e.agency, "status": e.status, "message": e.message}
            for e in events
        ]
    return out


_REACHED = (SubmissionStatus.SENDING, SubmissionStatus.RECEIVED, SubmissionStatus.ACCEPTED)


def report_actions_possible(*, report: Report, submissions: list[Submission]) -> dict[str, bool]:
    """Which of cancel and correct can succeed now: nothing once a cancellation or correction
    was asked for; a workplace report only while no agency has it."""
    withdrawn = report.cancelled_at is not None or report.corrected_at is not None
    reached = any(
        s.action == Submission.Action.FILE and (s.status in _REACHED or s.uncertain)
        for s in submissions
    )
    person = report.kind in (ReportKind.HIRE, ReportKind.EXIT, ReportKind.PAY_CHANGE)
    return {
        "can_cancel": not withdrawn and (person or not reached),
        "can_correct": not withdrawn and report.kind != ReportKind.WORKPLACE_REGISTRATION,
    }


def report_agency_standing(
    *, report: Report, submissions: list[Submission]
) -> dict[str, tuple[str, bool]]:
    """Per agency, for a cancelled or corrected report: (what stands, whether the original is
    still in force there after the agency refused its cancellation)."""
    if report.cancelled_at is None and report.corrected_at is None:
        return {}
    cancels = {s.agency: s for s in submissions if s.action == Submission.Action.CANCEL}
    standing: dict[str, tuple[str, bool]] = {}
    for sub in submissions:
        if sub.action != Submission.Action.FILE or sub.status != SubmissionStatus.ACCEPTED:
            continue
        cancel = cancels.get(sub.agency)
        if cancel is None or not cancel.is_final:
            standing[sub.agency] = (_("취소 처리 중: 원 신고가 아직 유효합니다."), False)
        elif cancel.status == SubmissionStatus.ACCEPTED:
            standing[sub.agency] = (_("취소 완료: 원 신고는 효력이 없습니다."), False)
        else:
            words = f"{cancel.result_code} {cancel.result_message}".strip()
            text = _("원 신고가 유효합니다. 기관이 취소를 받아들이지 않았습니다: %(words)s")
            standing[sub.agency] = (text % {"words": words}, True)
    return standing


@dataclass(frozen=True)
class AgencyStanding:
    """One person's standing at one agency, as the agencies accepted it (or a filing on its way).

    state: insured | lost | pending (a filed acquisition awaits the agency's answer) | none.
    """

    agency: str
    label: str
    state: str
    acquired_on: date | None = None
    lost_on: date | None = None
    imported: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "acquired_on": self.acquired_on.isoformat() if self.acquired_on else None,
            "lost_on": self.lost_on.isoformat() if self.lost_on else None,
            "source": "imported" if self.imported else ("filed" if self.acquired_on else None),
        }


_PENDING = (SubmissionStatus.QUEUED, SubmissionStatus.SENDING, SubmissionStatus.RECEIVED)


def insurance_standing_for(*, employee_ids: list[int]) -> dict[int, list[AgencyStanding]]:
    """Per employee, per agency of the registry: the latest accepted period, else a hire still
    on its way, else none. Two queries whatever the number of people."""
    latest: dict[tuple[int, str], InsuredPeriod] = {}
    periods = InsuredPeriod.objects.filter(employee_id__in=employee_ids).order_by("acquired_on")
    for row in periods:
        latest[(row.employee_id, row.agency)] = row  # the last one wins
    pending = set(
        Submission.objects.filter(
            report__employee_id__in=employee_ids,
            report__kind=ReportKind.HIRE,
            action=Submission.Action.FILE,
            status__in=_PENDING,
        ).values_list("report__employee_id", "agency")
    )
    standing: dict[int, list[AgencyStanding]] = {}
    for employee_id in employee_ids:
        rows = []
        for code in agency_codes():
            label = insurance_labels().get(code, code)
            period = latest.get((employee_id, code))
            if period is not None:
                state = "lost" if period.lost_on else "insured"
                rows.append(
                    AgencyStanding(
                        code,
                        label,
                        state,
                        period.acquired_on,
                        period.lost_on,
                        period.source == InsuredPeriod.Source.IMPORTED,
                    )
                )
            elif (employee_id, code) in pending:
                rows.append(AgencyStanding(code, label, "pending"))
            else:
                rows.append(AgencyStanding(code, label, "none"))
        standing[employee_id] = rows
    return standing


def agencies_holding(*, employee_id: int) -> set[str]:
    """Agencies that hold the person insured now (an open period) or will once a filed
    acquisition is accepted: where an exit or a pay change has something to act on."""
    standing = insurance_standing_for(employee_ids=[employee_id])[employee_id]
    return {s.agency for s in standing if s.state in ("insured", "pending")}


def daily_work_prompts(*, report: Report) -> list[AcquisitionPrompt]:
    """The NPS/NHIS acquisitions a daily worker's month calls for and that are not filed yet;
    none for a report withdrawn or corrected (its revision carries the month)."""
    if report.cancelled_at or report.corrected_at or not report.employee_id:
        return []
    return acquisition_prompts(
        data=report.data, held=agencies_holding(employee_id=report.employee_id)
    )


def coverage_where_held(*, coverage: dict[str, Any], held: set[str]) -> dict[str, Any]:
    """The employee's coverage, narrowed to the agencies that hold them: a report about an
    existing insurance goes nowhere else."""
    narrowed = {}
    for code in agency_codes():
        decision = dict(coverage.get(code) or {"covered": True, "reason": ""})
        if code not in held and decision.get("covered", True):
            decision = {
                **decision,
                "covered": False,
                "reason": str(_("이 기관에는 가입 내역이 없어 신고하지 않습니다.")),
            }
        narrowed[code] = decision
    return narrowed
