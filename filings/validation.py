"""Clean and check report input; every failure names the field and the rule in Korean.

Shared by the API, the portal forms and bulk upload, so all three say exactly the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from agencies.codes import (
    EI_LOSS_REASONS,
    NHIS_ACQUISITION_CODES,
    NHIS_FIRST_ACQUISITION,
    NHIS_LOSS_CANCEL,
)
from filings.coverage import (
    EMPLOYMENT_TYPES,
    CoverageInput,
    contract_full_months,
    visa_normalize,
)
from portal import input_rules
from portal.errors import FieldErrors
from portal.identifiers import IdentifierError, PersonNumber, person_number_parse
from portal.input_rules import InputRuleError
from portal.models import Employee, Workplace

MAX_WAGE = 10_000_000_000
MIN_WORKING_AGE = 15  # 근로기준법 제64조: under 15 needs a 취직인허증; we do not file those.
PAST_LIMIT_DAYS = 3 * 365
FUTURE_LIMIT_DAYS = 90


@dataclass(frozen=True)
class HireInput:
    name: str
    number: PersonNumber
    nationality: str
    visa: str
    hire_date: date
    monthly_wage: int
    employment_type: str
    weekly_hours: Decimal | None
    monthly_days: int | None
    job_code: str
    is_representative: bool
    contract_end: date | None
    # 국민연금 취득부호 12: a short-hours worker who asks to join.
    pension_by_request: bool = False
    # 건강보험 취득부호: 00 (최초취득) unless the person comes from elsewhere (05, 07, 06, ...).
    health_acquisition_code: str = "00"

    def coverage_input(self) -> CoverageInput:
        months = None
        if self.contract_end is not None:
            months = contract_full_months(self.hire_date, self.contract_end)
        return CoverageInput(
            birth_date=self.number.birth_date,
            hire_date=self.hire_date,
            employment_type=self.employment_type,
            weekly_hours=self.weekly_hours,
            monthly_days=self.monthly_days,
            monthly_wage=self.monthly_wage,
            nationality=self.nationality,
            visa=self.visa,
            is_representative=self.is_representative,
            contract_months=months,
            pension_by_request=self.pension_by_request,
        )

    def report_data(self) -> dict[str, Any]:
        """What the Report row keeps: no resident number."""
        return {
            "hire_date": self.hire_date.isoformat(),
            "monthly_wage": self.monthly_wage,
            "employment_type": self.employment_type,
            "weekly_hours": str(self.weekly_hours) if self.weekly_hours is not None else None,
            "monthly_days": self.monthly_days,
            "job_code": self.job_code,
            "is_representative": self.is_representative,
            "contract_end": self.contract_end.isoformat() if self.contract_end else None,
            "nationality": self.nationality,
            "visa": self.visa,
            "pension_by_request": self.pension_by_request,
            "health_acquisition_code": self.health_acquisition_code,
        }


def _column(model: type[Any], name: str) -> int:
    return int(model._meta.get_field(name).max_length)


NAME_MAX_LENGTH = _column(Employee, "name")
VISA_MAX_LENGTH = _column(Employee, "visa")
EXIT_DETAIL_MAX_LENGTH = 200
CLOSURE_REASON_MAX_LENGTH = 200
_VISA_TEXT = re.compile(r"[A-Z0-9-]+")
_JOB_CODE = re.compile(r"[0-9]{3}")
_POSTCODE = re.compile(r"[0-9]{5}")
# Digits in groups joined by hyphens (02-123-4567, 010-1234-5678, 1588-1234), 8 to 20 long.
_PHONE = re.compile(r"(?=.{8,20}$)[0-9]+(?:-[0-9]+)*")


def parse_text(
    errors: FieldErrors,
    value: Any,
    field: str,
    *,
    label: str,
    max_len: int,
    required: bool = True,
    multiline: bool = False,
) -> str:
    """Text: a str (not a number, list or object), printable (tabs and line breaks only when
    `multiline`), at most `max_len` long once stripped (portal.input_rules)."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            errors.add(field, "required", f"{label}을(를) 입력해 주세요.")
        return ""
    try:
        text = input_rules.text_check(value, multiline=multiline).strip()
    except InputRuleError as exc:
        message = input_rules.message(exc.rule, label=label, multiline=multiline)
        errors.add(field, exc.rule, message)
        return ""
    if len(text) > max_len:
        errors.add(field, "max_length", f"{label}은(는) {max_len}자 이하여야 합니다.")
    return text


