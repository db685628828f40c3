"""Every filing deadline rule, in one place (pure, no DB).

A nominal deadline that falls on a Saturday, Sunday, Korean public holiday (대체공휴일 included) or an
operator-added closure day moves to the next business day (민법 제161조 via 행정기본법 제6조①).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from agencies.base import FILING_KINDS
from agencies.registry import agency_codes, insurance_labels

# What agencies take as filings; the two older names are the annual and daily reports' rules
# under the names callers used before those reports became report kinds.
KINDS = (*FILING_KINDS, "annual_wage_report", "daily_work_report")

_WEEKDAYS = "월화수목금토일"
_UNVERIFIED = " [기준 확인 필요]"


@dataclass(frozen=True)
class Deadline:
    due_date: date
    nominal_date: date
    rule: str
    source: str
    shifted_reason: str
    verified: bool = True


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("KR", years=year).keys())


def is_business_day(d: date, *, extra_closures: Iterable[date] = ()) -> bool:
    if d.weekday() >= 5 or d in _public_holidays(d.year):
        return False
    return d not in set(extra_closures)


def next_business_day(d: date, *, extra_closures: Iterable[date] = ()) -> date:
    closures = frozenset(extra_closures)
    while not is_business_day(d, extra_closures=closures):
        d += timedelta(days=1)
    return d


def days_left(due: date, today: date) -> int:
    """Negative once the deadline has passed."""
    return (due - today).days


def _plus_14_days(d: date) -> date:
    return d + timedelta(days=14)


def _fifteenth_of_next_month(d: date) -> date:
    return date(d.year + 1, 1, 15) if d.month == 12 else date(d.year, d.month + 1, 15)


def _march_15_next_year(d: date) -> date:
    return date(d.year + 1, 3, 15)


def _march_10_next_year(d: date) -> date:
    return date(d.year + 1, 3, 10)


@dataclass(frozen=True)
class _Rule:
    nominal: Callable[[date], date]
    text: str
    source: str
    verified: bool = True


_NEXT_15 = "사유 발생일이 속한 달의 다음 달 15일까지"
_DAYS_14 = "사유 발생일로부터 14일 이내"
_ENGINE_DEFAULT = "엔진 기본값(명시 기한 미확인)"


def _rules() -> dict[tuple[str, str], _Rule]:
    r: dict[tuple[str, str], _Rule] = {}
    for agency in ("pension", "employment", "industrial_accident"):
        src = {
            "pension": "국민연금법 제21조①, 시행규칙(조문 미확인); 실무 자료 다수 일치",
            "employment": "고용보험법 시행령 제7조(문언 미확인); 실무 자료 다수 일치",
            "industrial_accident": "보험료징수법(조문 미확인); 실무 자료 다수 일치",
        }[agency]
        r[agency, "hire"] = _Rule(
            _fifteenth_of_next_month, "자격취득일이 속한 달의 다음 달 15일까지", src
        )
        r[agency, "exit"] = _Rule(
            _fifteenth_of_next_month, "자격상실일이 속한 달의 다음 달 15일까지", src
        )
        r[agency, "pay_change"] = _Rule(
            _fifteenth_of_next_month, f"{_NEXT_15}, {_ENGINE_DEFAULT}", src, False
        )
        r[agency, "hire_cancel"] = _Rule(
            _fifteenth_of_next_month, f"{_NEXT_15}, {_ENGINE_DEFAULT}", src, False
        )
    for kind in ("workplace_registration", "workplace_change", "workplace_closure"):
        r["pension", kind] = _Rule(
            _fifteenth_of_next_month, _NEXT_15, "국민연금법 제21조①, 시행규칙(조문 미확인)", False
        )
        r["health", kind] = _Rule(_plus_14_days, _DAYS_14, "국민건강보험법 시행규칙 제3조")
        for agency in ("employment", "industrial_accident"):
            r[agency, kind] = _Rule(
                _plus_14_days, _DAYS_14, "보험료징수법 제11조(문언 미확인)", False
            )
    nhis_src = "국민건강보험법 제8조②·제10조②(문언 미확인); 실무 자료 다수 일치"
    r["health", "hire"] = _Rule(_plus_14_days, "자격취득일로부터 14일 이내", nhis_src)
    r["health", "exit"] = _Rule(_plus_14_days, "자격상실일로부터 14일 이내", nhis_src)
    r["health", "pay_change"] = _Rule(
        _plus_14_days, f"{_DAYS_14}, {_ENGINE_DEFAULT}", "국민건강보험법 시행규칙 제4조⑤", False
    )
    r["health", "hire_cancel"] = _Rule(
        _plus_14_days, f"{_DAYS_14}, {_ENGINE_DEFAULT}", nhis_src, False
    )
    r["health", "annual_wage_report"] = _Rule(
        _march_10_next_year,
        "다음 해 3월 10일까지 보수총액 통보",
        "국민건강보험법 시행규칙 별지 제26호",
        False,
    )
    for agency in ("employment", "industrial_accident"):
        r[agency, "annual_wage_report"] = _Rule(
            _march_15_next_year,
            "다음 해 3월 15일까지 전년도 보수총액 신고",
            "보험료징수법 제16조의10(조문 미확인); 언론 보도로 확인",
        )
        r[agency, "daily_work_report"] = _Rule(
            _fifteenth_of_next_month,
            "근로한 달의 다음 달 15일까지 근로내용확인신고",
            "고용보험법 시행령 제7조·보험료징수법(조문 미확인); 실무 자료 다수 일치",
        )
    for (agency, kind), rule in list(r.items()):
        if kind in ("annual_wage_report", "daily_work_report"):
            r[agency, kind.removesuffix("_report")] = rule
    return r


_RULES = _rules()


def has_deadline(*, agency: str, kind: str) -> bool:
    """False where the agency takes no such report (e.g. NPS has no annual 보수총액 report)."""
    return (agency, kind) in _RULES


def deadline_for(
    *, agency: str, kind: str, event_date: date, extra_closures: Iterable[date] = ()
) -> Deadline:
    """`event_date` is the acquisition date for hire, the loss date (day after the last working
    day) for exit, any day of the wage year for annual_wage_report and any day of the worked month
    for daily_work_report."""
    if agency not in agency_codes() or kind not in KINDS:
        raise ValueError(f"unknown agency/kind: {agency!r}/{kind!r}")
    rule = _RULES.get((agency, kind))
    if rule is None:
        raise ValueError(f"{insurance_labels()[agency]}에는 {kind} 신고 기한이 없습니다.")
    nominal = rule.nominal(event_date)
    closures = frozenset(extra_closures)
    due = next_business_day(nominal, extra_closures=closures)
    shifted = ""
    if due != nominal:
        shifted = f"{_format(nominal)} 휴일이라 다음 영업일로 미뤄짐"
    text = f"{insurance_labels()[agency]}: {rule.text}"
    if not rule.verified:
        text += _UNVERIFIED
    return Deadline(
        due_date=due,
        nominal_date=nominal,
        rule=text,
        source=rule.source,
        shifted_reason=shifted,
        verified=rule.verified,
    )


def _format(d: date) -> str:
    """'2026-02-15(일)이' / '2026-02-14(토)가': the particle follows the weekday syllable."""
    weekday = _WEEKDAYS[d.weekday()]
    particle = "가" if weekday in "화수토" else "이"
    return f"{d.isoformat()}({weekday}){particle}"


_PENALTIES: dict[str, tuple[int, bool, str]] = {
    "pension": (500_000, True, "국민연금법 제131조①1"),
    "health": (5_000_000, False, "국민건강보험법 제119조(미확인, 통상 인용 값)"),
    "employment": (3_000_000, False, "고용보험법 제118조(미확인, 통상 인용 값)"),
    "industrial_accident": (3_000_000, False, "보험료징수법(미확인, 통상 인용 값)"),
}


def penalty_for(agency: str) -> tuple[int, bool, str]:
    """(maximum 과태료 in won, verified, source)."""
    try:
        return _PENALTIES[agency]
    except KeyError:
        raise ValueError(f"unknown agency: {agency!r}") from None
