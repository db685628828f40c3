"""What a piece of text, a number or a date that a client sends must be, wherever it arrives: the
API's JSON and form bodies and query strings, the portal's forms, uploaded files.

One place for the rules, so the API's strict serializer fields (portal.serializer_fields), its
JSON parser (portal.api.parsers), the report cleaners (filings.validation) and the identifiers
(portal.identifiers) refuse the same input with the same rule and the same sentence:

- text is a `str` (never a number, a list or an object turned into its Python text), without
  lone surrogates, control characters (tab and line breaks only in multi-line text), invisible
  format characters (zero-width space, bidi overrides) or private-use characters (code points
  unassigned in Python's Unicode tables are let through: they may be newer characters);
- digits are ASCII 0-9 (Python's int(), Decimal() and `\\d` also take Arabic-Indic "٠١٢",
  full-width "０１２" and other scripts' digits);
- numbers are finite (no NaN, no Infinity) and of a sane magnitude before any int() is taken
  (Decimal("1e999999999") is finite, and int() of it would take the process's memory);
- a date is exactly YYYY-MM-DD (Python 3.11's date.fromisoformat also takes 20261204 and
  2026-W49-1, and Django's parse_date takes 2026-1-4).
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

# Line breaks and tabs a multi-line text may hold; every other control character is refused.
MULTILINE_ALLOWED = frozenset("\t\n\r\u2028\u2029")
# Beyond this many integer digits a number is refused before it is turned into an int.
MAX_INTEGER_DIGITS = 40

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})


class InputRuleError(ValueError):
    """A broken rule of this module: `rule` names it (see `message`)."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """The rule a text breaks ("surrogate", "control_character", "unprintable"), or None."""
    if value.isprintable():  # no control, format, surrogate, private or unassigned character
        return None
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return "surrogate"
        if category in ("Cc", "Zl", "Zp"):
            if multiline and char in MULTILINE_ALLOWED:
                continue
            return "control_character"
        if category in ("Cf", "Co"):
            return "unprintable"
    return None


def text_check(value: object, *, multiline: bool = False) -> str:
    """The text itself, or InputRuleError: "string" when it is not a str, or text_problem's."""
    if not isinstance(value, str):
        raise InputRuleError("string")
    rule = text_problem(value, multiline=multiline)
    if rule is not None:
        raise InputRuleError(rule)
    return value


def has_foreign_digits(text: str) -> bool:
    """Whether the text holds a digit of another script or width (٠, ０, ², ...)."""
    return any(char.isdigit() and not char.isascii() for char in text)


def _number_text(text: str, kind: str) -> Decimal:
    stripped = text.strip()
    if not _NUMBER.fullmatch(stripped):
        if has_foreign_digits(stripped):
            raise InputRuleError("ascii_digits")
        if stripped.lower().lstrip("+-") in _NOT_FINITE:
            raise InputRuleError("finite")
        raise InputRuleError(kind)
    return Decimal(stripped)


def decimal_from(value: object, *, kind: str = "number") -> Decimal:
    """A finite Decimal of sane magnitude from a JSON number or number text; else InputRuleError
    ("number" or `kind`, "finite", "ascii_digits", "range")."""
    if isinstance(value, bool):
        raise InputRuleError(kind)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InputRuleError("finite")
        number = Decimal(str(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        try:
            number = _number_text(value, kind)
        except InvalidOperation:
            raise InputRuleError(kind) from None
    else:
        raise InputRuleError(kind)
    if not number.is_finite():
        raise InputRuleError("finite")
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise InputRuleError("range")
    return number


def integer_from(value: object) -> int:
    """An int from a JSON integer (or an integral float such as 3e6) or integer text ("12",
    "12.0"); else InputRuleError ("integer", "finite", "ascii_digits", "range")."""
    if isinstance(value, int) and not isinstance(value, bool):
        if len(str(abs(value))) > MAX_INTEGER_DIGITS:
            raise InputRuleError("range")
        return value
    number = decimal_from(value, kind="integer")
    if number != number.to_integral_value():
        raise InputRuleError("integer")
    return int(number)


def date_from(value: object) -> date:
    """A date written exactly YYYY-MM-DD (ASCII digits, a real day); else InputRuleError
    ("date_format"). A date object is taken as it is (a datetime is not a date here)."""
    if isinstance(value, datetime):
        raise InputRuleError("date_format")
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise InputRuleError("date_format")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputRuleError("date_format") from None


def message(rule: str, *, label: str = "", multiline: bool = False) -> str:
    """The Korean sentence for a rule of this module, led by the field's label when given."""
    messages = {
        "string": _("문자열로 보내 주세요(숫자, 목록, 객체는 안 됩니다)."),
        "control_character": (
            _("제어 문자(NUL 등)는 쓸 수 없습니다. 줄바꿈과 탭은 됩니다.")
            if multiline
            else _("제어 문자(NUL, 탭, 줄바꿈 등)는 쓸 수 없습니다.")
        ),
        "surrogate": _("짝이 없는 서로게이트 문자(예: \\ud800)는 쓸 수 없습니다."),
        "unprintable": _(
            "보이지 않는 서식 문자나 사용자 정의 문자(예: U+200B, U+202E, U+E000)는 쓸 수 없습니다."
        ),
        "ascii_digits": _("숫자는 0-9로 적어 주세요(전각 숫자나 다른 문자의 숫자는 안 됩니다)."),
        "finite": _("유한한 수여야 합니다(NaN, Infinity는 안 됩니다)."),
        "integer": _("정수여야 합니다."),
        "number": _("숫자여야 합니다."),
        "range": _("값이 너무 큽니다."),
        "too_many": _("항목이 너무 많습니다."),
        "date_format": _("날짜는 YYYY-MM-DD 형식이어야 합니다(예: 2026-03-02)."),
    }
    text = messages[rule]
    return f"{label}: {text}" if label else text
