"""Readers: one-off quotes and stored bills shaped for pages, exports and the API."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Sum

from portal.errors import FieldErrors
from portal.models import Workplace
from premiums.billing import Covered, hired_at_65_or_older
from premiums.calculator import NEEDS_REVIEW, PensionShare, Quote, TraceStep, premium_quote
from premiums.models import Bill, BillLine
from premiums.rates import EMPLOYMENT_BANDS, RateBook, RateNotFound

SIDES = ("employee", "employer")
_LINE_SIDES: dict[str, tuple[str | None, str]] = {
    "pension": ("pension_employee", "pension_employer"),
    "health": ("health_employee", "health_employer"),
    "long_term_care": ("long_term_care_employee", "long_term_care_employer"),
    "employment": ("employment_employee", "employment_employer"),
    "industrial_accident": (None, "industrial_accident_employer"),
}
_SUBSIDY_SIDES = {
    "pension": ("pension_subsidy_employee", "pension_subsidy_employer"),
    "employment": ("employment_subsidy_employee", "employment_subsidy_employer"),
}


def industry_for(*, rates: RateBook, month: date, industry_code: str) -> str | None:
    """The workplace's IACI key if the schedule has a rate for it in `month`, else None."""
    if not industry_code:
        return None
    try:
        rates.industrial_accident_rates(month, industry_code)
    except RateNotFound:
        return None
    return industry_code


@dataclass(frozen=True)
class QuoteResult:
    quote: Quote
    notes: list[str] = field(default_factory=list)
    # Insurances that do not apply to this person: their trace steps are left out.
    excluded: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        data = self.quote.as_dict()
        data["trace"] = [step for step in data["trace"] if step["insurance"] not in self.excluded]
        data["month"] = f"{self.quote.month:%Y-%m}"
        data["total"] = {
            "employee": self.quote.employee_total,
            "employer": self.quote.employer_total,
        }
        data["notes"] = self.notes
        return data


def premium_quote_for(
    *,
    monthly_wage: int,
    month: date,
    workplace: Workplace | None = None,
    birth_date: date | None = None,
    hire_date: date | None = None,
    employment_band: str | None = None,
    rates: RateBook | None = None,
) -> QuoteResult:
    """One person's premiums; the workplace supplies the EI band and IACI industry when given.

    Raises FieldErrors naming the field and rule for input the schedule cannot answer.
    """
    errors = FieldErrors()
    if employment_band and employment_band not in EMPLOYMENT_BANDS:
        errors.add(
            "employment_band",
            "employment_band.choice",
            "고용보험 규모 구분은 " + ", ".join(EMPLOYMENT_BANDS) + " 중 하나여야 합니다.",
        )
    if (birth_date is None) != (hire_date is None):
        missing = "hire_date" if hire_date is None else "birth_date"
        errors.add(
            missing,
            f"{missing}.required_together",
            "65세 이후 고용 여부를 판단하려면 생년월일과 입사일을 함께 입력해야 합니다.",
        )
    if birth_date and hire_date and hire_date < birth_date:
        errors.add("hire_date", "hire_date.before_birth", "입사일이 생년월일보다 앞설 수 없습니다.")
    errors.raise_if_any()

    rates = rates if rates is not None else RateBook.from_db()
    band = employment_band or (workplace.employment_band if workplace else "under_150")
    notes: list[str] = []
    industry = None
    if workplace is not None:
        industry = industry_for(rates=rates, month=month, industry_code=workplace.industry_code)
        if industry is None:
            notes.append(
                f"산재보험: 사업종류 코드({workplace.industry_code or '미등록'})의 요율이 요율표에"
                f" 없어 계산하지 않았습니다({NEEDS_REVIEW})."
            )
    over_65 = hired_at_65_or_older(covered=Covered(), birth_date=birth_date, hire_date=hire_date)
    try:
        quote = premium_quote(
            monthly_wage=monthly_wage,
            month=month,
            employment_band=band,
            industry_code=industry,
            hired_at_65_or_older=over_65,
            regular_workers=workplace.headcount if workplace else None,
            rates=rates,
        )
    except RateNotFound as exc:
        raise FieldErrors({"month": [("month.no_rates", str(exc))]}) from exc
    excluded: frozenset[str] = frozenset()
    if birth_date is not None and _pension_ended_before(birth_date=birth_date, month=month):
        excluded = frozenset({"pension"})
        # NPS membership ends the day after the 60th birthday (국민연금법 제12조①4) and is
        # charged to the month that contains the day before the loss: the birthday's month.
        quote = dataclasses.replace(quote, pension=PensionShare(base=0, employee=0, employer=0))
        notes.append(
            "국민연금: 만 60세가 된 다음 날 자격을 잃으므로 이 달에는 부과하지 않습니다"
            "(국민연금법 제12조①4, 제17조①)."
        )
    return QuoteResult(quote, notes, excluded)


