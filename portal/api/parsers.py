"""The API's JSON parser: DRF's, refusing what no field of this API takes, before any view runs.

- bytes that are not UTF-8 text, and text that is not JSON: 400 on `body`;
- nesting deeper than MAX_DEPTH (counted on the text, before json.loads, which recurses: a body
  nested 100,000 deep raised RecursionError, a 500): 400 on `body`;
- NaN, Infinity and -Infinity (Python's json reads them, JSON has no such values) and numbers
  too large for a float (1e400 reads as inf): 400 on the field that holds them, rule `finite`;
- a lone surrogate ("\\ud800": no UTF-8 encoding, so no storing, logging or fingerprinting it)
  or a control character other than tab and line breaks (NUL: PostgreSQL stores it neither in
  text nor in jsonb) in any string or key: 400 on the field, rule `surrogate` or
  `control_character`.

Each field is named by its path in the body, `employee.name`, `people[0].months[1].wages`; the
strict serializer fields and the report cleaners then check each field's type, shape and range.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.parsers import JSONParser

from portal import input_rules
from portal.errors import FieldErrors

MAX_DEPTH = 20
# A body with more broken values than this is answered with the first ones.
MAX_ERRORS = 50

# A JSON string (its escapes included), to blank out before counting brackets.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_BODY_ALLOWED_CONTROLS = frozenset("\t\n\r")


class _Constant:
    """Where the body had NaN, Infinity or -Infinity (found with its path by the walk)."""

    def __init__(self, name: str) -> None:
        self.name = name


def nesting_depth(text: str, *, limit: int = MAX_DEPTH) -> int:
    """How deep the arrays and objects of a JSON text nest (counting stops past `limit`)."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def _body_text_problem(value: str) -> str | None:
    """What no string of any body may hold: a lone surrogate, a control character other than
    tab and line breaks. (Each text field then applies its own stricter rule.)"""
    if value.isprintable():
        return None
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return "surrogate"
        if category == "Cc" and char not in _BODY_ALLOWED_CONTROLS:
            return "control_character"
    return None


def _shown(key: str) -> str:
    """A key as it can be named in an answer: unprintable characters as escapes."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in key)


def _path(parent: str, key: str) -> str:
    return f"{parent}.{_shown(key)}" if parent else _shown(key)


def body_check(data: Any) -> None:
    """FieldErrors naming every value (up to MAX_ERRORS) that no field of the API may take."""
    errors = FieldErrors()
    count = 0
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack and count < MAX_ERRORS:
        value, path = stack.pop()
        rule: str | None = None
        if isinstance(value, Mapping):
            for key, item in value.items():
                key_path = _path(path, key)
                key_rule = _body_text_problem(key)
                if key_rule is not None:
                    errors.add(key_path, key_rule, input_rules.message(key_rule, multiline=True))
                    count += 1
                stack.append((item, key_path))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, str):
            rule = _body_text_problem(value)
        elif isinstance(value, _Constant) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            rule = "finite"
        if rule is not None:
            errors.add(path or "body", rule, input_rules.message(rule, multiline=True))
            count += 1
    errors.raise_if_any()


def _body_error(rule: str, message: str) -> FieldErrors:
    return FieldErrors({"body": [(rule, message)]})


class StrictJSONParser(JSONParser):
    """application/json, as DRF's JSONParser (so the schema is the same), strictly."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping | None = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise _body_error(
                "json.encoding", _("본문은 UTF-8로 인코딩한 JSON이어야 합니다.")
            ) from None
        if nesting_depth(text) > MAX_DEPTH:
            raise _body_error(
                "json.depth",
                _("JSON이 너무 깊게 중첩되어 있습니다(배열·객체는 %(limit)d단계까지).")
                % {"limit": MAX_DEPTH},
            )
        try:
            data = json.loads(text, parse_constant=_Constant)
        except json.JSONDecodeError as exc:
            raise _body_error(
                "json.syntax",
                _("본문이 올바른 JSON이 아닙니다(%(line)d행 %(column)d열).")
                % {"line": exc.lineno, "column": exc.colno},
            ) from None
        except RecursionError:  # pragma: no cover - nesting_depth refuses such bodies first
            raise _body_error("json.depth", _("JSON이 너무 깊게 중첩되어 있습니다.")) from None
        except ValueError:  # an integer of more digits than Python converts (4,300)
            raise _body_error("range", input_rules.message("range")) from None
        body_check(data)
        return data
