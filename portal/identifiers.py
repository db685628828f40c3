"""Korean identifiers: 주민등록번호, 외국인등록번호, 사업자등록번호, 사업장관리번호.

python-stdnum is not enough here: its RRN check rejects numbers issued from 2020-10-05 (the last
six digits became random) and its BRN check ignores the check digit (domain-rules.md §6).
Every failure names the broken rule in a Korean sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from portal.input_rules import has_foreign_digits

RANDOM_SERIAL_FROM = date(2020, 10, 5)
_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
# Gender/century digit -> (century, sex, foreigner)
_GENDER_DIGIT = {
    "9": (1800, "M", False),
    "0": (1800, "F", False),
    "1": (1900, "M", False),
    "2": (1900, "F", False),
    "3": (2000, "M", False),
    "4": (2000, "F", False),
    "5": (1900, "M", True),
    "6": (1900, "F", True),
    "7": (2000, "M", True),
    "8": (2000, "F", True),
}


class IdentifierError(ValueError):
    """A broken identifier rule; `message` is the Korean sentence shown to users."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule


@dataclass(frozen=True)
class PersonNumber:
    digits: str
    birth_date: date
    sex: str
    is_foreigner: bool

    @property
    def masked(self) -> str:
        return mask_rrn(self.digits)


def _digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def _ascii_digits(digits: str, *, what: str, rule: str) -> None:
    """Digits of another script or width (Arabic-Indic ٠١٢, full-width ０１２) are refused by
    name: Python's int() and `\\d` take them, the agencies do not."""
    if has_foreign_digits(digits):
        raise IdentifierError(
            f"{what}는 숫자 0-9로 적어 주세요(전각 숫자나 다른 문자의 숫자는 안 됩니다).",
            rule=rule,
        )


# Anything shaped like a resident or foreigner number inside free text (logs, agency answers).
_NUMBER_IN_TEXT = re.compile(r"(?<!\d)(\d{6})-?(\d)\d{6}(?!\d)")


def mask_rrn_text(text: str) -> str:
    """Mask every 13-digit number in a text as YYMMDD-G******."""
    return _NUMBER_IN_TEXT.sub(r"\1-\2******", text)


def mask_rrn(digits: str) -> str:
    """900101-1****** : birth date and gender digit stay, the serial is hidden."""
    d = _digits(digits)
    return f"{d[:6]}-{d[6]}******" if len(d) == 13 else "******-*******"


def rrn_check_digit(digits12: str) -> int:
    total = sum(int(c) * w for c, w in zip(digits12, _RRN_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def person_number_parse(value: str, *, issued_on: date | None = None) -> PersonNumber:
    """Parse and check a 주민등록번호 or 외국인등록번호.

    The check digit is only enforced for numbers that must have one: issued before 2020-10-05.
    We rarely know the issue date, so a number whose holder was born on or after that day is
    treated as new; for older holders a failing check digit is accepted only when the caller says
    the number was issued later (re-issued numbers exist).
    """
    d = _digits(value)
    _ascii_digits(d, what="주민등록번호", rule="rrn.ascii_digits")
    if not re.fullmatch(r"[0-9]{13}", d):
        raise IdentifierError(
            "주민등록번호는 숫자 13자리여야 합니다(앞 6자리-뒤 7자리).", rule="rrn.format"
        )
    g = d[6]
    century, sex, foreigner = _GENDER_DIGIT[g]
    try:
        birth = date(century + int(d[0:2]), int(d[2:4]), int(d[4:6]))
    except ValueError:
        raise IdentifierError(
            "주민등록번호 앞 6자리가 올바른 생년월일(YYMMDD)이 아닙니다.", rule="rrn.birth_date"
        ) from None
    if birth > timezone.localdate():
        raise IdentifierError(
            "주민등록번호의 생년월일이 미래 날짜입니다.", rule="rrn.birth_date_future"
        )
    issued_late = (issued_on or birth) >= RANDOM_SERIAL_FROM
    if not issued_late and rrn_check_digit(d[:12]) != int(d[12]):
        kind = "외국인등록번호" if foreigner else "주민등록번호"
        raise IdentifierError(
            f"{kind}의 마지막 검증 숫자가 맞지 않습니다(2020년 10월 5일 이전 발급 번호 규칙).",
            rule="rrn.check_digit",
        )
    return PersonNumber(digits=d, birth_date=birth, sex=sex, is_foreigner=foreigner)


def brn_check_digit(digits9: str) -> int:
    total = sum(int(c) * w for c, w in zip(digits9, _BRN_WEIGHTS, strict=True))
    total += int(digits9[8]) * 5 // 10
    return (10 - total % 10) % 10


def brn_validate(value: str) -> str:
    """사업자등록번호: 10 digits, last one a check digit. Returns the bare digits."""
    d = _digits(value)
    _ascii_digits(d, what="사업자등록번호", rule="brn.ascii_digits")
    if not re.fullmatch(r"[0-9]{10}", d):
        raise IdentifierError("사업자등록번호는 숫자 10자리여야 합니다.", rule="brn.format")
    if d[:3] == "000" or d[3:5] == "00" or d[5:9] == "0000":
        raise IdentifierError(
            "사업자등록번호의 세무서·구분·일련번호 자리는 0만으로 될 수 없습니다.",
            rule="brn.component",
        )
    if brn_check_digit(d[:9]) != int(d[9]):
        raise IdentifierError(
            "사업자등록번호의 마지막 검증 숫자가 맞지 않습니다.", rule="brn.check_digit"
        )
    return d


def brn_format(digits: str) -> str:
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def management_number_validate(value: str) -> str:
    """사업장관리번호: 11 digits (BRN + one 구분 digit, treated as opaque; domain-rules.md §6)."""
    d = _digits(value)
    _ascii_digits(d, what="사업장관리번호", rule="mgmt.ascii_digits")
    if not re.fullmatch(r"[0-9]{11}", d):
        raise IdentifierError("사업장관리번호는 숫자 11자리여야 합니다.", rule="mgmt.format")
    return d


def management_number_format(digits: str) -> str:
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:10]}-{digits[10]}"