def _text(errors: FieldErrors, data: dict, field: str, *, label: str, max_len: int) -> str:
    return parse_text(errors, data.get(field.split(".")[-1]), field, label=label, max_len=max_len)


def _code(errors: FieldErrors, value: Any, field: str, *, label: str, default: str = "") -> str:
    """A code chosen from a list: text (not 1 for "1"), checked against the list by the caller."""
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        errors.add(field, "string", input_rules.message("string", label=label))
        return ""
    return value.strip()


def parse_date(
    errors: FieldErrors, value: Any, field: str, *, label: str, required: bool = True
) -> date | None:
    """A date written exactly YYYY-MM-DD (20261204, 2026-W49-1 and 2026-1-4 are refused)."""
    if value is None or value == "":
        if required:
            errors.add(field, "required", f"{label}을(를) 입력해 주세요.")
        return None
    try:
        return input_rules.date_from(value)
    except InputRuleError:
        errors.add(field, "date_format", f"{label}은(는) YYYY-MM-DD 형식의 날짜여야 합니다.")
        return None


def _date_window(errors: FieldErrors, value: date | None, field: str, *, label: str) -> None:
    if value is None:
        return
    today = timezone.localdate()
    if value < today - timedelta(days=PAST_LIMIT_DAYS):
        errors.add(
            field, "too_old", f"{label}이(가) 3년보다 오래되었습니다. 공단에 직접 문의해 주세요."
        )
    if value > today + timedelta(days=FUTURE_LIMIT_DAYS):
        errors.add(field, "too_far_ahead", f"{label}은(는) 오늘부터 90일 이내여야 합니다.")


def parse_int(
    errors: FieldErrors,
    value: Any,
    field: str,
    *,
    label: str,
    minimum: int,
    maximum: int,
    required: bool = True,
) -> int | None:
    """An integer (JSON number or text of ASCII digits, thousands commas allowed), finite,
    within [minimum, maximum]."""
    if value is None or value == "":
        if required:
            errors.add(field, "required", f"{label}을(를) 입력해 주세요.")
        return None
    out_of_range = f"{label}은(는) {minimum:,} 이상 {maximum:,} 이하여야 합니다."
    try:
        result = input_rules.integer_from(
            value.replace(",", "") if isinstance(value, str) else value
        )
    except InputRuleError as exc:
        if exc.rule == "range":
            errors.add(field, "range", out_of_range)
        elif exc.rule == "integer":
            errors.add(field, "integer", f"{label}은(는) 정수여야 합니다.")
        else:
            errors.add(field, exc.rule, input_rules.message(exc.rule, label=label))
        return None
    if not minimum <= result <= maximum:
        errors.add(field, "range", out_of_range)
        return None
    return result


def parse_bool(errors: FieldErrors, value: Any, field: str, *, label: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "예", "o"):
        return True
    if text in ("false", "0", "no", "n", "아니오", "x"):
        return False
    errors.add(field, "boolean", f"{label}은(는) 예/아니오(true/false)로 입력해 주세요.")
    return False


# 30 (상실취소) is how a loss is cancelled, never a hire's own code.
HEALTH_ACQUISITION_CHOICES = tuple(c for c in NHIS_ACQUISITION_CODES if c != NHIS_LOSS_CANCEL)
SHORT_HOURS_WEEKLY = Decimal(15)


