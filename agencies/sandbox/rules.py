"""What each agency checks, as pure functions.

The code lists are the sandbox's OWN copy (not imported from agencies.codes): the sandbox plays
the agency, so a wrong code table on our side must show up as a rejection here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

AGENCIES = ("pension", "health", "employment", "industrial_accident")
RECEIPT_PREFIX = {
    "pension": "NPS",
    "health": "NHIS",
    "employment": "EI",
    "industrial_accident": "IACI",
}

NPS_ACQUISITION = {"01", "03", "09", "11", "12", "14", "15"}
NHIS_ACQUISITION = {"00", "04", "05", "06", "07", "10", "13", "14", "29", "30"}
NHIS_REDUCTION = {"00", "11", "12", "21", "22", "24", "31", "32", "41", "42", "81"}
NPS_LOSS = {"1", "3", "4", "5", "6", "9", "15", "16", "19", "20", "21", "22", "26"}
NHIS_LOSS = {"1", "2", "4", "10", "13", "16", "17", "19", "24", "25", "26", "58"}
EI_LOSS = {"11", "12", "22", "23", "26", "31", "32", "41", "42"}
CANCEL = {"pension": ("cancel_code", "26"), "health": ("cancel_code", "16")}
LOSS_CANCEL = {"pension": ("cancel_code", "15"), "health": ("cancel_code", "30")}
COMWEL_CANCEL_ACTION = "취소"

PERSON_FORMS = {
    "acquisition",
    "loss",
    "acquisition_cancel",
    "pay_change",
    "loss_cancel",
    "pay_change_cancel",
    "separation",
    "daily_work",
    "annual_wage",
}
# 근로내용확인신고 goes to COMWEL only; 보수총액 to COMWEL and NHIS (통보).
FORM_AGENCIES = {
    "daily_work": {"employment", "industrial_accident"},
    "annual_wage": {"health", "employment", "industrial_accident"},
}
WORKPLACE_FORMS = {"workplace_registration", "workplace_change", "workplace_closure"}
PAY_FIELD = {
    "pension": "monthly_income",
    "health": "monthly_pay",
    "employment": "monthly_avg_pay",
    "industrial_accident": "monthly_avg_pay",
}
FUTURE_LIMIT = timedelta(days=90)
EARLIEST = date(1960, 1, 1)
FORCED_REJECTION_PREFIX = "반려"


@dataclass(frozen=True)
class Violation:
    """A message the agency refuses to take in at all (HTTP 422)."""

    code: str
    message: str
    field: str


@dataclass(frozen=True)
class Verdict:
    """The agency's decision on a report it took in: accepted, or rejected (반려) with reasons."""

    status: str
    code: str = ""
    message: str = ""


class _Invalid(Exception):
    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.violation = Violation(code, message, field)


def rrn_birth_date(rrn: str) -> date | None:
    """Birth date from a 13-digit RRN (date and gender digit only; no checksum after 2020-10)."""
    if not re.fullmatch(r"\d{13}", rrn or ""):
        return None
    century = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900}.get(rrn[6], 2000)
    try:
        return date(century + int(rrn[:2]), int(rrn[2:4]), int(rrn[4:6]))
    except ValueError:
        return None


def brn_is_valid(brn: str) -> bool:
    """사업자등록번호 check digit (weights 1,3,7,1,3,7,1,3,5 plus floor(d9*5/10))."""
    if not re.fullmatch(r"\d{10}", brn or ""):
        return False
    digits = [int(ch) for ch in brn]
    total = sum(d * w for d, w in zip(digits[:9], (1, 3, 7, 1, 3, 7, 1, 3, 5), strict=True))
    total += digits[8] * 5 // 10
    return (10 - total % 10) % 10 == digits[9]


def _date(
    payload: dict[str, Any], field: str, today: date, *, required: bool = True
) -> date | None:
    raw = payload.get(field)
    if raw in (None, ""):
        if required:
            raise _Invalid("E116", f"{field} 항목이 누락되었습니다.", field)
        return None
    try:
        value = date.fromisoformat(str(raw))
    except ValueError:
        raise _Invalid("E116", "날짜 형식이 올바르지 않습니다 (YYYY-MM-DD).", field) from None
    if value > today + FUTURE_LIMIT:
        raise _Invalid("E117", "90일을 넘는 미래 날짜로는 신고할 수 없습니다.", field)
    if value < EARLIEST:
        raise _Invalid("E117", "날짜가 너무 이릅니다.", field)
    return value


def _amount(payload: dict[str, Any], field: str, *, required: bool = True) -> None:
    value = payload.get(field)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Invalid("E121", "보수액은 0 이상의 정수(원)여야 합니다.", field)


