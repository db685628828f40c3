"""이직확인서 (separation report): for an exit whose EI loss reason can give unemployment benefit,
the wage and working-day details 근로복지공단 asks for, filed to employment insurance only.

Which loss reasons can give benefit is kept here as data (기준 확인 필요): involuntary losses
(22, 23, 31, 32) and 12 (a justified resignation). The prefill takes the three calendar months
before the separation at the employee's monthly wage; the employer corrects it before filing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from filings.validation import parse_date, parse_int
from portal.errors import FieldErrors
from portal.models import Employee

BENEFIT_REASON_CHOICES = ["12", "22", "23", "31", "32"]
BENEFIT_REASONS = frozenset(BENEFIT_REASON_CHOICES)
MAX_WAGE_MONTHS = 4


@dataclass(frozen=True)
class SeparationInput:
    employee_id: int
    last_working_day: date
    reason_code: str
    daily_hours: int
    insured_days: int
    wage_months: list[dict[str, Any]]

    def report_data(self) -> dict[str, Any]:
        return {
            "employee_id": self.employee_id,
            "last_working_day": self.last_working_day.isoformat(),
            "reason_code": self.reason_code,
            "daily_hours": self.daily_hours,
            "insured_days": self.insured_days,
            "wage_months": self.wage_months,
            "average_daily_wage": average_daily_wage(self.wage_months),
        }


def average_daily_wage(wage_months: list[dict[str, Any]]) -> int:
    """평균임금: the wages of the period divided by its calendar days, in whole won (floor)."""
    days = sum(int(m["days"]) for m in wage_months)
    return sum(int(m["wages"]) for m in wage_months) // days if days else 0


def separation_clean(data: dict[str, Any]) -> SeparationInput:
    errors = FieldErrors()
    employee_id = parse_int(
        errors, data.get("employee_id"), "employee_id", label="근로자", minimum=1, maximum=2**63 - 1
    )
    last_day = parse_date(
        errors, data.get("last_working_day"), "last_working_day", label="마지막 근무일"
    )
    raw_reason = data.get("reason_code")
    reason = raw_reason if isinstance(raw_reason, str) else ""  # a code is text: 12 is not "12"
    if reason not in BENEFIT_REASONS:
        errors.add(
            "reason_code",
            "no_benefit",
            "이직확인서는 실업급여를 받을 수 있는 상실사유(12, 22, 23, 31, 32)에만 냅니다"
            "(기준 확인 필요).",
        )
    hours = parse_int(
        errors,
        data.get("daily_hours"),
        "daily_hours",
        label="1일 소정근로시간",
        minimum=1,
        maximum=24,
    )
    insured = parse_int(
        errors,
        data.get("insured_days"),
        "insured_days",
        label="피보험단위기간(일)",
        minimum=0,
        maximum=10_000,
    )
    months = data.get("wage_months")
    cleaned: list[dict[str, Any]] = []
    if not isinstance(months, list) or not 1 <= len(months) <= MAX_WAGE_MONTHS:
        errors.add("wage_months", "length", "평균임금 산정 기간은 1~4개 구간으로 적어 주세요.")
    else:
        for i, month in enumerate(months):
            field = f"wage_months[{i}]"
            if not isinstance(month, dict):
                errors.add(field, "object", "구간마다 start, end, days, wages를 적어 주세요.")
                continue
            start = parse_date(errors, month.get("start"), f"{field}.start", label="시작일")
            end = parse_date(errors, month.get("end"), f"{field}.end", label="종료일")
            days = parse_int(
                errors, month.get("days"), f"{field}.days", label="일수", minimum=1, maximum=31
            )
            wages = parse_int(
                errors,
                month.get("wages"),
                f"{field}.wages",
                label="임금총액",
                minimum=0,
                maximum=10**10,
            )
            if start and end and end < start:
                errors.add(f"{field}.end", "after_start", "종료일은 시작일 이후여야 합니다.")
            if start and end and days is not None and wages is not None:
                cleaned.append(
                    {
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        "days": days,
                        "wages": wages,
                    }
                )
    errors.raise_if_any()
    assert employee_id is not None and last_day is not None
    assert hours is not None and insured is not None
    return SeparationInput(employee_id, last_day, reason, hours, insured, cleaned)


def separation_prefill(*, employee: Employee, last_working_day: date) -> dict[str, Any]:
    """The three calendar months before the separation at the employee's monthly wage, the days
    insured since hire (capped at the 18-month base period) and 8 hours a day."""
    months = []
    end = last_working_day
    for _ in range(3):
        start = max(end.replace(day=1), employee.hire_date or end.replace(day=1))
        days = (end - start).days + 1
        in_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - start.replace(day=1)
        wages = employee.monthly_wage * days // in_month.days  # a part month, pro rata
        months.append(
            {"start": start.isoformat(), "end": end.isoformat(), "days": days, "wages": wages}
        )
        end = start - timedelta(days=1)
        if employee.hire_date and end < employee.hire_date:
            break
    hired = employee.hire_date or last_working_day
    return {
        "kind": "separation",
        "employee_id": employee.pk,
        "last_working_day": last_working_day.isoformat(),
        "daily_hours": 8,
        "insured_days": min((last_working_day - hired).days + 1, 548),
        "wage_months": list(reversed(months)),
    }