def hire_clean(data: dict[str, Any]) -> HireInput:
    errors = FieldErrors()
    employee = data.get("employee")
    if not isinstance(employee, dict):
        errors.add("employee", "required", "근로자 정보(employee)를 입력해 주세요.")
        employee = {}
    name = _text(errors, employee, "employee.name", label="성명", max_len=NAME_MAX_LENGTH)
    number = None
    raw_rrn = employee.get("rrn")
    if raw_rrn is None or raw_rrn == "":
        errors.add("employee.rrn", "required", "주민(외국인)등록번호를 입력해 주세요.")
    elif not isinstance(raw_rrn, str):
        errors.add(
            "employee.rrn", "string", input_rules.message("string", label="주민(외국인)등록번호")
        )
    else:
        try:
            number = person_number_parse(raw_rrn)
        except IdentifierError as exc:
            errors.add("employee.rrn", exc.rule, exc.message)
    nationality = _code(
        errors, employee.get("nationality"), "employee.nationality", label="국적", default="KR"
    ).upper()
    if not re.fullmatch(r"[A-Z]{2}", nationality):
        errors.add(
            "employee.nationality", "iso_alpha2", "국적은 ISO 영문 두 글자(예: KR, VN)여야 합니다."
        )
    visa = visa_normalize(
        parse_text(
            errors,
            employee.get("visa"),
            "employee.visa",
            label="체류자격",
            max_len=VISA_MAX_LENGTH,
            required=False,
        )
    )
    if visa and (len(visa) > VISA_MAX_LENGTH or not _VISA_TEXT.fullmatch(visa)):
        errors.add(
            "employee.visa",
            "format",
            f"체류자격은 영문 대문자, 숫자, 하이픈으로 {VISA_MAX_LENGTH}자 이내여야 합니다(예: E-9).",
        )
    if number is not None:
        if number.is_foreigner and nationality == "KR":
            errors.add(
                "employee.nationality",
                "foreigner_nationality",
                "외국인등록번호인데 국적이 대한민국(KR)입니다.",
            )
        if not number.is_foreigner and nationality != "KR":
            errors.add(
                "employee.nationality",
                "national_number",
                "주민등록번호(내국인)인데 국적이 KR이 아닙니다.",
            )
    if nationality != "KR" and not visa:
        errors.add(
            "employee.visa", "required_for_foreigner", "외국인은 체류자격(예: E-9)을 입력해 주세요."
        )
    if nationality == "KR" and visa:
        errors.add("employee.visa", "not_for_nationals", "내국인은 체류자격을 비워 두세요.")

    hire_date = parse_date(errors, data.get("hire_date"), "hire_date", label="입사일(자격취득일)")
    _date_window(errors, hire_date, "hire_date", label="입사일")
    wage = parse_int(
        errors,
        data.get("monthly_wage"),
        "monthly_wage",
        label="월 보수액",
        minimum=0,
        maximum=MAX_WAGE,
    )
    employment_type = _code(
        errors, data.get("employment_type"), "employment_type", label="고용형태"
    )
    if employment_type not in EMPLOYMENT_TYPES:
        errors.add(
            "employment_type",
            "choice",
            "고용형태는 regular(상용), contract(기간제), part_time(단시간), daily(일용) 중 하나여야 합니다.",
        )
    weekly_hours: Decimal | None = None
    raw_hours = data.get("weekly_hours")
    if raw_hours is None or raw_hours == "":
        if employment_type != "daily":
            errors.add("weekly_hours", "required", "주 소정근로시간을 입력해 주세요.")
    else:
        try:
            weekly_hours = input_rules.decimal_from(raw_hours)
            exponent = weekly_hours.as_tuple().exponent
            if (
                not Decimal(0) < weekly_hours <= Decimal(68)
                or not isinstance(exponent, int)
                or exponent < -1
            ):
                raise InputRuleError("range")
        except InputRuleError as exc:
            if exc.rule in ("finite", "ascii_digits"):
                message = input_rules.message(exc.rule, label="주 소정근로시간")
                errors.add("weekly_hours", exc.rule, message)
            else:
                errors.add(
                    "weekly_hours",
                    "range",
                    "주 소정근로시간은 0보다 크고 68 이하(소수 첫째 자리까지)여야 합니다.",
                )
            weekly_hours = None
    monthly_days = parse_int(
        errors,
        data.get("monthly_days"),
        "monthly_days",
        label="월 근로일수",
        minimum=0,
        maximum=31,
        required=employment_type == "daily",
    )
    job_code = _code(errors, data.get("job_code"), "job_code", label="직종부호")
    if not _JOB_CODE.fullmatch(job_code):
        errors.add("job_code", "format", "직종부호는 고용직업분류 숫자 3자리여야 합니다(예: 024).")
    is_rep = parse_bool(
        errors, data.get("is_representative"), "is_representative", label="대표자 여부"
    )
    contract_end = parse_date(
        errors, data.get("contract_end"), "contract_end", label="계약 종료일", required=False
    )
    if contract_end and hire_date and contract_end < hire_date:
        errors.add("contract_end", "after_hire", "계약 종료일은 입사일 이후여야 합니다.")
    if number is not None and hire_date is not None:
        age = (
            hire_date.year
            - number.birth_date.year
            - ((hire_date.month, hire_date.day) < (number.birth_date.month, number.birth_date.day))
        )
        if age < MIN_WORKING_AGE:
            errors.add(
                "hire_date",
                "minimum_age",
                "입사일 기준 만 15세 미만입니다(근로기준법 제64조, 취직인허증 필요).",
            )
    by_request = parse_bool(
        errors, data.get("pension_by_request"), "pension_by_request", label="국민연금 가입 신청"
    )
    if by_request and (weekly_hours is None or weekly_hours >= SHORT_HOURS_WEEKLY):
        errors.add(
            "pension_by_request",
            "short_hours_only",
            "국민연금 가입 신청(취득부호 12)은 월 60시간(주 15시간) 미만 근로자만 할 수 있습니다.",
        )
    health_code = _code(
        errors,
        data.get("health_acquisition_code"),
        "health_acquisition_code",
        label="건강보험 자격취득부호",
        default=NHIS_FIRST_ACQUISITION,
    )
    if health_code not in HEALTH_ACQUISITION_CHOICES:
        allowed = ", ".join(HEALTH_ACQUISITION_CHOICES)
        errors.add(
            "health_acquisition_code",
            "choice",
            f"건강보험 자격취득부호는 {allowed} 중 하나여야 합니다.",
        )
    errors.raise_if_any()
    assert number is not None and hire_date is not None and wage is not None
    return HireInput(
        pension_by_request=by_request,
        health_acquisition_code=health_code,
        name=name,
        number=number,
        nationality=nationality,
        visa=visa,
        hire_date=hire_date,
        monthly_wage=wage,
        employment_type=employment_type,
        weekly_hours=weekly_hours,
        monthly_days=monthly_days,
        job_code=job_code,
        is_representative=is_rep,
        contract_end=contract_end,
    )


