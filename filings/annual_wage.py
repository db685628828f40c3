"""보수총액신고 (annual wage report): each person's wages of a calendar year, month by month and in
total, filed to health (보수총액 통보, by 10 March) and to employment and industrial accident
(보수총액신고, by 15 March) wherever the person was insured that year.

The prefill drafts it from what the portal holds; the employer corrects it before filing. A month
counts when the person was insured at one of the three agencies on at least one day of it
(기준 확인 필요: NHIS counts 근무월수 by premium months, which may differ).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from agencies.registry import agency_codes
from filings.models import (
    InsuredPeriod,
    Report,
    ReportKind,
    ReportStatus,
    Submission,
    SubmissionStatus,
)
from filings.signals import billed_wages_wanted
from filings.validation import parse_int
from portal.errors import FieldErrors
from portal.models import Employee, Workplace

ANNUAL_WAGE_AGENCIES = ("health", "employment", "industrial_accident")
FIRST_YEAR = 2000
MAX_MONTH_WAGES = 10**10
MAX_TOTAL_WAGES = 10**11

SOURCE_BILL = "월별 보험료의 보수월액"
SOURCE_FILED = "기관이 처리한 신고의 보수월액"
SOURCE_EMPLOYEE = "근로자 정보의 월 보수액"
SOURCE_EXIT = "자격상실 신고의 보수총액"

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")  # ASCII digits only

# (agency, first insured day, first day no longer insured), clipped to the year.
Span = tuple[str, date, date]


def _periods_in(year: int) -> QuerySet[InsuredPeriod]:
    return InsuredPeriod.objects.filter(
        agency__in=ANNUAL_WAGE_AGENCIES, acquired_on__lte=date(year, 12, 31)
    ).filter(Q(lost_on__isnull=True) | Q(lost_on__gt=date(year, 1, 1)))


def _spans(year: int, periods: QuerySet[InsuredPeriod]) -> dict[int, list[Span]]:
    first, after = date(year, 1, 1), date(year + 1, 1, 1)
    spans: dict[int, list[Span]] = defaultdict(list)
    rows = periods.values_list("employee_id", "agency", "acquired_on", "lost_on")
    for employee_id, agency, acquired, lost in rows:
        # lost_on (자격상실일) is the first day no longer insured.
        start, end = max(acquired, first), min(lost or after, after)
        if start < end:
            spans[employee_id].append((agency, start, end))
    return spans


def _in_registry_order(agencies: Iterable[str]) -> list[str]:
    held = set(agencies)
    return [code for code in agency_codes() if code in held]


def annual_wage_agencies(*, employee_id: int, year: int) -> list[str]:
    """Where the person was insured on at least one day of `year`, in registry order."""
    spans = _spans(year, _periods_in(year).filter(employee_id=employee_id))
    return _in_registry_order(agency for agency, _, _ in spans.get(employee_id, []))


def _employed_months(year: int, spans: list[Span]) -> list[tuple[date, date]]:
    """(first of month, last day insured in it) for each month insured on at least one day."""
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        after = date(year + month // 12, month % 12 + 1, 1)
        ends = [min(end, after) for _, start, end in spans if start < after and end > first]
        if ends:
            months.append((first, max(ends) - timedelta(days=1)))
    return months


def _filed_wages(
    *, workplace: Workplace, year: int, people: QuerySet[InsuredPeriod]
) -> tuple[dict[int, list[tuple[date, int]]], dict[int, int]]:
    """What the agencies accepted, in one read: per person the wage changes (hire, pay changes)
    by effective date, and the year's 보수총액 an exit report gave."""
    accepted = Submission.objects.filter(
        report=OuterRef("pk"), action=Submission.Action.FILE, status=SubmissionStatus.ACCEPTED
    )
    rows = (
        Report.objects.filter(
            workplace=workplace,
            employee_id__in=people.values("employee_id"),
            cancelled_at__isnull=True,
        )
        .exclude(status=ReportStatus.SUPERSEDED)
        .filter(
            # A hire's and a pay change's event_date is its effective date; an exit's is the
            # loss date, the day after the last working day (this year's or next year's).
            Q(kind__in=[ReportKind.HIRE, ReportKind.PAY_CHANGE], event_date__lte=date(year, 12, 31))
            | Q(kind=ReportKind.EXIT, event_date__range=(date(year, 1, 2), date(year + 2, 1, 1)))
        )
        .filter(Exists(accepted))
        .order_by("event_date", "id")
        .values_list("employee_id", "kind", "event_date", "data")
    )
    changes: dict[int, list[tuple[date, int]]] = defaultdict(list)
    exit_totals: dict[int, int] = {}
    for employee_id, kind, event_date, data in rows:
        if kind != ReportKind.EXIT:
            changes[employee_id].append((event_date, int(data["monthly_wage"])))
            continue
        last_day = event_date - timedelta(days=1)
        # 당해연도 for an exit this year; 전년도 for one early next year (기준 확인 필요).
        key = "annual_wage_this_year" if last_day.year == year else "annual_wage_last_year"
        if data.get(key) is not None:
            exit_totals[employee_id] = int(data[key])
    return changes, exit_totals


