"""Readers: certified facts from the insured periods, and certificates a user may see.

A fact is what the agencies hold, not what was filed: the insured periods (filings.periods),
opened and closed only by accepted acquisitions and losses, or imported from the employer's own
history. Each line says which of the two it comes from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from agencies.registry import agency_codes
from certificates.models import Certificate
from certificates.signing import signature_verify, verification_code_normalize
from filings.models import InsuredPeriod
from portal.access import Action, AnyUser, can, workplaces_for
from portal.models import Employee, Workplace

STATUS_ACTIVE = "가입"
STATUS_LOST = "상실"
# Where a line comes from: the portal's own filings, or the history the employer imported.
SOURCE_LABELS: dict[str, str] = {
    InsuredPeriod.Source.FILED: "포털 신고",
    InsuredPeriod.Source.IMPORTED: "가져온 이력 (사업장 제출)",
}
# Verification outcomes (page and uploads); RENDERING only for a roster still in the worker.
VALID, REVOKED, UNKNOWN, MISMATCH, RENDERING = (
    "valid",
    "revoked",
    "unknown",
    "mismatch",
    "rendering",
)


def insured_periods(employee_ids: Iterable[int]) -> dict[tuple[int, str], list[InsuredPeriod]]:
    """(employee id, agency) -> their periods in order of acquisition, in one query."""
    found: dict[tuple[int, str], list[InsuredPeriod]] = defaultdict(list)
    periods = InsuredPeriod.objects.filter(employee_id__in=list(employee_ids)).order_by(
        "acquired_on", "id"
    )
    for period in periods:
        found[(period.employee_id, period.agency)].append(period)
    return found


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _source(period: InsuredPeriod) -> dict[str, str]:
    return {"source": period.source, "source_label": SOURCE_LABELS.get(period.source, "")}


def coverage_history_facts(*, employee: Employee, user: User, as_of: date) -> dict:
    """Per insurance, one row per insured period of this person in workplaces `user` may view.

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
    periods = insured_periods(s.pk for s in stints)
    insurances = []
    for code in agency_codes():
        rows = []
        for stint in stints:
            for period in periods.get((stint.pk, code), []):
                if period.acquired_on > as_of:
                    continue
                lost_on = period.lost_on if period.lost_on and period.lost_on <= as_of else None
                rows.append(
                    {
                        "workplace_name": stint.workplace.name,
                        "workplace_number": stint.workplace.management_number,
                        "acquired_on": _iso(period.acquired_on),
                        "lost_on": _iso(lost_on),
                        "status": STATUS_LOST if lost_on else STATUS_ACTIVE,
                        **_source(period),
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
    periods = insured_periods(e.pk for e in employees)
    members = []
    for employee in employees:
        cells: dict[str, Any] = {}
        for code in agency_codes():
            cells[code] = None
            for period in periods.get((employee.pk, code), []):
                if period.acquired_on <= as_of and (
                    period.lost_on is None or period.lost_on > as_of
                ):
                    cells[code] = {
                        "acquired_on": _iso(period.acquired_on),
                        "lost_on": None,
                        **_source(period),
                    }
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