def _code(payload: dict[str, Any], field: str, allowed: set[str], code: str, label: str) -> None:
    if str(payload.get(field, "")) not in allowed:
        raise _Invalid(code, f"{label}가 올바르지 않습니다.", field)


def _person(payload: dict[str, Any], today: date) -> date:
    person = payload.get("person")
    if not isinstance(person, dict):
        raise _Invalid("E112", "가입자 정보가 누락되었습니다.", "person")
    if not str(person.get("name") or "").strip():
        raise _Invalid("E113", "성명이 누락되었습니다.", "person.name")
    birth = rrn_birth_date(str(person.get("rrn") or ""))
    if birth is None or birth > today:
        raise _Invalid(
            "E114", "주민등록번호(외국인등록번호) 형식이 올바르지 않습니다.", "person.rrn"
        )
    if not re.fullmatch(r"[A-Z]{2}", str(person.get("nationality") or "")):
        raise _Invalid("E115", "국적 코드가 올바르지 않습니다.", "person.nationality")
    return birth


def _acquisition(agency: str, payload: dict[str, Any], today: date, birth: date) -> None:
    acquired = _date(payload, "acquisition_date", today)
    if acquired is not None and acquired < birth:
        raise _Invalid("E118", "자격취득일이 생년월일보다 빠릅니다.", "acquisition_date")
    if agency == "pension":
        _code(payload, "acquisition_code", NPS_ACQUISITION, "E120", "자격취득부호")
    elif agency == "health":
        _code(payload, "acquisition_code", NHIS_ACQUISITION, "E120", "자격취득부호")
        if payload.get("reduction_code") not in (None, ""):
            _code(payload, "reduction_code", NHIS_REDUCTION, "E120", "보험료감면부호")
    else:
        if not re.fullmatch(r"\d{3}", str(payload.get("job_code") or "")):
            raise _Invalid("E122", "직종부호는 숫자 3자리여야 합니다.", "job_code")
        hours = payload.get("weekly_hours")
        try:
            hours_ok = hours is not None and not isinstance(hours, bool) and 0 < float(hours) <= 80
        except (TypeError, ValueError):
            hours_ok = False
        if not hours_ok:
            raise _Invalid("E123", "1주 소정근로시간이 올바르지 않습니다.", "weekly_hours")
        end = payload.get("contract_end_month")
        if end is not None:
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(end)):
                raise _Invalid(
                    "E124", "계약종료연월 형식이 올바르지 않습니다 (YYYY-MM).", "contract_end_month"
                )
            if acquired is not None and str(end) < acquired.isoformat()[:7]:
                raise _Invalid("E124", "계약종료연월이 취득일보다 빠릅니다.", "contract_end_month")
    _amount(payload, PAY_FIELD[agency])


def _loss(agency: str, payload: dict[str, Any], today: date) -> None:
    _date(payload, "loss_date", today)
    if agency == "pension":
        _code(payload, "loss_code", NPS_LOSS, "E130", "상실부호")
    elif agency == "health":
        _code(payload, "loss_code", NHIS_LOSS, "E130", "상실부호")
        _amount(payload, "annual_pay_this_year", required=False)
        _amount(payload, "annual_pay_last_year", required=False)
    else:
        _code(payload, "loss_reason_code", EI_LOSS, "E131", "상실사유 코드")
        _amount(payload, "total_pay_this_year", required=False)
        _amount(payload, "total_pay_last_year", required=False)


def _cancel(
    agency: str, payload: dict[str, Any], today: date, *, codes: dict[str, tuple[str, str]]
) -> None:
    _date(payload, "acquisition_date", today, required=False)
    if agency in codes:
        field, expected = codes[agency]
        _code(payload, field, {expected}, "E140", "취득취소 부호")
    elif payload.get("action") != COMWEL_CANCEL_ACTION:
        raise _Invalid("E140", "취소 요청 구분이 올바르지 않습니다.", "action")


def _workplace(payload: dict[str, Any], today: date) -> None:
    workplace = payload.get("workplace")
    if not isinstance(workplace, dict):
        raise _Invalid("E150", "사업장 정보가 누락되었습니다.", "workplace")
    if not brn_is_valid(str(workplace.get("business_registration_number") or "")):
        raise _Invalid(
            "E151", "사업자등록번호가 올바르지 않습니다.", "workplace.business_registration_number"
        )
    if not str(workplace.get("name") or "").strip():
        raise _Invalid("E152", "사업장 명칭이 누락되었습니다.", "workplace.name")
    _date(payload, "effective_date", today)