def _billed_wages(*, workplace: Workplace, year: int) -> dict[tuple[int, date], int]:
    billed: dict[tuple[int, date], int] = {}
    for _, answer in billed_wages_wanted.send(sender=Report, workplace_id=workplace.pk, year=year):
        billed.update(cast(dict[tuple[int, date], int], answer))
    return billed


def annual_wage_prefill(*, workplace: Workplace, year: int) -> list[dict[str, Any]]:
    """One draft per person insured at health, employment or industrial accident in `year`,
    ordered by name. Each month's wage is the bill's, else the wage the agencies accepted in
    force on the month's last insured day, else the employee's current monthly wage; an
    accepted exit report's 보수총액 for the year replaces the sum."""
    periods = _periods_in(year).filter(workplace=workplace)
    spans = _spans(year, periods)
    if not spans:
        return []
    people = (
        Employee.objects.filter(pk__in=periods.values("employee_id"))
        .order_by("name", "id")
        .values_list("pk", "name", "rrn_masked", "monthly_wage")
    )
    changes, exit_totals = _filed_wages(workplace=workplace, year=year, people=periods)
    billed = _billed_wages(workplace=workplace, year=year)
    drafts = []
    for pk, name, rrn_masked, current_wage in people:
        if pk not in spans:
            continue  # insured at none of the three agencies on any day of the year
        history = changes.get(pk, [])
        effective = [on for on, _ in history]
        months: list[dict[str, Any]] = []
        sources: list[str] = []
        for first, last_day in _employed_months(year, spans[pk]):
            wages, source = billed.get((pk, first)), SOURCE_BILL
            if wages is None:
                i = bisect_right(effective, last_day)  # the last change in force that day
                wages, source = (
                    (history[i - 1][1], SOURCE_FILED) if i else (current_wage, SOURCE_EMPLOYEE)
                )
            months.append({"month": f"{first:%Y-%m}", "wages": wages})
            if source not in sources:
                sources.append(source)
        total = sum(m["wages"] for m in months)
        text = ", ".join(sources)
        if pk in exit_totals:
            total = exit_totals[pk]
            text = f"{SOURCE_EXIT} (월별 금액: {text})"
        drafts.append(
            {
                "kind": "annual_wage",
                "employee_id": pk,
                "name": name,
                "rrn_masked": rrn_masked,
                "year": year,
                "agencies": _in_registry_order(agency for agency, _, _ in spans[pk]),
                "months": months,
                "total_wages": total,
                "months_worked": len(months),
                "source": text,
            }
        )
    return drafts


@dataclass(frozen=True)
class AnnualWageInput:
    employee_id: int
    year: int
    months: list[dict[str, Any]]  # [{"month": "YYYY-MM", "wages": int}], in calendar order
    total_wages: int

    @property
    def months_worked(self) -> int:
        return len(self.months)

    def report_data(self) -> dict[str, Any]:
        return {
            "employee_id": self.employee_id,
            "year": self.year,
            "months": self.months,
            "total_wages": self.total_wages,
            "months_worked": self.months_worked,
        }


def annual_wage_clean(data: dict[str, Any]) -> AnnualWageInput:
    errors = FieldErrors()
    employee_id = parse_int(
        errors, data.get("employee_id"), "employee_id", label="근로자", minimum=1, maximum=2**63 - 1
    )
    # The current year too: the report may be prepared before the year ends.
    year = parse_int(
        errors,
        data.get("year"),
        "year",
        label="귀속연도",
        minimum=FIRST_YEAR,
        maximum=timezone.localdate().year,
    )
    months = data.get("months")
    cleaned: dict[str, int] = {}
    seen: set[str] = set()
    if not isinstance(months, list) or not 1 <= len(months) <= 12:
        errors.add("months", "length", "월별 보수는 1~12개월로 적어 주세요.")
    else:
        for i, item in enumerate(months):
            field = f"months[{i}]"
            if not isinstance(item, dict):
                errors.add(field, "object", "달마다 month와 wages를 적어 주세요.")
                continue
            raw = item.get("month")
            month = raw if isinstance(raw, str) else ""
            wages = parse_int(
                errors,
                item.get("wages"),
                f"{field}.wages",
                label="보수",
                minimum=0,
                maximum=MAX_MONTH_WAGES,
            )
            matched = _MONTH.fullmatch(month)
            if matched is None:
                errors.add(f"{field}.month", "month_format", "귀속월은 YYYY-MM 형식이어야 합니다.")
            elif year is not None and int(matched[1]) != year:
                errors.add(
                    f"{field}.month", "outside_year", f"귀속월은 {year}년의 달이어야 합니다."
                )
            elif month in seen:
                errors.add(f"{field}.month", "duplicate", f"{month}을(를) 두 번 적었습니다.")
            else:
                seen.add(month)
                if wages is not None:
                    cleaned[month] = wages
    total = parse_int(
        errors,
        data.get("total_wages"),
        "total_wages",
        label="보수총액",
        minimum=0,
        maximum=MAX_TOTAL_WAGES,
        required=False,
    )
    errors.raise_if_any()
    assert employee_id is not None and year is not None
    return AnnualWageInput(
        employee_id=employee_id,
        year=year,
        months=[{"month": m, "wages": w} for m, w in sorted(cleaned.items())],
        total_wages=sum(cleaned.values()) if total is None else total,
    )
