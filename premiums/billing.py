"""Monthly bill rules without a database: which insurances a person pays in a month, and 두루누리.

Domain reference §5.2 (membership months) and §7 (두루누리). Kept pure so the rules are tested
directly and the bill service only fetches rows and stores results.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

SUBSIDY_MAX_HEADCOUNT = 10  # fewer than 10 regular workers
SUBSIDY_WAGE_LIMIT = 2_700_000  # 월평균보수 under 2.7M won (2025 and 2026)
SUBSIDY_MAX_MONTHS = 36
SUBSIDY_NUMERATOR, SUBSIDY_DENOMINATOR = 80, 100
# UNVERIFIED: sources disagree whether "new subscriber" means no NPS/EI acquisition in the last 6
# or 12 months (domain reference §7, §10 item 10). We take 12, the stricter reading, so the portal
# never promises a subsidy the agencies then refuse.
SUBSIDY_LOOKBACK_MONTHS = 12

INSURANCES = ("pension", "health", "employment", "industrial_accident")


def month_start(value: date) -> date:
    return value.replace(day=1)


def month_end(value: date) -> date:
    return value.replace(day=calendar.monthrange(value.year, value.month)[1])


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from earlier's month to later's month (same month = 0)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def months_before(value: date, months: int) -> date:
    index = value.year * 12 + value.month - 1 - months
    year, month0 = divmod(index, 12)
    day = min(value.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


@dataclass(frozen=True, slots=True)
class MonthCounting:
    pension: bool
    health: bool
    employment: bool
    industrial_accident: bool
    notes: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return self.pension or self.health or self.employment or self.industrial_accident

    def counted(self) -> list[str]:
        return [name for name in INSURANCES if getattr(self, name)]

    def joined(self, other: MonthCounting) -> MonthCounting:
        """Both answers together (agencies whose periods differ are counted separately)."""
        notes = self.notes + tuple(n for n in other.notes if n not in self.notes)
        return MonthCounting(
            self.pension or other.pension,
            self.health or other.health,
            self.employment or other.employment,
            self.industrial_accident or other.industrial_accident,
            notes,
        )


@dataclass(frozen=True, slots=True)
class Covered:
    """Which insurances cover the person (the coverage decision taken at hire)."""

    pension: bool = True
    health: bool = True
    employment: bool = True
    industrial_accident: bool = True
    # None: the snapshot does not say (then the ages decide hired_at_65_or_older).
    unemployment_benefit: bool | None = None

    @classmethod
    def from_snapshot(cls, coverage: dict[str, Any]) -> Covered:
        # No snapshot (employees entered before coverage decisions existed) means an ordinary
        # regular employee, who is covered by all four insurances.
        def flag(name: str) -> bool:
            item = coverage.get(name)
            return bool(item.get("covered", True)) if isinstance(item, dict) else True

        employment = coverage.get("employment")
        benefit = None
        if isinstance(employment, dict) and "unemployment_benefit" in employment:
            benefit = bool(employment["unemployment_benefit"])
        return cls(
            flag("pension"),
            flag("health"),
            flag("employment"),
            flag("industrial_accident"),
            benefit,
        )


_ALL_COVERED = (True, True, True, True)
_LABELS = (
    ("pension", "국민연금"),
    ("health", "건강보험"),
    ("employment", "고용보험"),
    ("industrial_accident", "산재보험"),
)
_FULL_MONTH = MonthCounting(True, True, True, True)


@lru_cache(maxsize=512)
def _month_bounds(month: date) -> tuple[date, date]:
    return month_start(month), month_end(month)


def month_counting(
    *,
    month: date,
    hire_date: date | None,
    loss_date: date | None,
    covered: Covered,
    note_uncovered: bool = True,
) -> MonthCounting:
    """Which insurances charge this person for `month`.

    NPS and health (reference §5.2; 국민연금법 제17조①, 국민건강보험법 제69조②): from the month
    after acquisition, or the acquisition month itself when acquired on the 1st, up to the month
    that contains the day before the loss date. A loss dated the 1st leaves that month out; a
    mid-month leaver pays for the month. NPS does not charge someone who acquires on the 1st and
    loses in the same month (unless they ask to pay); health does.
    EI and IACI are charged on pay actually earned, so any day employed in the month counts.
    """
    start, end = _month_bounds(month)
    acquired = hire_date is None or hire_date <= start
    leaves = loss_date is not None and loss_date <= end
    flags = (covered.pension, covered.health, covered.employment, covered.industrial_accident)
    if acquired and not leaves and flags == _ALL_COVERED:
        return _FULL_MONTH  # the common case, kept cheap for bills of thousands of lines
    # A loss on the 1st of this month ends coverage with the month before.
    employed = (hire_date is None or hire_date <= end) and (loss_date is None or loss_date > start)
    if not employed:
        return MonthCounting(False, False, False, False)
    notes: list[str] = []
    if not acquired:
        notes.append(
            f"국민연금·건강보험: 자격취득일({hire_date:%Y-%m-%d})이 1일이 아니어서 취득월은"
            " 부과하지 않습니다."
        )
    pension = acquired and covered.pension
    health = acquired and covered.health
    if leaves and acquired:
        notes.append(
            f"국민연금·건강보험: 자격상실일({loss_date:%Y-%m-%d})의 전날이 속한 달까지"
            " 부과합니다(국민연금법 제17조①, 국민건강보험법 제69조②)."
        )
    if pension and leaves and hire_date == start:
        pension = False
        notes.append(
            "국민연금: 1일에 취득하고 같은 달에 상실하면 납부를 신청하지 않는 한 부과하지"
            " 않습니다(국민연금법 제17조①)."
        )
    employment, industrial = covered.employment, covered.industrial_accident
    if (not acquired or leaves) and (employment or industrial):
        # The agencies charge entry and exit months on pay actually earned; we only hold a
        # monthly wage, so the month is charged in full and flagged.
        notes.append(
            "고용·산재보험: 입사·퇴사월은 실제 보수로 부과되므로 월 보수 전액 기준 금액과"
            " 다를 수 있습니다(기준 확인 필요)."
        )
    for (_name, label), flag in zip(_LABELS, flags, strict=True):
        if not flag and note_uncovered:
            notes.append(f"{label}: 적용 제외 근로자입니다.")
    return MonthCounting(pension, health, employment, industrial, tuple(notes))


def hired_at_65_or_older(
    *, covered: Covered, birth_date: date | None, hire_date: date | None
) -> bool:
    """The coverage snapshot decides (it knows about coverage held before 65); else the ages."""
    if covered.unemployment_benefit is not None:
        return covered.employment and not covered.unemployment_benefit
    if birth_date is None or hire_date is None:
        return False
    age = hire_date.year - birth_date.year
    if (hire_date.month, hire_date.day) < (birth_date.month, birth_date.day):
        age -= 1
    return age >= 65


@dataclass(frozen=True, slots=True)
class SubsidyDecision:
    pension: bool
    employment: bool
    reason: str
    problems: tuple[str, ...] = field(default=())

    @property
    def eligible(self) -> bool:
        return self.pension or self.employment


def subsidy_decide(
    *,
    month: date,
    headcount: int,
    monthly_wage: int,
    hire_date: date | None,
    is_korean: bool,
    earlier_acquisition: bool,
) -> SubsidyDecision:
    """두루누리 사회보험료 지원 (reference §7): 80% of the NPS and EI shares of both sides.

    The NPS part is for Korean nationals only (국민연금법 제100조의3 "국민인 근로자"); whether
    foreigners get the EI part is UNVERIFIED, and we grant it as the programme text does.
    Income and property exclusions (종합소득, 재산세 과세표준) are not known to the portal.
    """
    problems: list[str] = []
    if headcount >= SUBSIDY_MAX_HEADCOUNT:
        problems.append(f"상시근로자 {SUBSIDY_MAX_HEADCOUNT}명 이상 사업장({headcount}명)")
    if monthly_wage >= SUBSIDY_WAGE_LIMIT:
        problems.append(f"월평균보수 {SUBSIDY_WAGE_LIMIT:,}원 이상({monthly_wage:,}원)")
    if hire_date is None:
        problems.append("자격취득일 미등록")
    else:
        elapsed = months_between(hire_date, month)
        if elapsed >= SUBSIDY_MAX_MONTHS:
            problems.append(f"자격취득 후 {SUBSIDY_MAX_MONTHS}개월 지원기간 경과")
        if earlier_acquisition:
            problems.append(
                f"신규가입자 아님(취득 전 {SUBSIDY_LOOKBACK_MONTHS}개월 안에 다른 가입 이력)"
            )
    if problems:
        return SubsidyDecision(
            False, False, "두루누리 지원 제외: " + ", ".join(problems), tuple(problems)
        )
    if not is_korean:
        return SubsidyDecision(
            False,
            True,
            "두루누리 지원: 고용보험 80% (국민연금 지원은 대한민국 국민만 해당)",
        )
    return SubsidyDecision(True, True, "두루누리 지원: 국민연금·고용보험 80%")


def subsidy_amount(premium: int) -> int:
    # UNVERIFIED rounding of the subsidy itself; we truncate below 10 won like the premiums.
    return premium * SUBSIDY_NUMERATOR // SUBSIDY_DENOMINATOR // 10 * 10


def month_parse(value: str) -> date | None:
    """ "YYYY-MM" to the month's first day; None when the text is not such a month."""
    text = (value or "").strip()
    digits = text[:4] + text[5:]
    # ASCII only: str.isdigit() is also true of ٢, ２ and ², which int() reads or refuses.
    if len(text) != 7 or text[4] != "-" or not (digits.isascii() and digits.isdigit()):
        return None
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or year < 1988:
        return None
    return date(year, month, 1)
