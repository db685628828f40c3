"""근로내용확인신고 (daily and short-term workers, monthly): the month's calendar of one worker.

One report per daily worker and month, filed to employment and industrial-accident insurance
(근로복지공단), due on the 15th of the following month. The filing is itself the worker's EI/IACI
acquisition and loss for those days (고용보험법 시행령 제7조, 기준 확인 필요).

Each month the worker is also checked against the NPS and NHIS thresholds for daily workers
(domain-rules §3: 8 days, 60 hours or 2,200,000 won in a calendar month for NPS; 8 days for
NHIS). Where one is crossed and the agency does not hold the worker, the portal prompts an
acquisition report with the reason: on the report, in the API and as an alert.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from agencies.registry import insurance_labels
from filings.coverage import DAILY_NHIS_MIN_DAYS, DAILY_NPS_MIN_DAYS, DAILY_NPS_MIN_WAGE
from filings.validation import parse_int
from portal import input_rules
from portal.errors import FieldErrors

DAILY_WORK_AGENCIES = ("employment", "industrial_accident")
DAILY_NPS_MIN_HOURS = 60
# 보험구분 of the 근로내용확인신고 row (domain-rules §13, one source: 기준 확인 필요).
INSURANCE_CLASS = {
    frozenset({"industrial_accident"}): "1",
    frozenset({"employment"}): "3",
    frozenset({"employment", "industrial_accident"}): "5",
}
SEPARATION_CODES = ("", "1", "2", "3")


@dataclass(frozen=True)
class DailyWorkInput:
    employee_id: int
    month: date  # the first of the month worked
    days: tuple[int, ...]
    daily_hours: Decimal
    wages: int
    total_pay: int
    nontaxable: int
    income_tax: int
    local_tax: int
    separation_code: str

    @property
    def last_day(self) -> date:
        return self.month.replace(day=max(self.days))

    def report_data(self, *, insurance_class: str) -> dict[str, Any]:
        return {
            "employee_id": self.employee_id,
            "month": f"{self.month:%Y-%m}",
            "days": list(self.days),
            "work_days": len(self.days),
            "daily_hours": str(self.daily_hours),
            "total_hours": str(self.daily_hours * len(self.days)),
            "wages": self.wages,
            "total_pay": self.total_pay,
            "nontaxable": self.nontaxable,
            "income_tax": self.income_tax,
            "local_tax": self.local_tax,
            "separation_code": self.separation_code,
            "insurance_class": insurance_class,
        }


_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")  # ASCII digits only


def _month(errors: FieldErrors, value: Any) -> date | None:
    matched = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    try:
        if matched is None:
            raise ValueError
        first = date(int(matched[1]), int(matched[2]), 1)
    except ValueError:
        errors.add("month", "month_format", "근로월(month)은 YYYY-MM 형식이어야 합니다.")
        return None
    if not date(2000, 1, 1) <= first <= timezone.localdate():
        errors.add("month", "range", "근로월은 2000년 1월부터 이번 달까지여야 합니다.")
        return None
    return first


def _days(errors: FieldErrors, value: Any, month: date | None) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        errors.add("days", "required", "근로한 날(days)을 1일 이상 골라 주세요(예: [3, 4, 10]).")
        return ()
    last = calendar.monthrange(month.year, month.month)[1] if month else 31
    days: set[int] = set()
    for i, item in enumerate(value):
        day = parse_int(errors, item, f"days[{i}]", label="근로일", minimum=1, maximum=last)
        if day is not None and day in days:
            errors.add(f"days[{i}]", "repeated", f"{day}일이 두 번 들어 있습니다.")
        elif day is not None:
            days.add(day)
    return tuple(sorted(days))


def daily_work_clean(data: dict[str, Any]) -> DailyWorkInput:
    errors = FieldErrors()
    employee_id = parse_int(
        errors, data.get("employee_id"), "employee_id", label="근로자", minimum=1, maximum=2**62
    )
    month = _month(errors, data.get("month"))
    days = _days(errors, data.get("days"), month)
    try:
        hours = input_rules.decimal_from(data.get("daily_hours"))
        if not Decimal("0.5") <= hours <= 24 or hours != hours.quantize(Decimal("0.1")):
            raise ValueError
    except (ArithmeticError, ValueError):  # InputRuleError is a ValueError
        errors.add(
            "daily_hours",
            "range",
            "일평균 근로시간(daily_hours)은 0.5~24시간, 소수 첫째 자리까지 적어 주세요.",
        )
        hours = Decimal(0)
    money: dict[str, int | None] = {}
    for name, label, required in (
        ("wages", "보수총액(과세소득)", True),
        ("total_pay", "임금총액", False),
        ("nontaxable", "비과세소득", False),
        ("income_tax", "소득세", False),
        ("local_tax", "지방소득세", False),
    ):
        money[name] = parse_int(
            errors,
            data.get(name),
            name,
            label=label,
            minimum=0,
            maximum=10**10,
            required=required,
        )
    raw_separation = data.get("separation_code")
    separation = raw_separation if isinstance(raw_separation, str) else ""
    # A code is text: 1 is not "1".
    if separation not in SEPARATION_CODES or raw_separation not in (None, separation):
        errors.add(
            "separation_code",
            "choice",
            "이직사유코드(separation_code)는 비워 두거나 1, 2, 3 중 하나여야 합니다.",
        )
    errors.raise_if_any()
    assert employee_id is not None and month is not None and money["wages"] is not None
    wages = money["wages"]
    return DailyWorkInput(
        employee_id=employee_id,
        month=month,
        days=days,
        daily_hours=hours,
        wages=wages,
        total_pay=money["total_pay"] if money["total_pay"] is not None else wages,
        nontaxable=money["nontaxable"] or 0,
        income_tax=money["income_tax"] or 0,
        local_tax=money["local_tax"] or 0,
        separation_code=separation,
    )


def insurance_class_for(agencies: set[str]) -> str:
    """보험구분: 1 산재만, 3 고용만, 5 산재+고용 ('' when neither insurance takes the row)."""
    return INSURANCE_CLASS.get(frozenset(agencies & set(DAILY_WORK_AGENCIES)), "")


@dataclass(frozen=True)
class AcquisitionPrompt:
    agency: str
    reason: str
    acquire_on: str  # the first day worked in the month: when the threshold month began


def thresholds_crossed(data: dict[str, Any]) -> dict[str, str]:
    """agency -> why a month of daily work makes the worker insurable there (NPS, NHIS)."""
    days = int(data.get("work_days") or len(data.get("days") or []))
    hours = Decimal(str(data.get("total_hours") or 0))
    wages = int(data.get("wages") or 0)
    crossed: dict[str, str] = {}
    nps = []
    if days >= DAILY_NPS_MIN_DAYS:
        nps.append(f"월 {DAILY_NPS_MIN_DAYS}일 이상 근로({days}일)")
    if hours >= DAILY_NPS_MIN_HOURS:
        nps.append(f"월 {DAILY_NPS_MIN_HOURS}시간 이상 근로({hours}시간)")
    if wages >= DAILY_NPS_MIN_WAGE:
        nps.append(f"월 소득 {DAILY_NPS_MIN_WAGE:,}원 이상({wages:,}원)")
    if nps:
        crossed["pension"] = (
            f"달력상 한 달 기준 {'·'.join(nps)}이므로 국민연금 사업장가입자 취득 대상입니다"
            "(국민연금법 시행령 제2조)."
        )
    if days >= DAILY_NHIS_MIN_DAYS:
        crossed["health"] = (
            f"월 {DAILY_NHIS_MIN_DAYS}일 이상 근로({days}일)이므로 건강보험 직장가입자 취득 "
            "대상입니다(국민건강보험법 제6조②1, 기준 확인 필요)."
        )
    return crossed


def acquisition_prompts(*, data: dict[str, Any], held: set[str]) -> list[AcquisitionPrompt]:
    """The acquisitions a month of daily work calls for, leaving out the agencies that hold the
    worker already (insured, or an acquisition on its way)."""
    days = data.get("days") or [1]
    month = date.fromisoformat(f"{data['month']}-01")
    acquire_on = month.replace(day=int(min(days))).isoformat()
    labels = insurance_labels()
    return [
        AcquisitionPrompt(agency=agency, reason=reason, acquire_on=acquire_on)
        for agency, reason in thresholds_crossed(data).items()
        if agency not in held and agency in labels
    ]