@dataclass(frozen=True)
class ExitInput:
    employee_id: int
    last_working_day: date
    loss_date: date
    reason_code: str
    reason_detail: str
    # 보수총액 and months worked, this year and last, for the NHIS and EI/IACI loss reports
    # (domain-rules §4.1, §12.2); None when not given.
    pay_totals: dict[str, int | None] = field(default_factory=dict)

    def report_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "last_working_day": self.last_working_day.isoformat(),
            "loss_date": self.loss_date.isoformat(),
            "reason_code": self.reason_code,
            "reason_detail": self.reason_detail,
        }
        data.update({k: v for k, v in self.pay_totals.items() if v is not None})
        return data


# name -> (label, maximum): a year's 보수총액 in won, and months worked in that year.
EXIT_PAY_TOTALS: dict[str, tuple[str, int]] = {
    "annual_wage_this_year": ("당해연도 보수총액", MAX_WAGE * 12),
    "months_worked_this_year": ("당해연도 근무월수", 12),
    "annual_wage_last_year": ("전년도 보수총액", MAX_WAGE * 12),
    "months_worked_last_year": ("전년도 근무월수", 12),
}


def exit_clean(data: dict[str, Any]) -> ExitInput:
    errors = FieldErrors()
    employee_id = parse_int(
        errors, data.get("employee_id"), "employee_id", label="근로자", minimum=1, maximum=2**62
    )
    last_day = parse_date(
        errors, data.get("last_working_day"), "last_working_day", label="마지막 근무일"
    )
    _date_window(errors, last_day, "last_working_day", label="마지막 근무일")
    reason = _code(errors, data.get("reason_code"), "reason_code", label="상실사유 코드")
    if reason not in EI_LOSS_REASONS:
        allowed = ", ".join(EI_LOSS_REASONS)
        errors.add("reason_code", "choice", f"상실사유 코드는 {allowed} 중 하나여야 합니다.")
    # Free text, kept in the report's jsonb: line breaks allowed, NUL and control characters not.
    detail = parse_text(
        errors,
        data.get("reason_detail"),
        "reason_detail",
        label="구체적 사유",
        max_len=EXIT_DETAIL_MAX_LENGTH,
        required=False,
        multiline=True,
    )
    totals = {
        name: parse_int(
            errors, data.get(name), name, label=label, minimum=0, maximum=maximum, required=False
        )
        for name, (label, maximum) in EXIT_PAY_TOTALS.items()
    }
    months = totals["months_worked_this_year"]
    if last_day is not None and months is not None and months > last_day.month:
        errors.add(
            "months_worked_this_year",
            "max_value",
            f"당해연도 근무월수는 퇴사한 달({last_day.month}월)까지의 {last_day.month}개월을"
            " 넘을 수 없습니다.",
        )
    errors.raise_if_any()
    assert employee_id is not None and last_day is not None
    return ExitInput(
        employee_id=employee_id,
        last_working_day=last_day,
        loss_date=last_day + timedelta(days=1),
        reason_code=reason,
        reason_detail=detail,
        pay_totals=totals,
    )


