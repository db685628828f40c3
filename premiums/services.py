"""Writers: compute and store a workplace's monthly bill (idempotent, one transaction per bill)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.errors import FieldErrors
from portal.models import Employee, Workplace
from portal.services import audit_record
from premiums.billing import (
    SUBSIDY_LOOKBACK_MONTHS,
    SUBSIDY_MAX_HEADCOUNT,
    SUBSIDY_MAX_MONTHS,
    SUBSIDY_WAGE_LIMIT,
    hired_at_65_or_older,
    month_counting,
    month_end,
    month_start,
    months_before,
    months_between,
    subsidy_amount,
    subsidy_decide,
)
from premiums.calculator import NEEDS_REVIEW, Quote, premium_quote
from premiums.models import Bill, BillLine
from premiums.rates import RateBook, RateNotFound
from premiums.selectors import industry_for

_EMPLOYEE_FIELDS = (
    "id",
    "rrn_index",
    "hire_date",
    "loss_date",
    "monthly_wage",
    "birth_date",
    "nationality",
    "is_foreigner",
    "coverage",
)
_BILL_FIELDS = [
    "computed_at",
    "schedule_version",
    "pension_total",
    "health_total",
    "long_term_care_total",
    "employment_total",
    "industrial_accident_total",
    "employee_total",
    "employer_total",
    "subsidy_total",
    "needs_review",
]


@dataclass(frozen=True, slots=True)
class _Person:
    id: int
    rrn_index: str
    hire_date: date | None
    loss_date: date | None
    monthly_wage: int
    birth_date: date | None
    nationality: str
    is_foreigner: bool
    coverage: dict[str, Any]


def _month_rates_check(rates: RateBook, month: date) -> None:
    try:
        premium_quote(monthly_wage=0, month=month, rates=rates)
    except RateNotFound as exc:
        raise FieldErrors({"month": [("month.no_rates", str(exc))]}) from exc


def _earlier_acquisitions(people: list[_Person], workplace: Workplace, month: date) -> set[int]:
    """Ids of subsidy candidates with another acquisition in the look-back window."""
    candidates = [
        p
        for p in people
        if p.hire_date is not None
        and p.monthly_wage < SUBSIDY_WAGE_LIMIT
        and months_between(p.hire_date, month) < SUBSIDY_MAX_MONTHS
    ]
    if workplace.headcount >= SUBSIDY_MAX_HEADCOUNT or not candidates:
        return set()
    history: dict[str, list[tuple[date | None, date | None]]] = {}
    rows = (
        Employee.objects.filter(rrn_index__in={p.rrn_index for p in candidates})
        .exclude(id__in=[p.id for p in candidates])
        .values_list("rrn_index", "hire_date", "loss_date")
    )
    for rrn_index, hired, lost in rows:
        history.setdefault(rrn_index, []).append((hired, lost))
    found = set()
    for person in candidates:
        assert person.hire_date is not None
        window_start = months_before(person.hire_date, SUBSIDY_LOOKBACK_MONTHS)
        for hired, lost in history.get(person.rrn_index, ()):
            # An unknown earlier date counts against the subsidy rather than for it.
            before = hired is None or hired < person.hire_date
            recent = lost is None or lost > window_start
            if before and recent:
                found.add(person.id)
    return found


def _line_build(
    *,
    person: _Person,
    month: date,
    workplace: Workplace,
    industry: str | None,
    industry_note: str,
    rates: RateBook,
    earlier: set[int],
) -> tuple[BillLine, Quote] | None:
    counting = month_counting(
        month=month,
        hire_date=person.hire_date,
        loss_date=person.loss_date,
        coverage=person.coverage,
    )
    if not counting.any:
        return None
    over_65 = hired_at_65_or_older(
        coverage=person.coverage, birth_date=person.birth_date, hire_date=person.hire_date
    )
    quote = premium_quote(
        monthly_wage=person.monthly_wage,
        month=month,
        employment_band=workplace.employment_band,
        industry_code=industry,
        hired_at_65_or_older=over_65,
        regular_workers=workplace.headcount,
        rates=rates,
    )
    pension = quote.pension if counting.pension else None
    health = quote.health if counting.health else None
    ltc = quote.long_term_care if counting.health else None
    ei = quote.employment if counting.employment else None
    iaci = quote.industrial_accident if counting.industrial_accident else None
    decision = subsidy_decide(
        month=month,
        headcount=workplace.headcount,
        monthly_wage=person.monthly_wage,
        hire_date=person.hire_date,
        is_korean=person.nationality == "KR" and not person.is_foreigner,
        earlier_acquisition=person.id in earlier,
    )
    notes = list(counting.notes)
    if industry_note and counting.industrial_accident:
        notes.append(industry_note)
    line = BillLine(
        employee_id=person.id,
        monthly_wage=person.monthly_wage,
        pension_base=pension.base if pension else 0,
        pension_employee=pension.employee if pension else 0,
        pension_employer=pension.employer if pension else 0,
        health_employee=health.employee if health else 0,
        health_employer=health.employer if health else 0,
        long_term_care_employee=ltc.employee if ltc else 0,
        long_term_care_employer=ltc.employer if ltc else 0,
        employment_employee=ei.employee if ei else 0,
        employment_employer=ei.employer if ei else 0,
        industrial_accident_employer=iaci.employer if iaci else 0,
        subsidy_reason=decision.reason,
        # Compact inputs only: the step-by-step trace is rebuilt from them when a user opens it.
        trace={
            "counted": counting.counted(),
            "hired_at_65_or_older": over_65,
            "band": workplace.employment_band,
            "industry": industry,
            "workers": workplace.headcount,
            "notes": notes,
        },
    )
    if decision.pension:
        line.pension_subsidy_employee = subsidy_amount(line.pension_employee)
        line.pension_subsidy_employer = subsidy_amount(line.pension_employer)
    if decision.employment:
        line.employment_subsidy_employee = subsidy_amount(line.employment_employee)
        line.employment_subsidy_employer = subsidy_amount(line.employment_employer)
    return line, quote


def _review_key(quote: Quote) -> tuple[Any, ...]:
    # A quote's "needs review" depends only on its month context and on which bound applied.
    ctx = quote._context
    return (
        id(ctx),
        quote.pension.base in (ctx.p_lower, ctx.p_upper),
        quote.health.employee in (ctx.h_cap_side, ctx.h_floor_side),
    )


def bill_compute(
    *,
    workplace: Workplace,
    month: date,
    actor: AbstractBaseUser | None = None,
    rates: RateBook | None = None,
    ip: str | None = None,
) -> Bill:
    """Compute and store the workplace's bill for `month`, replacing any earlier computation."""
    month = month_start(month)
    rates = rates if rates is not None else RateBook.from_db()
    _month_rates_check(rates, month)
    start, end = month, month_end(month)
    people = [
        _Person(*row)
        for row in Employee.objects.filter(workplace=workplace)
        .filter(Q(hire_date__isnull=True) | Q(hire_date__lte=end))
        .filter(Q(loss_date__isnull=True) | Q(loss_date__gt=start))
        .order_by("id")
        .values_list(*_EMPLOYEE_FIELDS)
    ]
    industry = industry_for(rates=rates, month=month, industry_code=workplace.industry_code)
    industry_note = ""
    if industry is None:
        industry_note = (
            f"산재보험: 사업종류 코드({workplace.industry_code or '미등록'})의 요율이 요율표에"
            f" 없어 산재보험료를 계산하지 않았습니다({NEEDS_REVIEW})."
        )
    earlier = _earlier_acquisitions(people, workplace, month)

    lines: list[BillLine] = []
    review_memo: dict[tuple[Any, ...], bool] = {}
    needs_review = industry is None and bool(people)
    for person in people:
        built = _line_build(
            person=person,
            month=month,
            workplace=workplace,
            industry=industry,
            industry_note=industry_note,
            rates=rates,
            earlier=earlier,
        )
        if built is None:
            continue
        line, quote = built
        lines.append(line)
        if line.trace["notes"] and any(NEEDS_REVIEW in note for note in line.trace["notes"]):
            needs_review = True
        key = _review_key(quote)
        if key not in review_memo:
            review_memo[key] = quote.needs_review
        needs_review = needs_review or review_memo[key]

    bill = Bill(
        workplace=workplace,
        month=month,
        computed_at=timezone.now(),
        schedule_version=rates.version,
        pension_total=sum(x.pension_employee + x.pension_employer for x in lines),
        health_total=sum(x.health_employee + x.health_employer for x in lines),
        long_term_care_total=sum(
            x.long_term_care_employee + x.long_term_care_employer for x in lines
        ),
        employment_total=sum(x.employment_employee + x.employment_employer for x in lines),
        industrial_accident_total=sum(x.industrial_accident_employer for x in lines),
        employee_total=sum(x.employee_total for x in lines),
        employer_total=sum(x.employer_total for x in lines),
        subsidy_total=sum(
            x.pension_subsidy_employee
            + x.pension_subsidy_employer
            + x.employment_subsidy_employee
            + x.employment_subsidy_employer
            for x in lines
        ),
        needs_review=needs_review,
    )
    with transaction.atomic():
        # One upsert locks the (workplace, month) row, so concurrent re-computations queue up
        # instead of interleaving their line replacements.
        (bill,) = Bill.objects.bulk_create(
            [bill],
            update_conflicts=True,
            unique_fields=["workplace", "month"],
            update_fields=_BILL_FIELDS,
        )
        BillLine.objects.filter(bill_id=bill.pk).delete()
        for line in lines:
            line.bill_id = bill.pk
        BillLine.objects.bulk_create(lines)
        audit_record(
            actor=actor,
            action="premiums.bill_compute",
            obj=bill,
            workplace=workplace,
            ip=ip,
            data={
                "month": f"{month:%Y-%m}",
                "lines": len(lines),
                "schedule_version": rates.version,
            },
        )
    return bill


def bills_compute(
    *,
    workplaces: Iterable[Workplace],
    month: date,
    actor: AbstractBaseUser | None = None,
) -> list[Bill]:
    """Bills of many workplaces for one month, sharing one rate book."""
    rates = RateBook.from_db()
    return [
        bill_compute(workplace=workplace, month=month, actor=actor, rates=rates)
        for workplace in workplaces
    ]


def bill_ensure(
    *, workplace: Workplace, month: date, actor: AbstractBaseUser | None = None
) -> Bill:
    """The stored bill, computed first if there is none yet."""
    bill = Bill.objects.filter(workplace=workplace, month=month_start(month)).first()
    if bill is not None:
        return bill
    return bill_compute(workplace=workplace, month=month, actor=actor)
