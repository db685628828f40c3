"""Which of the four insurances apply to one worker at hire (pure, no DB).

Each insurance gets one `Decision` with a one-sentence Korean reason naming the rule, a short rule id
and `verified=False` where the underlying rule is not confirmed against a primary source.

Out of scope: public officials, private-school teachers and 별정우체국 staff (own pension schemes,
no EI/IACI). Callers must not send them through this engine. Pension reciprocity (국민연금법 제126조
상호주의) is not checked per country either.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

EMPLOYMENT_TYPES = frozenset({"regular", "contract", "part_time", "daily"})

# 주 15시간 is how 월 60시간 is judged in practice (초단시간근로자, 근로기준법 제18조③), so one
# weekly threshold stands in for the monthly 60-hour test everywhere below.
SHORT_HOURS_WEEKLY = Decimal(15)
DAILY_NPS_MIN_DAYS = 8
DAILY_NPS_MIN_WAGE = 2_200_000
DAILY_NHIS_MIN_DAYS = 8

# [UNVERIFIED] commonly quoted 국민연금법 시행령 제111조 list.
NPS_EXCLUDED_VISAS = frozenset({"D-1", "D-2", "D-3", "D-4", "D-6", "F-1", "F-3", "G-1"})
EI_MANDATORY_VISAS = frozenset({"F-2", "F-5", "F-6"})
EI_EPS_VISAS = frozenset({"E-9", "H-2"})  # mandatory; phase-in dates UNVERIFIED
EI_VOLUNTARY_VISAS = frozenset(
    {"F-4", "E-10", "C-4", "D-7", "D-8", "D-9"} | {f"E-{n}" for n in range(1, 8)}
)
EI_EXCLUDED_VISAS = frozenset({"D-2", "D-4"})  # UNVERIFIED

_VISA_RE = re.compile(r"^([A-Z])-?(10|\d)(?:-?\d+)?$")


@dataclass(frozen=True)
class CoverageInput:
    birth_date: date
    hire_date: date
    employment_type: str
    weekly_hours: Decimal | int | None
    monthly_days: int | None
    monthly_wage: int
    nationality: str
    visa: str
    is_representative: bool
    contract_months: int | None = None
    employment_insured_before_65: bool = False
    pension_by_request: bool = False


@dataclass(frozen=True)
class Decision:
    covered: bool
    reason: str
    rule: str
    verified: bool = True
    # The report that carries this insurance instead of 취득/상실 (e.g. "daily_work": a daily
    # worker's EI and IACI go through the monthly 근로내용확인신고).
    via: str = ""


@dataclass(frozen=True)
class EmploymentDecision(Decision):
    unemployment_benefit: bool = False


@dataclass(frozen=True)
class Coverage:
    pension: Decision
    health: Decision
    employment: EmploymentDecision
    industrial_accident: Decision

    def covered_agencies(self) -> list[str]:
        return [name for name, d in self._items() if d.covered]

    def as_dict(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for name, d in self._items():
            item: dict[str, object] = {
                "covered": d.covered,
                "reason": d.reason,
                "rule": d.rule,
                "verified": d.verified,
            }
            if isinstance(d, EmploymentDecision):
                item["unemployment_benefit"] = d.unemployment_benefit
            if d.via:
                item["via"] = d.via
            out[name] = item
        return out

    def _items(self) -> list[tuple[str, Decision]]:
        return [
            ("pension", self.pension),
            ("health", self.health),
            ("employment", self.employment),
            ("industrial_accident", self.industrial_accident),
        ]


def contract_full_months(start: date, end: date) -> int:
    """Whole months in a contract from `start` to `end`, both days included (민법 제160조).

    n months from `start` end on the day before the same day n months later, or on the last
    day of that month when it has no such day. 10 January to 31 January is under one month (0);
    10 January to 15 March is two months and five days (2); 1 to 31 January is one month.
    """
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    while months > 0 and _months_end(start, months) > end:
        months -= 1
    return months


def _months_end(start: date, months: int) -> date:
    year, index = divmod(start.month - 1 + months, 12)
    year += start.year
    month = index + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return date(year, month, last)
    return date(year, month, start.day) - timedelta(days=1)


def visa_normalize(visa: str) -> str:
    """'e9', 'E9', 'E-9-1' -> 'E-9'; 'E10' -> 'E-10'; unparseable input is returned upper-cased."""
    raw = visa.strip().upper().replace(" ", "").replace("_", "-")
    match = _VISA_RE.match(raw)
    if not match:
        return raw
    return f"{match.group(1)}-{match.group(2)}"


def coverage_decide(*, data: CoverageInput) -> Coverage:
    if data.employment_type not in EMPLOYMENT_TYPES:
        raise ValueError(f"unknown employment_type: {data.employment_type!r}")
    facts = _Facts.from_input(data)
    return Coverage(
        pension=_pension(facts),
        health=_health(facts),
        employment=_employment(facts),
        industrial_accident=_industrial_accident(facts),
    )


@dataclass(frozen=True)
class _Facts:
    data: CoverageInput
    age: int
    foreign: bool
    visa: str
    daily: bool
    short_hours: bool
    paid: bool

    @classmethod
    def from_input(cls, data: CoverageInput) -> _Facts:
        weekly = None if data.weekly_hours is None else Decimal(str(data.weekly_hours))
        foreign = data.nationality.strip().upper() != "KR"
        return cls(
            data=data,
            age=_age_on(data.birth_date, data.hire_date),
            foreign=foreign,
            visa=visa_normalize(data.visa) if foreign else "",
            daily=data.employment_type == "daily",
            short_hours=weekly is not None and weekly < SHORT_HOURS_WEEKLY,
            paid=data.monthly_wage > 0,
        )


def _age_on(birth: date, on: date) -> int:
    """만 나이: full years completed on `on`."""
    before_birthday = (on.month, on.day) < (birth.month, birth.day)
    return on.year - birth.year - int(before_birthday)


def _pension(f: _Facts) -> Decision:
    d = f.data
    if f.foreign and not f.visa:
        return Decision(
            False,
            "외국인 근로자의 체류자격이 입력되지 않아 국민연금 적용 여부를 판단할 수 없으니 "
            "체류자격을 확인해 주세요(국민연금법 제126조, 기준 확인 필요).",
            "nps.foreign.visa_missing",
            verified=False,
        )
    if f.foreign and f.visa in NPS_EXCLUDED_VISAS:
        return Decision(
            False,
            f"{f.visa} 체류자격은 국민연금 적용제외 체류자격이라 사업장가입자가 아닙니다"
            "(국민연금법 시행령 제111조, 상실부호 20, 기준 확인 필요).",
            "nps.foreign.excluded_visa",
            verified=False,
        )
    if f.age >= 60:
        return Decision(
            False,
            "만 60세 이상은 국민연금 사업장가입자 적용 대상이 아니며 본인이 원하면 65세까지 "
            "임의계속가입할 수 있습니다(국민연금법 제8조①, 제13조).",
            "nps.age.over_60",
        )
    if not f.daily and d.contract_months is not None and d.contract_months < 1:
        return Decision(
            False,
            "1개월 미만(달력 기준)의 기한을 정하여 사용되는 근로자는 국민연금 사업장가입자가 "
            "아닙니다(국민연금법 시행령 제2조, 기준 확인 필요).",
            "nps.fixed_term.under_1_month",
            verified=False,
        )
    if d.is_representative and not f.paid:
        return Decision(
            False,
            "보수를 받지 않는 대표자는 국민연금 사업장가입자가 아닙니다"
            "(국민연금법 제3조①1, 상실부호 21 무보수 대표이사).",
            "nps.representative.unpaid",
        )
    if f.age < 18:
        # 제8조② makes under-18 workers members by default with an opt-out, so they count as covered.
        return Decision(
            True,
            "만 18세 미만 근로자는 사업장가입자로 보되 본인이 원하지 않으면 가입하지 않을 수 "
            "있습니다(국민연금법 제8조②, 취득부호 03).",
            "nps.age.under_18",
        )
    if d.is_representative:
        return Decision(
            True,
            "보수를 받는 대표자(법인의 이사·임원 포함)는 국민연금 사업장가입자입니다"
            "(국민연금법 제3조①1, 제8조①).",
            "nps.representative.paid",
        )
    if f.daily:
        return _pension_daily(f)
    if f.short_hours and d.pension_by_request:
        return Decision(
            True,
            "월 60시간(주 15시간) 미만이지만 본인이 가입을 신청해 국민연금 사업장가입자로 "
            "취득합니다(국민연금법 시행령 제2조, 취득부호 12).",
            "nps.hours.under_60_by_request",
        )
    if f.short_hours:
        return Decision(
            False,
            "월 60시간(주 15시간) 미만 단시간근로자는 국민연금 사업장가입 대상이 아니며 본인이 "
            "원하면 신청해 가입할 수 있습니다(국민연금법 시행령 제2조, 취득부호 12).",
            "nps.hours.under_60",
        )
    if f.foreign:
        return Decision(
            True,
            "외국인 근로자도 본국이 한국인에게 연금을 적용하지 않는 경우(상호주의)를 빼고 "
            "국민연금 사업장가입자입니다(국민연금법 제126조①).",
            "nps.foreign.covered",
        )
    return Decision(
        True,
        "만 18세 이상 60세 미만 근로자는 국민연금 사업장가입자입니다(국민연금법 제8조①).",
        "nps.default",
    )


def _pension_daily(f: _Facts) -> Decision:
    d = f.data
    if d.contract_months is not None and d.contract_months < 1:
        return Decision(
            False,
            "1개월 미만 고용되는 일용근로자는 국민연금 사업장가입자가 아닙니다"
            "(국민연금법 시행령 제2조).",
            "nps.daily.under_1_month",
        )
    met: list[str] = []
    if (d.monthly_days or 0) >= DAILY_NPS_MIN_DAYS:
        met.append("월 8일 이상 근로")
    if d.weekly_hours is not None and not f.short_hours:
        met.append("월 60시간 이상 근로")
    if d.monthly_wage >= DAILY_NPS_MIN_WAGE:
        met.append("월 소득 220만원 이상")
    if met:
        return Decision(
            True,
            f"일용근로자라도 달력상 한 달 기준 {'·'.join(met)}이면 국민연금 사업장가입자입니다"
            "(국민연금법 시행령 제2조).",
            "nps.daily.covered",
        )
    return Decision(
        False,
        "달력상 한 달 기준 8일 미만·60시간 미만 일하고 소득이 220만원 미만인 일용근로자는 "
        "국민연금 사업장가입자가 아닙니다(국민연금법 시행령 제2조).",
        "nps.daily.not_covered",
    )


def _health(f: _Facts) -> Decision:
    d = f.data
    if d.is_representative and not f.paid:
        return Decision(
            False,
            "보수를 받지 않는 대표자는 건강보험 직장가입자가 아닙니다"
            "(국민건강보험법 제6조②, 상실부호 58 무보수대표자).",
            "nhis.representative.unpaid",
        )
    if d.is_representative:
        return Decision(
            True,
            "보수를 받는 대표자는 건강보험 직장가입자입니다(국민건강보험법 제6조②).",
            "nhis.representative.paid",
        )
    if f.daily:
        if d.contract_months is not None and d.contract_months < 1:
            return Decision(
                False,
                "고용 기간이 1개월 미만인 일용근로자는 건강보험 직장가입자가 아닙니다"
                "(국민건강보험법 제6조②1).",
                "nhis.daily.under_1_month",
            )
        if (d.monthly_days or 0) >= DAILY_NHIS_MIN_DAYS:
            return Decision(
                True,
                "1개월 이상 월 8일 이상 일하는 일용근로자는 건강보험 직장가입자입니다"
                "(국민건강보험법 제6조②1, 기준 확인 필요).",
                "nhis.daily.covered",
                verified=False,
            )
        return Decision(
            False,
            "월 8일 미만 일하는 일용근로자는 건강보험 직장가입자가 아닙니다"
            "(국민건강보험법 제6조②1, 기준 확인 필요).",
            "nhis.daily.not_covered",
            verified=False,
        )
    if not f.daily and d.contract_months is not None and d.contract_months < 1:
        return Decision(
            False,
            "근로계약 기간이 1개월 미만(달력 기준)인 근로자는 건강보험 직장가입자가 아닙니다"
            "(국민건강보험법 제6조②1, 기준 확인 필요).",
            "nhis.fixed_term.under_1_month",
            verified=False,
        )
    if f.short_hours:
        return Decision(
            False,
            "월 60시간(주 15시간) 미만 단시간근로자는 건강보험 직장가입자가 아닙니다"
            "(국민건강보험법 시행령 제9조).",
            "nhis.hours.under_60",
        )
    if f.foreign:
        return Decision(
            True,
            "외국인 근로자도 직장가입자 요건을 갖추면 건강보험 직장가입자입니다"
            "(국민건강보험법 제109조②).",
            "nhis.foreign.covered",
        )
    return Decision(
        True,
        "근로자는 나이와 관계없이 건강보험 직장가입자입니다(국민건강보험법 제6조②).",
        "nhis.default",
    )


def _ei(
    covered: bool,
    reason: str,
    rule: str,
    *,
    benefit: bool | None = None,
    verified: bool = True,
    via: str = "",
) -> EmploymentDecision:
    return EmploymentDecision(
        covered,
        reason,
        rule,
        verified,
        via=via,
        unemployment_benefit=covered if benefit is None else benefit,
    )


def _employment(f: _Facts) -> EmploymentDecision:
    d = f.data
    if d.is_representative:
        return _ei(
            False,
            "대표자는 근로자가 아니므로 고용보험 적용 대상이 아닙니다(고용보험법 제2조1호).",
            "ei.representative",
        )
    foreign_decision = _employment_visa_gate(f)
    if foreign_decision is not None:
        return foreign_decision
    eps = f.foreign and f.visa in EI_EPS_VISAS
    if f.short_hours and not f.daily and (d.contract_months or 0) < 3:
        return _ei(
            False,
            "월 60시간(주 15시간) 미만 근로자는 3개월 이상 계속 일하지 않으면 고용보험 적용 "
            "대상이 아닙니다(고용보험법 제10조①2, 시행령 제3조).",
            "ei.hours.under_60",
        )
    if f.age >= 65 and not d.employment_insured_before_65:
        return _ei(
            True,
            "만 65세 이후 새로 고용된 사람은 실업급여·육아휴직 적용이 제외되고 사업주의 "
            "고용안정·직업능력개발 보험료만 부과됩니다(고용보험법 제10조②"
            + (", 기준 확인 필요)." if eps else ")."),
            "ei.age.hired_65_plus",
            benefit=False,
            verified=not eps,
        )
    if f.age >= 65:
        return _ei(
            True,
            "만 65세 전부터 고용보험에 가입해 계속 고용된 사람은 실업급여를 포함해 계속 "
            "적용됩니다(고용보험법 제10조②).",
            "ei.age.continued_from_before_65",
            verified=not eps,
        )
    if eps:
        return _ei(
            True,
            f"고용허가제 외국인근로자({f.visa})는 고용보험 당연적용 대상입니다"
            "(고용보험법 제10조의2, 적용 시기 기준 확인 필요).",
            "ei.foreign.eps_mandatory",
            verified=False,
        )
    if f.short_hours and not f.daily:
        return _ei(
            True,
            "월 60시간(주 15시간) 미만이라도 3개월 이상 계속 일하면 고용보험 적용 대상입니다"
            "(고용보험법 시행령 제3조).",
            "ei.hours.three_month_exception",
        )
    if f.daily:
        return _ei(
            True,
            "일용근로자는 근로시간과 관계없이 고용보험 적용 대상이며 취득·상실 신고 대신 매월 "
            "근로내용확인신고로 신고합니다(고용보험법 제10조①2 단서, 시행령 제7조).",
            "ei.daily",
            via="daily_work",
        )
    if f.foreign:
        return _ei(
            True,
            f"{f.visa} 체류자격 외국인은 내국인과 같이 고용보험 당연적용 대상입니다"
            "(고용보험법 제10조의2, 시행령 제3조의3).",
            "ei.foreign.mandatory",
        )
    return _ei(True, "근로자는 고용보험 적용 대상입니다(고용보험법 제8조).", "ei.default")


def _employment_visa_gate(f: _Facts) -> EmploymentDecision | None:
    """Visa rules that decide EI on their own; None lets the ordinary rules run."""
    if not f.foreign or f.visa in EI_MANDATORY_VISAS or f.visa in EI_EPS_VISAS:
        return None
    if not f.visa:
        return _ei(
            False,
            "외국인 근로자의 체류자격이 입력되지 않았으니 고용보험 적용 여부를 확인해 주세요"
            "(고용보험법 제10조의2, 기준 확인 필요).",
            "ei.foreign.visa_missing",
            verified=False,
        )
    if f.visa in EI_VOLUNTARY_VISAS:
        return _ei(
            False,
            f"{f.visa} 체류자격은 고용보험 임의가입 대상(본인 신청 시 가입)입니다"
            "(고용보험법 제10조의2, 시행령 제3조의3).",
            "ei.foreign.voluntary",
        )
    if f.visa in EI_EXCLUDED_VISAS:
        return _ei(
            False,
            f"{f.visa} 체류자격은 고용보험 적용 대상이 아닙니다"
            "(고용보험법 제10조의2, 기준 확인 필요).",
            "ei.foreign.excluded_visa",
            verified=False,
        )
    return _ei(
        False,
        f"{f.visa} 체류자격의 고용보험 적용 여부는 엔진에 등록되어 있지 않으니 관할 고용센터에 "
        "확인해 주세요(고용보험법 제10조의2, 기준 확인 필요).",
        "ei.foreign.unknown_visa",
        verified=False,
    )


def _industrial_accident(f: _Facts) -> Decision:
    if f.data.is_representative:
        return Decision(
            False,
            "대표자는 근로자가 아니므로 산재보험 적용 대상이 아닙니다"
            "(산업재해보상보험법 제5조2호).",
            "iaci.representative",
        )
    if f.daily:
        return Decision(
            True,
            "일용근로자도 산재보험 적용 대상이며 취득·상실 신고 대신 매월 근로내용확인신고로 "
            "신고합니다(산업재해보상보험법 제6조, 신고 방식은 기준 확인 필요).",
            "iaci.daily",
            via="daily_work",
        )
    if f.foreign:
        return Decision(
            True,
            "외국인 근로자도 체류자격과 관계없이 산재보험 적용 대상입니다"
            "(산업재해보상보험법 제6조).",
            "iaci.foreign",
        )
    return Decision(
        True,
        "근로자는 나이·근로시간·고용형태와 관계없이 산재보험 적용 대상입니다"
        "(산업재해보상보험법 제6조).",
        "iaci.default",
    )