def _pension_ended_before(*, birth_date: date, month: date) -> bool:
    """Whether the person turned 60 before `month` began."""
    try:
        sixtieth = birth_date.replace(year=birth_date.year + 60)
    except ValueError:  # born on 29 February
        sixtieth = date(birth_date.year + 60, 3, 1)
    return sixtieth < month.replace(day=1)


def bill_get(*, workplace: Workplace, month: date) -> Bill | None:
    return Bill.objects.filter(workplace=workplace, month=month.replace(day=1)).first()


def billed_wages(*, workplace_id: int, year: int) -> dict[tuple[int, date], int]:
    """{(employee id, first of month): monthly wage} of the workplace's bills of the year; stale
    bills are left out (their inputs changed since)."""
    rows = BillLine.objects.filter(
        bill__workplace_id=workplace_id, bill__month__year=year, bill__stale=False
    ).values_list("employee_id", "bill__month", "monthly_wage")
    return {(employee_id, month): wage for employee_id, month, wage in rows}


def bill_lines(*, bill: Bill) -> list[BillLine]:
    """Lines with the employee's name only (never the resident number)."""
    lines = list(
        BillLine.objects.filter(bill=bill)
        .select_related("employee")
        .only("employee__name", "employee__id", *(f.name for f in BillLine._meta.concrete_fields))
        .order_by("employee__name", "employee_id")
    )
    for line in lines:
        line.bill = bill  # their traces are on the bill already in hand
    return lines


def _side_sums(values: dict[str, Any], fields: tuple[str | None, str]) -> dict[str, int]:
    return {
        side: int(values[name] or 0) if name else 0
        for side, name in zip(SIDES, fields, strict=True)
    }


def bill_summary(*, bill: Bill) -> dict[str, Any]:
    """Per-insurance employee and employer totals, the subsidy, and what is left to pay."""
    names = [n for pair in [*_LINE_SIDES.values(), *_SUBSIDY_SIDES.values()] for n in pair if n]
    values = BillLine.objects.filter(bill=bill).aggregate(**{n: Sum(n) for n in names})
    insurances = {key: _side_sums(values, pair) for key, pair in _LINE_SIDES.items()}
    subsidy = {key: _side_sums(values, pair) for key, pair in _SUBSIDY_SIDES.items()}
    total = {side: sum(item[side] for item in insurances.values()) for side in SIDES}
    subsidy_total = {side: sum(item[side] for item in subsidy.values()) for side in SIDES}
    return {
        "insurances": insurances,
        "total": total,
        "subsidy": {**subsidy, "total": subsidy_total},
        "payable": {side: total[side] - subsidy_total[side] for side in SIDES},
    }


def line_as_dict(line: BillLine) -> dict[str, Any]:
    data: dict[str, Any] = {
        "employee_id": line.employee_id,
        "name": line.employee.name,
        "monthly_wage": line.monthly_wage,
        "pension": {
            "base": line.pension_base,
            "employee": line.pension_employee,
            "employer": line.pension_employer,
        },
    }
    for key, pair in list(_LINE_SIDES.items())[1:]:
        data[key] = {
            side: getattr(line, f) if f else 0 for side, f in zip(SIDES, pair, strict=True)
        }
    data["total"] = {"employee": line.employee_total, "employer": line.employer_total}
    data["subsidy"] = {
        key: {side: getattr(line, f) for side, f in zip(SIDES, pair, strict=True)}
        for key, pair in _SUBSIDY_SIDES.items()
    }
    data["subsidy_reason"] = line.subsidy_reason
    data["counted"] = list(line.trace.get("counted", []))
    data["notes"] = list(line.trace.get("notes", []))
    return data


def line_trace(*, line: BillLine, month: date, rates: RateBook) -> list[TraceStep]:
    """The full step-by-step explanation, rebuilt from the line's stored inputs."""
    inputs = line.trace or {}
    quote = premium_quote(
        monthly_wage=line.monthly_wage,
        month=month,
        employment_band=inputs.get("band") or "under_150",
        industry_code=inputs.get("industry"),
        hired_at_65_or_older=bool(inputs.get("hired_at_65_or_older")),
        regular_workers=inputs.get("workers"),
        rates=rates,
    )
    counted = set(inputs.get("counted", []))
    shown = {"long_term_care": "health"}
    return [step for step in quote.trace if shown.get(step.insurance, step.insurance) in counted]


def bill_as_dict(*, bill: Bill) -> dict[str, Any]:
    """The API shape of a stored bill: totals per insurance and side, then every line."""
    return {
        "workplace_id": bill.workplace_id,
        "month": f"{bill.month:%Y-%m}",
        "computed_at": bill.computed_at,
        "schedule_version": bill.schedule_version,
        "needs_review": bill.needs_review,
        **bill_summary(bill=bill),
        "lines": [line_as_dict(line) for line in bill_lines(bill=bill)],
    }