def pay_change_clean(data: dict[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    employee_id = parse_int(
        errors, data.get("employee_id"), "employee_id", label="근로자", minimum=1, maximum=2**62
    )
    effective = parse_date(errors, data.get("effective_date"), "effective_date", label="변경일")
    _date_window(errors, effective, "effective_date", label="변경일")
    wage = parse_int(
        errors,
        data.get("monthly_wage"),
        "monthly_wage",
        label="월 보수액",
        minimum=0,
        maximum=MAX_WAGE,
    )
    errors.raise_if_any()
    assert effective is not None
    return {
        "employee_id": employee_id,
        "effective_date": effective.isoformat(),
        "monthly_wage": wage,
    }


WORKPLACE_CHANGE_FIELDS = {
    "name": ("사업장 명칭", _column(Workplace, "name")),
    "address": ("소재지", _column(Workplace, "address")),
    "postcode": ("우편번호", _column(Workplace, "postcode")),
    "phone": ("전화번호", _column(Workplace, "phone")),
    "representative_name": ("대표자", _column(Workplace, "representative_name")),
}


def workplace_report_clean(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    effective = parse_date(
        errors, data.get("effective_date"), "effective_date", label="사유 발생일"
    )
    _date_window(errors, effective, "effective_date", label="사유 발생일")
    cleaned: dict[str, Any] = {}
    if kind == "workplace_change":
        changes = data.get("changes")
        if not isinstance(changes, dict) or not changes:
            errors.add("changes", "required", "변경할 항목(changes)을 하나 이상 입력해 주세요.")
            changes = {}
        for key, value in changes.items():
            if key not in WORKPLACE_CHANGE_FIELDS:
                allowed = ", ".join(WORKPLACE_CHANGE_FIELDS)
                errors.add(
                    f"changes.{key}", "unknown_field", f"변경할 수 있는 항목은 {allowed}입니다."
                )
                continue
            label, max_len = WORKPLACE_CHANGE_FIELDS[key]
            cleaned_value = _text(
                errors, {key: value}, f"changes.{key}", label=label, max_len=max_len
            )
            if key == "postcode" and cleaned_value and not _POSTCODE.fullmatch(cleaned_value):
                errors.add(f"changes.{key}", "postcode.format", "우편번호는 숫자(0-9) 5자리입니다.")
            if key == "phone" and cleaned_value and not _PHONE.fullmatch(cleaned_value):
                errors.add(
                    f"changes.{key}",
                    "phone.format",
                    "전화번호는 숫자(0-9)와 하이픈으로 적어 주세요(예: 02-123-4567).",
                )
            cleaned.setdefault("changes", {})[key] = cleaned_value
    if kind == "workplace_closure":
        # Kept in the report's jsonb: line breaks allowed, NUL and control characters not.
        reason = parse_text(
            errors,
            data.get("reason"),
            "reason",
            label="탈퇴(소멸) 사유",
            max_len=CLOSURE_REASON_MAX_LENGTH,
            required=False,
            multiline=True,
        )
        if not reason and "reason" not in errors.fields:
            errors.add(
                "reason", "required", "탈퇴(소멸) 사유를 입력해 주세요(예: 폐업, 근로자 없음)."
            )
        cleaned["reason"] = reason
    errors.raise_if_any()
    assert effective is not None
    cleaned["effective_date"] = effective.isoformat()
    return cleaned


def employee_id_clean(data: dict[str, Any]) -> int:
    """The `employee_id` a report about someone already working here names."""
    errors = FieldErrors()
    employee_id = parse_int(
        errors, data.get("employee_id"), "employee_id", label="근로자", minimum=1, maximum=2**62
    )
    errors.raise_if_any()
    assert employee_id is not None
    return employee_id
