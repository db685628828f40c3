"""Writers: compute and store monthly bills (idempotent; one transaction per run).

A run for many workplaces is a handful of queries whatever its size: one read of the employees,
one of earlier acquisitions, one upsert of the bills, one delete and one bulk insert of the lines
(COPY on PostgreSQL), plus one audit event per bill.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.utils import timezone

from filings.models import InsuredPeriod
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
    "stale",
    "traces",
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
    "trace_index",
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
    benefit: bool | None
    # Per agency, the insured stretch overlapping the month as the agencies accepted it.
    periods: dict[str, tuple[date, date | None]] = field(default_factory=dict)


@dataclass(slots=True)
class _Prepared:
    bill: Bill
    lines: list[tuple[Any, ...]] = field(default_factory=list)


_AGENCY_SLOTS = ("pension", "health", "employment", "industrial_accident")
_SLOT_LABELS = ("국민연금", "건강보험", "고용보험", "산재보험")


def _person_counting(person: _Person, month: date) -> tuple[MonthCounting, Covered]:
    """Which insurances charge this person for `month`, from each agency's accepted period.

    An agency with no period charges nothing. Agencies sharing the same dates (the common case)
    are counted together, each other group separately, and the answers joined.
    """
    groups: dict[tuple[date, date | None], set[str]] = {}
    for agency, span in person.periods.items():
        groups.setdefault(span, set()).add(agency)
    held = set(person.periods)
    covered = _covered(held, person.benefit)
    missing = tuple(
        f"{label}: 기관이 받아들인 가입 이력이 없어 부과하지 않습니다."
        for agency, label in zip(_AGENCY_SLOTS, _SLOT_LABELS, strict=True)
        if agency not in held
    )
    counted = MonthCounting(False, False, False, False)
    for (acquired, lost), agencies in groups.items():
        part = month_counting(
            month=month,
            hire_date=acquired,
            loss_date=lost,
            covered=_covered(agencies, person.benefit),
            note_uncovered=False,
        )
        counted = counted.joined(part)
    if missing:
        counted = counted.joined(MonthCounting(False, False, False, False, missing))
    return counted, covered


def _covered(agencies: set[str], benefit: bool | None) -> Covered:
    return Covered(
        pension="pension" in agencies,
        health="health" in agencies,
        employment="employment" in agencies,
        industrial_accident="industrial_accident" in agencies,
        unemployment_benefit=benefit,
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
    traces: dict[tuple[MonthCounting, bool], int] = {}  # -> index into trace_list
    trace_list: list[dict[str, Any]] = []
    needs_review = review_notes = False
    pension_t = health_t = ltc_t = ei_t = iaci_t = employee_t = employer_t = subsidy_t = 0
    for person in people:
        counting, covered = _person_counting(person, month)
        if not counting.any:
            continue
        over_65 = hired_at_65_or_older(
            covered=covered, birth_date=person.birth_date, hire_date=person.hire_date
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
            trace = traces[trace_key] = len(trace_list)
            trace_list.append(
                {
                    "counted": counting.counted(),
                    "hired_at_65_or_older": over_65,
                    "band": band,
                    "industry": industry,
                    "workers": workers,
                    "notes": notes,
                }
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
        traces=trace_list,
    )
    return _Prepared(bill, lines)


def _lines_insert(prepared: list[_Prepared]) -> None:
    # Positional construction in the model's field order (as Model.from_db does): keyword
    # arguments cost a dictionary and a field lookup per value, ten thousand times over.
    order = [f.attname for f in BillLine._meta.concrete_fields]
    given = ("bill_id", *_LINE_COLUMNS)
    # Every column but the id must be given: a new field would otherwise be written as NULL.
    missing = set(order) - set(given) - {BillLine._meta.pk.attname}
    if missing:
        raise RuntimeError(f"_LINE_COLUMNS lacks {sorted(missing)}")
    at = [given.index(name) if name in given else None for name in order]
    BillLine.objects.bulk_create(
        (
            BillLine(*(None if i is None else row[i] for i in at))
            for item in prepared
            for line in item.lines
            for row in ((item.bill.pk, *line),)
        ),
        batch_size=2000,
    )


def _people_insured(*, workplace_ids: list[int], month: date) -> dict[int, list[_Person]]:
    """Per workplace, everyone an agency holds insured during `month` (two reads: the periods
    overlapping the month, then those people)."""
    start, end = month, month_end(month)
    spans: dict[int, dict[str, tuple[date, date | None]]] = {}
    rows = (
        InsuredPeriod.objects.filter(workplace_id__in=workplace_ids, acquired_on__lte=end)
        .filter(Q(lost_on__isnull=True) | Q(lost_on__gt=start))
        .order_by("employee_id", "agency", "acquired_on")
        .values_list("employee_id", "agency", "acquired_on", "lost_on")
    )
    for employee_id, agency, acquired, lost in rows:
        mine = spans.setdefault(employee_id, {})
        earlier = mine.get(agency)
        if earlier is not None:
            # Lost and acquired again within the month: one stretch from first to last.
            acquired = earlier[0]
        mine[agency] = (acquired, lost)
    people: dict[int, list[_Person]] = {pk: [] for pk in workplace_ids}
    if not spans:
        return people
    employees = (
        Employee.objects.filter(workplace_id__in=workplace_ids)
        .filter(Exists(InsuredPeriod.objects.filter(employee_id=OuterRef("pk"))))
        .order_by("workplace_id", "id")
        .annotate(cov_benefit=KT("coverage__employment__unemployment_benefit"))
        .values_list(*_EMPLOYEE_FIELDS, "cov_benefit")
    )
    for row in employees:
        held = spans.get(row[1])
        if held is None:
            continue
        benefit = None if row[-1] is None else row[-1] == "true"
        people[row[0]].append(_Person(*row[:-1], benefit, held))  # type: ignore[call-arg]
    return people


def bills_mark_stale(*, workplace_ids: Iterable[int], since: date) -> int:
    """Mark the bills an input change reaches (from `since`'s month on) for recomputation."""
    return Bill.objects.filter(
        workplace_id__in=list(workplace_ids), month__gte=month_start(since), stale=False
    ).update(stale=True)


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
    people = _people_insured(workplace_ids=[w.pk for w in targets], month=month)
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
    """The stored bill, computed first if there is none yet or an input changed since."""
    bill = Bill.objects.filter(workplace=workplace, month=month_start(month)).first()
    if bill is not None and not bill.stale:
        return bill
    return bill_compute(workplace=workplace, month=month, actor=actor)