def check_message(agency: str, payload: Any, *, today: date) -> Violation | None:
    """The intake checks of one agency; None if the message may be taken in."""
    try:
        if not isinstance(payload, dict):
            raise _Invalid("E100", "신고 내용은 JSON 객체여야 합니다.", "body")
        form = payload.get("form")
        if form not in PERSON_FORMS | WORKPLACE_FORMS:
            raise _Invalid("E110", "알 수 없는 신고서식입니다.", "form")
        if not re.fullmatch(r"\d{11}", str(payload.get("management_number") or "")):
            raise _Invalid("E111", "사업장관리번호는 숫자 11자리여야 합니다.", "management_number")
        if form in WORKPLACE_FORMS:
            _workplace(payload, today)
            return None
        birth = _person(payload, today)
        if form in FORM_AGENCIES and agency not in FORM_AGENCIES[form]:
            raise _Invalid("E110", "이 기관이 받지 않는 신고서식입니다.", "form")
        if form == "acquisition":
            _acquisition(agency, payload, today, birth)
        elif form == "loss":
            _loss(agency, payload, today)
        elif form == "acquisition_cancel":
            _cancel(agency, payload, today, codes=CANCEL)
        elif form == "loss_cancel":
            _date(payload, "loss_date", today)
            _cancel(agency, payload, today, codes=LOSS_CANCEL)
        elif form == "separation":
            _date(payload, "separation_date", today)
            _code(payload, "loss_reason_code", EI_LOSS, "E131", "상실사유 코드")
            _amount(payload, "average_daily_wage")
        elif form == "pay_change_cancel":
            _date(payload, "effective_date", today)
            _cancel(agency, payload, today, codes={})
        elif form == "daily_work":
            if not re.fullmatch(r"\d{4}-\d{2}", str(payload.get("month") or "")):
                raise _Invalid("E132", "근로월은 YYYY-MM 형식이어야 합니다.", "month")
            _code(payload, "insurance_class", {"1", "3", "5"}, "E133", "보험구분")
            _amount(payload, "wages")
        elif form == "annual_wage":
            _amount(payload, "year")
            _amount(payload, "total_wages")
        else:
            _date(payload, "effective_date", today)
            _amount(payload, PAY_FIELD[agency])
    except _Invalid as invalid:
        return invalid.violation
    return None


def judge(
    payload: dict[str, Any],
    *,
    acquired_on: str | None,
    workplace_status: str | None,
    lost_acquired_on: str | None = None,
) -> Verdict:
    """The decision (처리완료 or 반려) on a report taken in, given the agency's current books.

    acquired_on: the acquisition date on file for this person at this workplace, if any.
    lost_acquired_on: the acquisition date of the person's last lost membership here, if any.
    workplace_status: 'active' / 'closed' if the workplace registered or closed here, else None.
    """
    form = payload["form"]
    person = payload.get("person") or {}
    if str(person.get("name") or "").startswith(FORCED_REJECTION_PREFIX):
        return Verdict("rejected", "R001", "제출 서류 보완이 필요하여 반려합니다.")
    if form == "workplace_registration":
        if workplace_status == "active":
            return Verdict("rejected", "E106", "이미 성립된 사업장입니다.")
        return Verdict("accepted")
    if workplace_status == "closed":
        return Verdict("rejected", "E107", "보험관계가 소멸된 사업장입니다.")
    if form == "acquisition":
        if acquired_on is not None:
            return Verdict("rejected", "E102", "이미 자격을 취득한 가입자입니다.")
        return Verdict("accepted")
    if form == "daily_work":
        # 근로내용확인신고 is itself the daily worker's acquisition and loss at COMWEL.
        return Verdict("accepted")
    if form in ("separation", "annual_wage"):
        if acquired_on is None and lost_acquired_on is None:
            return Verdict("rejected", "E103", "자격을 취득한 기록이 없는 가입자입니다.")
        return Verdict("accepted")
    if form == "loss_cancel":
        if acquired_on is not None or lost_acquired_on is None:
            return Verdict("rejected", "E108", "취소할 자격상실 내역이 없습니다.")
        return Verdict("accepted")
    if form in ("loss", "pay_change", "pay_change_cancel"):
        if acquired_on is None:
            return Verdict("rejected", "E103", "자격을 취득한 기록이 없는 가입자입니다.")
        if form == "loss" and str(payload["loss_date"]) <= acquired_on:
            return Verdict("rejected", "E104", "상실일은 자격취득일 다음 날 이후여야 합니다.")
        return Verdict("accepted")
    if form == "acquisition_cancel":
        if acquired_on is None:
            return Verdict("rejected", "E105", "취소할 자격취득 내역이 없습니다.")
        return Verdict("accepted")
    return Verdict("accepted")
