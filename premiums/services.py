"""Writers: compute and store monthly bills (idempotent; one transaction per run).

A run for many workplaces is a handful of queries whatever its size: one read of the employees,
one of earlier acquisitions, one upsert of the bills, one delete and one bulk insert of the lines
(COPY on PostgreSQL), plus one audit event per bill.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone

from portal.errors import FieldErrors
from portal.models import AuditEvent, Employee, Workplace
from portal.services import audit_event_build
from premiums.billing import (
    SUBSIDY_LOOKBACK_MONTHS,
    SUBSIDY_MAX_HEADCOUNT,
    SUBSIDY_MAX_MONTHS,
    SUBSIDY_WAGE_LIMIT,
    Covered,
    MonthCounting,
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
    "workplace_id",
    "id",
    "rrn_index",
    "hire_date",
    "loss_date",
    "monthly_wage",
    "birth_date",
    "nationality",
    "is_foreigner",
)
# Only these flags of the coverage snapshot matter here; reading them as text in SQL avoids
# decoding every snapshot (with its reasons) in Python.
_COVERAGE_FLAGS = {
    "cov_pension": KT("coverage__pension__covered"),
    "cov_health": KT("coverage__health__covered"),
    "cov_employment": KT("coverage__employment__covered"),
    "cov_industrial": KT("coverage__industrial_accident__covered"),
    "cov_benefit": KT("coverage__employment__unemployment_benefit"),
}
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
# Column order of a prepared line (bill_id is prepended when the bill's id is known).
_LINE_COLUMNS = (
    "employee_id",
    "monthly_wage",
    "pension_base",
    "pension_employee",
    "pension_employer",
    "health_employee",
    "health_employer",
    "long_term_care_employee",
    "long_term_care_employer",
    "employment_employee",
    "employment_employer",
    "industrial_accident_employer",
    "pension_subsidy_employee",
    "pension_subsidy_employer",
    "employment_subsidy_employee",
    "employment_subsidy_employer",
    "subsidy_reason",
    "trace",
)


@dataclass(frozen=True, slots=True)
class _Person:
    workplace_id: int
    id: int
    rrn_index: str
    hire_date: date | None
    loss_date: date | None
    monthly_wage: int
    birth_date: date | None
    nationality: str
    is_foreigner: bool
    covered: Covered


@dataclass(slots=True)
class _Prepared:
    bill: Bill
    lines: list[tuple[Any, ...]] = field(default_factory=list)


def _covered_from_flags(flags: tuple[str | None, ...]) -> Covered:
    def covered(text: str | None) -> bool:
        return text != "false"  # a missing flag means an ordinary, covered employee

    pension, health, employment, industrial, benefit = flags
    return Covered(
        covered(pension),
        covered(health),
        covered(employment),
        covered(industrial),
        None if benefit is None else benefit == "true",
    )


def _month_rates_check(rates: RateBook, month: date) -> None:
    try:
        premium_quote(monthly_wage=0, month=month, rates=rates)
    except RateNotFound as exc:
        raise FieldErrors({"month": [("month.no_rates", str(exc))]}) from exc


def _is_subsidy_candidate(person: _Person, workplace: Workplace, month: date) -> bool:
    return (
        workplace.headcount < SUBSIDY_MAX_HEADCOUNT
        and person.hire_date is not None
        and person.monthly_wage < SUBSIDY_WAGE_LIMIT
        and months_between(person.hire_date, month) < SUBSIDY_MAX_MONTHS
    )


def _earlier_acquisitions(candidates: list[_Person]) -> set[int]:
    """Ids of subsidy candidates with another acquisition in the look-back window."""
    if not candidates:
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


def _review_key(quote: Quote) -> tuple[Any, ...]:
    # A quote's "needs review" depends only on its month context and on which bound applied.
    ctx = quote._context
    return (
        id(ctx),
        quote.pension.base in (ctx.p_lower, ctx.p_upper),
        quote.health.employee in (ctx.h_cap_side, ctx.h_floor_side),
    )


def _bill_prepare(
    *,
    workplace: Workplace,
    month: date,
    people: Sequence[_Person],
    earlier: set[int],
    rates: RateBook,
    now: Any,
    review_memo: dict[tuple[Any, ...], bool],
) -> _Prepared:
    industry = industry_for(rates=rates, month=month, industry_code=workplace.industry_code)
    industry_note = ""
    if industry is None:
        industry_note = (
            f"산재보험: 사업종류 코드({workplace.industry_code or '미등록'})의 요율이 요율표에"
            f" 없어 산재보험료를 계산하지 않았습니다({NEEDS_REVIEW})."
        )
    band, workers = workplace.employment_band, workplace.headcount
    lines: list[tuple[Any, ...]] = []
    traces: dict[tuple[MonthCounting, bool], str] = {}
    needs_review = review_notes = False
    pension_t = health_t = ltc_t = ei_t = iaci_t = employee_t = employer_t = subsidy_t = 0
    for person in people:
        counting = month_counting(
            month=month,
            hire_date=person.hire_date,
            loss_date=person.loss_date,
            covered=person.covered,
        )
        if not counting.any:
            continue
        over_65 = hired_at_65_or_older(
            covered=person.covered, birth_date=person.birth_date, hire_date=person.hire_date
        )
        quote = premium_quote(
            monthly_wage=person.monthly_wage,
            month=month,
            employment_band=band,
            industry_code=industry,
            hired_at_65_or_older=over_65,
            regular_workers=workers,
            rates=rates,
        )
        key = _review_key(quote)
        if key not in review_memo:
            review_memo[key] = quote.needs_review
        needs_review = needs_review or review_memo[key]

        pension = quote.pension if counting.pension else None
        pension_ee = pension.employee if pension else 0
        pension_er = pension.employer if pension else 0
        health_ee = health_er = ltc_ee = ltc_er = 0
        if counting.health:
            health_ee, health_er = quote.health.employee, quote.health.employer
            ltc_ee, ltc_er = quote.long_term_care.employee, quote.long_term_care.employer
        ei_ee = ei_er = 0
        if counting.employment:
            ei_ee, ei_er = quote.employment.employee, quote.employment.employer
        iaci = quote.industrial_accident
        iaci_er = iaci.employer if iaci is not None and counting.industrial_accident else 0

        decision = subsidy_decide(
            month=month,
            headcount=workers,
            monthly_wage=person.monthly_wage,
            hire_date=person.hire_date,
            is_korean=person.nationality == "KR" and not person.is_foreigner,
            earlier_acquisition=person.id in earlier,
        )
        sub_p_ee = subsidy_amount(pension_ee) if decision.pension else 0
        sub_p_er = subsidy_amount(pension_er) if decision.pension else 0
        sub_e_ee = subsidy_amount(ei_ee) if decision.employment else 0
        sub_e_er = subsidy_amount(ei_er) if decision.employment else 0

        trace_key = (counting, over_65)
        trace = traces.get(trace_key)
        if trace is None:
            notes = list(counting.notes)
            if industry_note and counting.industrial_accident:
                notes.append(industry_note)
            # Compact inputs only: the step-by-step trace is rebuilt from them on demand.
            trace = traces[trace_key] = json.dumps(
                {
                    "counted": counting.counted(),
                    "hired_at_65_or_older": over_65,
                    "band": band,
                    "industry": industry,
                    "workers": workers,
                    "notes": notes,
                },
                ensure_ascii=False,
            )
            review_notes = review_notes or any(NEEDS_REVIEW in note for note in notes)
        lines.append(
            (
                person.id,
                person.monthly_wage,
                pension.base if pension else 0,
                pension_ee,
                pension_er,
                health_ee,
                health_er,
                ltc_ee,
                ltc_er,
                ei_ee,
                ei_er,
                iaci_er,
                sub_p_ee,
                sub_p_er,
                sub_e_ee,
                sub_e_er,
                decision.reason,
                trace,
            )
        )
        pension_t += pension_ee + pension_er
        health_t += health_ee + health_er
        ltc_t += ltc_ee + ltc_er
        ei_t += ei_ee + ei_er
        iaci_t += iaci_er
        employee_t += pension_ee + health_ee + ltc_ee + ei_ee
        employer_t += pension_er + health_er + ltc_er + ei_er + iaci_er
        subsidy_t += sub_p_ee + sub_p_er + sub_e_ee + sub_e_er

    bill = Bill(
        workplace=workplace,
        month=month,
        computed_at=now,
        schedule_version=rates.version,
        pension_total=pension_t,
        health_total=health_t,
        long_term_care_total=ltc_t,
        employment_total=ei_t,
        industrial_accident_total=iaci_t,
        employee_total=employee_t,
        employer_total=employer_t,
        subsidy_total=subsidy_t,
        needs_review=needs_review or review_notes,
    )
    return _Prepared(bill, lines)


def _lines_insert(prepared: list[_Prepared]) -> None:
    columns = ("bill_id", *_LINE_COLUMNS)
    objects = []
    traces: dict[str, Any] = {}  # a handful of distinct traces, each parsed once
    for item in prepared:
        for line in item.lines:
            values = dict(zip(columns[:-1], (item.bill.pk, *line[:-1]), strict=True))
            trace = traces.get(line[-1])
            if trace is None:
                trace = traces[line[-1]] = json.loads(line[-1])
            objects.append(BillLine(**values, trace=trace))
    BillLine.objects.bulk_create(objects, batch_size=2000)


def bills_compute(
    *,
    workplaces: Iterable[Workplace],
    month: date,
    actor: User | None = None,
    rates: RateBook | None = None,
    ip: str | None = None,
) -> list[Bill]:
    """Compute and store the bills of `workplaces` for `month`, replacing earlier ones.

    All bills of the run are replaced in one transaction, so a reader never sees a bill whose
    lines are half old and half new, and re-running gives the same rows.
    """
    month = month_start(month)
    rates = rates if rates is not None else RateBook.from_db()
    _month_rates_check(rates, month)
    targets = sorted(workplaces, key=lambda w: w.pk)  # same lock order in concurrent runs
    if not targets:
        return []
    start, end = month, month_end(month)
    people: dict[int, list[_Person]] = {w.pk: [] for w in targets}
    rows = (
        Employee.objects.filter(workplace_id__in=list(people))
        .filter(Q(hire_date__isnull=True) | Q(hire_date__lte=end))
        .filter(Q(loss_date__isnull=True) | Q(loss_date__gt=start))
        .order_by("workplace_id", "id")
        .annotate(**_COVERAGE_FLAGS)
        .values_list(*_EMPLOYEE_FIELDS, *_COVERAGE_FLAGS)
    )
    covered_cache: dict[tuple[str | None, ...], Covered] = {}
    for row in rows:
        flags = row[-5:]
        covered = covered_cache.get(flags)
        if covered is None:
            covered = covered_cache[flags] = _covered_from_flags(flags)
        # mypy lets the starred fields fill every parameter, so `covered` looks one too many.
        people[row[0]].append(_Person(*row[:-5], covered))  # type: ignore[call-arg]
    earlier = _earlier_acquisitions(
        [p for w in targets for p in people[w.pk] if _is_subsidy_candidate(p, w, month)]
    )
    now = timezone.now()
    memo: dict[tuple[Any, ...], bool] = {}
    prepared = [
        _bill_prepare(
            workplace=w,
            month=month,
            people=people[w.pk],
            earlier=earlier,
            rates=rates,
            now=now,
            review_memo=memo,
        )
        for w in targets
    ]
    with transaction.atomic():
        # The upsert locks each (workplace, month) row, so concurrent re-computations queue up
        # instead of interleaving their line replacements.
        bills = Bill.objects.bulk_create(
            [item.bill for item in prepared],
            update_conflicts=True,
            unique_fields=["workplace", "month"],
            update_fields=_BILL_FIELDS,
        )
        BillLine.objects.filter(bill_id__in=[bill.pk for bill in bills]).delete()
        _lines_insert(prepared)
        # One audit event per bill, written in one INSERT.
        AuditEvent.objects.bulk_create(
            [
                audit_event_build(
                    actor=actor,
                    action="premiums.bill_compute",
                    obj=item.bill,
                    workplace=item.bill.workplace,
                    ip=ip,
                    data={
                        "month": f"{month:%Y-%m}",
                        "lines": len(item.lines),
                        "schedule_version": rates.version,
                    },
                )
                for item in prepared
            ]
        )
    return bills


def bill_compute(
    *,
    workplace: Workplace,
    month: date,
    actor: User | None = None,
    rates: RateBook | None = None,
    ip: str | None = None,
) -> Bill:
    """Compute and store one workplace's bill for `month`, replacing any earlier computation."""
    (bill,) = bills_compute(workplaces=[workplace], month=month, actor=actor, rates=rates, ip=ip)
    return bill


def bill_ensure(*, workplace: Workplace, month: date, actor: User | None = None) -> Bill:
    """The stored bill, computed first if there is none yet."""
    bill = Bill.objects.filter(workplace=workplace, month=month_start(month)).first()
    if bill is not None:
        return bill
    return bill_compute(workplace=workplace, month=month, actor=actor)
