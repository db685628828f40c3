"""Readers: certified facts from accepted submissions, and certificates a user may see.

A fact is what an agency accepted, not what was filed: a hire counts at an agency only once its
submission there is `accepted` and no cancellation of it was accepted. When a report was corrected,
the latest accepted revision wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from agencies.registry import agency_codes
from certificates.models import Certificate
from certificates.signing import signature_verify, verification_code_normalize
from filings.models import ReportKind, Submission, SubmissionStatus
from portal.access import Action, AnyUser, can, workplaces_for
from portal.models import Employee, Workplace

STATUS_ACTIVE = "가입"
STATUS_LOST = "상실"
# Verification outcomes (page and uploads); RENDERING only for a roster still in the worker.
VALID, REVOKED, UNKNOWN, MISMATCH, RENDERING = (
    "valid",
    "revoked",
    "unknown",
    "mismatch",
    "rendering",
)


@dataclass
class Coverage:
    acquired_on: date | None = None
    lost_on: date | None = None
    acquired_report_id: int = 0
    lost_report_id: int = 0


def accepted_coverage(employee_ids: Iterable[int]) -> dict[tuple[int, str], Coverage]:
    """(employee id, agency) -> latest accepted acquisition and loss, in one query."""
    ids = list(employee_ids)
    accepted = Submission.objects.filter(
        report__employee_id__in=ids,
        report__kind__in=(ReportKind.HIRE, ReportKind.EXIT),
        status=SubmissionStatus.ACCEPTED,
    ).values_list(
        "report_id", "report__employee_id", "agency", "action", "report__kind", "report__event_date"
    )
    rows = list(accepted)
    cancelled = {(row[0], row[2]) for row in rows if row[3] == Submission.Action.CANCEL}
    result: dict[tuple[int, str], Coverage] = {}
    for report_id, employee_id, agency, action, kind, event_date in rows:
        if action != Submission.Action.FILE or (report_id, agency) in cancelled:
            continue
        item = result.setdefault((employee_id, agency), Coverage())
        if kind == ReportKind.HIRE and report_id > item.acquired_report_id:
            item.acquired_on, item.acquired_report_id = event_date, report_id
        elif kind == ReportKind.EXIT and report_id > item.lost_report_id:
            item.lost_on, item.lost_report_id = event_date, report_id
    for item in result.values():
        # An exit accepted before a later re-hire at the same workplace belongs to the old stint.
        if item.lost_report_id and item.lost_report_id < item.acquired_report_id:
            item.lost_on = None
    return result


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def coverage_history_facts(*, employee: Employee, user: User, as_of: date) -> dict:
    """Per insurance, one row per employment of this person in workplaces `user` may view.

    Employments elsewhere stay out: an employer must not learn where else a worker is insured.
    """
    visible = workplaces_for(user, action=Action.VIEW).values("id")
    stints = list(
        Employee.objects.filter(rrn_index=employee.rrn_index, workplace_id__in=visible)
        .select_related("workplace")
        .order_by("hire_date", "id")
    )
    if employee.pk not in {s.pk for s in stints}:
        stints.append(employee)
    coverage = accepted_coverage(s.pk for s in stints)
    insurances = []
    for code in agency_codes():
        rows = []
        for stint in stints:
            item = coverage.get((stint.pk, code))
            if item is None or item.acquired_on is None or item.acquired_on > as_of:
                continue
            lost_on = item.lost_on if item.lost_on and item.lost_on <= as_of else None
            rows.append(
                {
                    "workplace_name": stint.workplace.name,
                    "workplace_number": stint.workplace.management_number,
                    "acquired_on": _iso(item.acquired_on),
                    "lost_on": _iso(lost_on),
                    "status": STATUS_LOST if lost_on else STATUS_ACTIVE,
                }
            )
        insurances.append({"code": code, "rows": rows})
    return {
        "person": {"name": employee.name, "rrn": employee.rrn_masked},
        "insurances": insurances,
    }


def roster_members(*, workplace: Workplace, as_of: date) -> list[tuple[Employee, dict]]:
    """Everyone insured at the workplace on `as_of` under at least one insurance."""
    employees = list(Employee.objects.filter(workplace=workplace).order_by("name", "id"))
    coverage = accepted_coverage(e.pk for e in employees)
    members = []
    for employee in employees:
        cells: dict[str, Any] = {}
        for code in agency_codes():
            item = coverage.get((employee.pk, code))
            cells[code] = None
            if item is None or item.acquired_on is None or item.acquired_on > as_of:
                continue
            if item.lost_on is None or item.lost_on > as_of:
                cells[code] = {"acquired_on": _iso(item.acquired_on), "lost_on": None}
        if any(cells.values()):
            members.append((employee, cells))
    return members


def workplace_roster_facts(*, workplace: Workplace, as_of: date) -> dict:
    return {
        "workplace": {
            "name": workplace.name,
            "number": workplace.management_number,
            "business_number": workplace.business_registration_number,
            "address": workplace.address,
        },
        "members": [
            # employee_id lets the worker find whose full number to print (if asked); the
            # verify page shows names and masked numbers only.
            {"employee_id": e.pk, "name": e.name, "rrn": e.rrn_masked, "coverage": cells}
            for e, cells in roster_members(workplace=workplace, as_of=as_of)
        ],
    }


def certificates_for(user: AnyUser) -> QuerySet[Certificate]:
    visible = workplaces_for(user, action=Action.VIEW).values("id")
    return (
        Certificate.objects.filter(workplace_id__in=visible)
        .select_related("workplace", "employee")
        .defer("pdf", "facts")
    )


def certificate_get_for(user: AnyUser, certificate_id: int | str, *, action: Action) -> Certificate:
    """The certificate if `user` may perform `action` on its workplace; 404 otherwise."""
    try:
        certificate = Certificate.objects.select_related("workplace", "employee").get(
            pk=int(certificate_id)
        )
    except (Certificate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can(user, certificate.workplace_id, action):
        raise Http404
    return certificate


def certificate_by_code(code: str) -> Certificate | None:
    normal = verification_code_normalize(code)
    if normal is None:
        return None
    return Certificate.objects.filter(verification_code=normal).first()


def certificate_status(certificate: Certificate | None) -> str:
    """What the verify page says about a code: valid, revoked, unknown or rendering.

    `valid` also re-checks the stored signature, so facts edited in the database show as mismatch.
    """
    if certificate is None:
        return UNKNOWN
    if certificate.is_revoked:
        return REVOKED
    if not certificate.is_rendered:
        return RENDERING
    if not signature_verify(
        facts=certificate.facts, pdf_sha256=certificate.pdf_sha256, signature=certificate.signature
    ):
        return MISMATCH
    return VALID
