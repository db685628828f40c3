"""Monthly premium calculator: pure integer arithmetic on won, exact ratios, 10-won truncation.

Rules (domain reference §1-2): every premium is truncated below 10 won (국고금관리법 제47조).
The hot path only does integer `wage * num // den`; everything that depends on the month and
the workplace is resolved once into a `_Context` cached on the RateBook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from premiums.rates import (
    EMPLOYMENT_BANDS,
    Amount,
    Bounds,
    CapFloor,
    EmploymentRates,
    IndustrialAccidentRates,
    RateBook,
    Ratio,
    ratio_percent_text,
)

NEEDS_REVIEW = "기준 확인 필요"
TRUNCATION = "10원 미만 절사"
PUBLIC_SECTOR_INDUSTRY = "9-6"  # 국가·지방자치단체의 사업: no 임금채권부담금
ASBESTOS_MIN_WORKERS = 20


@dataclass(frozen=True, slots=True)
class Share:
    employee: int
    employer: int

    @property
    def total(self) -> int:
        return self.employee + self.employer


@dataclass(frozen=True, slots=True)
class PensionShare:
    base: int
    employee: int
    employer: int

    @property
    def total(self) -> int:
        return self.employee + self.employer


@dataclass(frozen=True, slots=True)
class TraceStep:
    insurance: str
    title: str
    description: str
    rate: str
    source: str
    verified: bool
    adjustment: str
    rounding: str
    employee: int
    employer: int

    @property
    def note(self) -> str:
        return "" if self.verified else NEEDS_REVIEW

    def as_dict(self) -> dict[str, Any]:
        return {
            "insurance": self.insurance,
            "title": self.title,
            "description": self.description,
            "rate": self.rate,
            "source": self.source,
            "verified": self.verified,
            "note": self.note,
            "adjustment": self.adjustment,
            "rounding": self.rounding,
            "employee": self.employee,
            "employer": self.employer,
        }


@dataclass(frozen=True, slots=True)
class _Context:
    pension_rate: Ratio
    pension_bounds: Bounds
    health_rate: Ratio
    health_cap_floor: CapFloor
    ltc_ratio: Ratio
    employment: EmploymentRates
    band: str
    hired_at_65_or_older: bool
    industrial: IndustrialAccidentRates | None
    wage_claim_applies: bool
    asbestos_applies: bool
    # Integer forms used by the hot path.
    p_num: int
    p_den: int
    p_lower: int
    p_upper: int
    h_num: int
    h_den_side: int
    h_cap_side: int
    h_floor_side: int
    l_num: int
    l_den: int
    ee_num: int
    ee_den: int
    er_num: int
    er_den: int
    ia_num: int
    ia_den: int


def _side_of_total(total: int) -> int:
    return total // 2 // 10 * 10


def _build_context(
    rates: RateBook,
    month: date,
    band: str,
    industry_code: str | None,
    hired_at_65_or_older: bool,
    regular_workers: int | None,
) -> _Context:
    if band not in EMPLOYMENT_BANDS:
        raise ValueError(f"unknown employment band {band!r}")
    pension_rate = rates.pension_rate(month)
    bounds = rates.pension_bounds(month)
    health_rate = rates.health_rate(month)
    cap_floor = rates.health_cap_floor(month)
    ltc = rates.ltc_ratio(month)
    employment = rates.employment_rates(month, band)

    # 보험료징수법 제13조③: no 실업급여 premium for people hired at 65+; 고용안정 part stays.
    employee_ei = Fraction(0) if hired_at_65_or_older else _fraction(employment.employee)
    employer_ei = _fraction(employment.employer_stability)
    if not hired_at_65_or_older:
        employer_ei += _fraction(employment.employer_unemployment)

    industrial = None
    wage_claim_applies = industry_code != PUBLIC_SECTOR_INDUSTRY
    asbestos_applies = regular_workers is None or regular_workers >= ASBESTOS_MIN_WORKERS
    iaci = Fraction(0)
    if industry_code:
        industrial = rates.industrial_accident_rates(month, industry_code)
        iaci = _fraction(industrial.industry) + _fraction(industrial.commuting)
        if wage_claim_applies:
            iaci += _fraction(industrial.wage_claim)
        if asbestos_applies:
            iaci += _fraction(industrial.asbestos)

    return _Context(
        pension_rate=pension_rate,
        pension_bounds=bounds,
        health_rate=health_rate,
        health_cap_floor=cap_floor,
        ltc_ratio=ltc,
        employment=employment,
        band=band,
        hired_at_65_or_older=hired_at_65_or_older,
        industrial=industrial,
        wage_claim_applies=wage_claim_applies,
        asbestos_applies=asbestos_applies,
        p_num=pension_rate.numerator,
        p_den=pension_rate.denominator,
        p_lower=bounds.lower.value,
        p_upper=bounds.upper.value,
        h_num=health_rate.numerator,
        h_den_side=health_rate.denominator * 2,
        h_cap_side=_side_of_total(cap_floor.cap.value),
        h_floor_side=_side_of_total(cap_floor.floor.value),
        l_num=ltc.numerator,
        l_den=ltc.denominator,
        ee_num=employee_ei.numerator,
        ee_den=employee_ei.denominator,
        er_num=employer_ei.numerator,
        er_den=employer_ei.denominator,
        ia_num=iaci.numerator,
        ia_den=iaci.denominator,
    )


def _fraction(ratio: Ratio) -> Fraction:
    return Fraction(ratio.numerator, ratio.denominator)


def _won(amount: int) -> str:
    return f"{amount:,}원"


def _sources(*values: Ratio | Amount) -> str:
    return "; ".join(dict.fromkeys(v.source for v in values))


@dataclass(frozen=True, slots=True)
class Quote:
    month: date
    monthly_wage: int
    pension: PensionShare
    health: Share
    long_term_care: Share
    employment: Share
    industrial_accident: Share | None
    _context: _Context

    @property
    def employee_total(self) -> int:
        return (
            self.pension.employee
            + self.health.employee
            + self.long_term_care.employee
            + self.employment.employee
        )

    @property
    def employer_total(self) -> int:
        iaci = self.industrial_accident.employer if self.industrial_accident else 0
        return (
            self.pension.employer
            + self.health.employer
            + self.long_term_care.employer
            + self.employment.employer
            + iaci
        )

    @property
    def total(self) -> int:
        return self.employee_total + self.employer_total

    @property
    def needs_review(self) -> bool:
        return any(not step.verified for step in self.trace)

    @property
    def trace(self) -> list[TraceStep]:
        """Step-by-step explanation for the UI; built on demand to keep bulk billing fast."""
        steps = [self._pension_step(), self._health_step(), self._ltc_step(), self._ei_step()]
        if self.industrial_accident is not None:
            steps.append(self._iaci_step())
        return steps

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month.isoformat(),
            "monthly_wage": self.monthly_wage,
            "pension": {
                "base": self.pension.base,
                "employee": self.pension.employee,
                "employer": self.pension.employer,
            },
            "health": {"employee": self.health.employee, "employer": self.health.employer},
            "long_term_care": {
                "employee": self.long_term_care.employee,
                "employer": self.long_term_care.employer,
            },
            "employment": {
                "employee": self.employment.employee,
                "employer": self.employment.employer,
            },
            "industrial_accident": (
                None
                if self.industrial_accident is None
                else {"employee": 0, "employer": self.industrial_accident.employer}
            ),
            "employee_total": self.employee_total,
            "employer_total": self.employer_total,
            "needs_review": self.needs_review,
            "trace": [step.as_dict() for step in self.trace],
        }

    def _pension_step(self) -> TraceStep:
        ctx = self._context
        rate, bounds = ctx.pension_rate, ctx.pension_bounds
        notes = []
        verified = rate.verified
        used: list[Ratio | Amount] = [rate]
        truncated = self.monthly_wage // 1000 * 1000
        if truncated != self.monthly_wage:
            notes.append(f"1,000원 미만 절사: {_won(self.monthly_wage)} → {_won(truncated)}")
        if truncated < bounds.lower.value:
            notes.append(f"기준소득월액 하한 {_won(bounds.lower.value)} 적용")
            verified = verified and bounds.lower.verified
            used.append(bounds.lower)
        elif truncated > bounds.upper.value:
            notes.append(f"기준소득월액 상한 {_won(bounds.upper.value)} 적용")
            verified = verified and bounds.upper.verified
            used.append(bounds.upper)
        return TraceStep(
            insurance="pension",
            title="국민연금",
            description=(
                f"기준소득월액 {_won(self.pension.base)} × {rate.percent_text()} (근로자·사업주 각각)"
            ),
            rate=rate.percent_text(),
            source=_sources(*used),
            verified=verified,
            adjustment=" / ".join(notes),
            rounding=TRUNCATION,
            employee=self.pension.employee,
            employer=self.pension.employer,
        )

    def _health_step(self) -> TraceStep:
        ctx = self._context
        rate, cap_floor = ctx.health_rate, ctx.health_cap_floor
        notes = ""
        verified = rate.verified
        used: list[Ratio | Amount] = [rate]
        uncapped = self.monthly_wage * ctx.h_num // ctx.h_den_side // 10 * 10
        if uncapped > ctx.h_cap_side:
            notes = f"월 보험료 상한(총액 {_won(cap_floor.cap.value)}) 적용"
            verified = verified and cap_floor.cap.verified
            used.append(cap_floor.cap)
        elif uncapped < ctx.h_floor_side:
            notes = f"월 보험료 하한(총액 {_won(cap_floor.floor.value)}) 적용"
            verified = verified and cap_floor.floor.verified
            used.append(cap_floor.floor)
        return TraceStep(
            insurance="health",
            title="건강보험",
            description=(
                f"보수월액 {_won(self.monthly_wage)} × {ratio_percent_text(rate.numerator, rate.denominator * 2)}"
                f" (총 {rate.percent_text()}의 절반, 근로자·사업주 각각)"
            ),
            rate=rate.percent_text(),
            source=_sources(*used),
            verified=verified,
            adjustment=notes,
            rounding=TRUNCATION,
            employee=self.health.employee,
            employer=self.health.employer,
        )

    def _ltc_step(self) -> TraceStep:
        ratio = self._context.ltc_ratio
        return TraceStep(
            insurance="long_term_care",
            title="장기요양보험",
            description=(
                f"건강보험료(절사 후) {_won(self.health.employee)}"
                f" × {ratio.numerator}/{ratio.denominator} (근로자·사업주 각각)"
            ),
            rate=ratio.percent_text(),
            source=ratio.source,
            verified=ratio.verified,
            adjustment="",
            rounding=TRUNCATION,
            employee=self.long_term_care.employee,
            employer=self.long_term_care.employer,
        )

    def _ei_step(self) -> TraceStep:
        ctx = self._context
        rates = ctx.employment
        stability = rates.employer_stability
        if ctx.hired_at_65_or_older:
            used: list[Ratio | Amount] = [stability]
            description = (
                f"보수월액 {_won(self.monthly_wage)} × 사업주 고용안정·직업능력개발"
                f" {stability.percent_text()} ({EMPLOYMENT_BANDS[ctx.band]})"
            )
            adjustment = "65세 이후 고용: 실업급여 보험료 제외 (보험료징수법 제13조③)"
        else:
            used = [rates.employee, rates.employer_unemployment, stability]
            description = (
                f"보수월액 {_won(self.monthly_wage)} × 근로자 실업급여 {rates.employee.percent_text()};"
                f" 사업주 실업급여 {rates.employer_unemployment.percent_text()}"
                f" + 고용안정·직업능력개발 {stability.percent_text()}"
                f" ({EMPLOYMENT_BANDS[ctx.band]})"
            )
            adjustment = ""
        return TraceStep(
            insurance="employment",
            title="고용보험",
            description=description,
            rate=f"근로자 {_ratio_text(ctx.ee_num, ctx.ee_den)} / 사업주 {_ratio_text(ctx.er_num, ctx.er_den)}",
            source=_sources(*used),
            verified=all(v.verified for v in used),
            adjustment=adjustment,
            rounding=TRUNCATION,
            employee=self.employment.employee,
            employer=self.employment.employer,
        )

    def _iaci_step(self) -> TraceStep:
        ctx = self._context
        rates = ctx.industrial
        assert rates is not None
        parts: list[tuple[str, Ratio]] = [
            (f"업종({rates.industry.label or '업종'})", rates.industry),
            ("출퇴근재해", rates.commuting),
        ]
        skipped = []
        if ctx.wage_claim_applies:
            parts.append(("임금채권부담금", rates.wage_claim))
        else:
            skipped.append("국가·지방자치단체 사업: 임금채권부담금 면제")
        if ctx.asbestos_applies:
            parts.append(("석면피해구제분담금", rates.asbestos))
        else:
            skipped.append(f"상시근로자 {ASBESTOS_MIN_WORKERS}인 미만: 석면피해구제분담금 면제")
        unverified = [name for name, ratio in parts if not ratio.verified]
        if unverified:
            skipped.append(f"{NEEDS_REVIEW}: " + ", ".join(unverified))
        summed = " + ".join(f"{name} {ratio.percent_text()}" for name, ratio in parts)
        return TraceStep(
            insurance="industrial_accident",
            title="산재보험",
            description=f"보수월액 {_won(self.monthly_wage)} × ({summed}) (사업주 전액 부담)",
            rate=_ratio_text(ctx.ia_num, ctx.ia_den),
            source=_sources(*(ratio for _, ratio in parts)),
            verified=not unverified,
            adjustment=" / ".join(skipped),
            rounding=TRUNCATION,
            employee=0,
            employer=self.industrial_accident.employer if self.industrial_accident else 0,
        )


def _ratio_text(numerator: int, denominator: int) -> str:
    return ratio_percent_text(numerator, denominator)


def premium_quote(
    *,
    monthly_wage: int,
    month: date,
    employment_band: str = "under_150",
    industry_code: str | None = None,
    hired_at_65_or_older: bool = False,
    regular_workers: int | None = None,
    rates: RateBook,
) -> Quote:
    """Premiums of one employee for one month.

    `regular_workers` (상시근로자 수) only matters for the asbestos levy, which applies from 20
    workers; when unknown the levy is charged so the quote never understates the bill.
    `industry_code` None means no IACI line (no workplace or industry known).
    """
    if not isinstance(monthly_wage, int) or isinstance(monthly_wage, bool) or monthly_wage < 0:
        raise ValueError("monthly_wage must be a non-negative integer number of won")
    key = (
        month.year * 100 + month.month,
        employment_band,
        industry_code,
        hired_at_65_or_older,
        regular_workers is None or regular_workers >= ASBESTOS_MIN_WORKERS,
    )
    ctx = rates.cache.get(key)
    if ctx is None:
        ctx = _build_context(
            rates, month, employment_band, industry_code, hired_at_65_or_older, regular_workers
        )
        rates.cache[key] = ctx

    base = monthly_wage // 1000 * 1000
    if base < ctx.p_lower:
        base = ctx.p_lower
    elif base > ctx.p_upper:
        base = ctx.p_upper
    pension = base * ctx.p_num // ctx.p_den // 10 * 10

    health = monthly_wage * ctx.h_num // ctx.h_den_side // 10 * 10
    if health > ctx.h_cap_side:
        health = ctx.h_cap_side
    elif health < ctx.h_floor_side:
        health = ctx.h_floor_side
    ltc = health * ctx.l_num // ctx.l_den // 10 * 10

    ei_employee = monthly_wage * ctx.ee_num // ctx.ee_den // 10 * 10
    ei_employer = monthly_wage * ctx.er_num // ctx.er_den // 10 * 10

    iaci = None
    if ctx.industrial is not None:
        iaci = Share(0, monthly_wage * ctx.ia_num // ctx.ia_den // 10 * 10)

    return Quote(
        month.replace(day=1),
        monthly_wage,
        PensionShare(base, pension, pension),
        Share(health, health),
        Share(ltc, ltc),
        Share(ei_employee, ei_employer),
        iaci,
        ctx,
    )
