"""Strict DRF fields for request bodies, and the serializer bases that use them everywhere.

DRF's own fields are lenient where this API must not be: a CharField takes 5 or 5.0 as "5", a
ChoiceField takes 1 for "1", a DateField takes 20261204 and 2026-W49-1 (Python 3.11's
date.fromisoformat) and 2026-1-4, an IntegerField and a DecimalField take Arabic-Indic and
full-width digits, a RegexField's `\\d` matches every script's digits. The fields here refuse all
of that with the rules and sentences of portal.input_rules.

StrictSerializer (and StrictModelSerializer) swap DRF's fields for these in `get_fields`, from the
arguments each field was declared with, so every field a request serializer declares, now or
later, is strict without anyone remembering to make it so; a nested serializer must be strict
too (ImproperlyConfigured otherwise). A text field without a max_length gets
DEFAULT_MAX_LENGTH; a model serializer's text fields keep their column's max_length.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.validators import RegexValidator
from django.db.models import Model
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from portal import input_rules
from portal.input_rules import InputRuleError

DEFAULT_MAX_LENGTH = 1000
DEFAULT_MAX_ITEMS = 1000
BIGINT_MAX = 2**63 - 1
BIGINT_MIN = -(2**63)

_TEXT_RULES = ("string", "control_character", "surrogate", "unprintable")


def column_length(model: type[Model], field_name: str) -> int:
    """The max_length of a model's text column, for a plain serializer's field of it."""
    length = getattr(model._meta.get_field(field_name), "max_length", None)
    if length is None:
        raise ImproperlyConfigured(f"{model.__name__}.{field_name} has no max_length")
    return int(length)


def _messages(*rules: str) -> dict[str, Any]:
    # Lazy: gettext at the time the message is shown, in the request's language.
    from django.utils.functional import lazy

    return {rule: lazy(input_rules.message, str)(rule) for rule in rules}


class CharField(serializers.CharField):
    """A str of printable characters; `multiline=True` also allows tabs and line breaks."""

    default_error_messages = _messages(*_TEXT_RULES)

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        kwargs.setdefault("max_length", DEFAULT_MAX_LENGTH)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        # Before DRF's blank check, which reads str(data) of whatever came.
        if data is not empty and data is not None and not isinstance(data, str):
            self.fail("string")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        try:
            input_rules.text_check(data, multiline=self.multiline)
        except InputRuleError as exc:
            raise serializers.ValidationError(
                input_rules.message(exc.rule, multiline=self.multiline), code=exc.rule
            ) from None
        return super().to_internal_value(data)


class RegexField(CharField):
    """A strict CharField matching `regex`, whose `\\d`, `\\w` and `\\s` are ASCII only."""

    default_error_messages = {"invalid": serializers.RegexField.default_error_messages["invalid"]}

    def __init__(self, regex: str | re.Pattern[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(regex, str):
            regex = re.compile(regex, re.ASCII)
        self.regex = regex
        self.validators.append(RegexValidator(regex, message=self.error_messages["invalid"]))


class ChoiceField(serializers.ChoiceField):
    """A ChoiceField whose text choices take text only (not 1 for "1", nor a list's text)."""

    default_error_messages = _messages("string")

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) and all(isinstance(key, str) for key in self.choices):
            self.fail("string")
        return super().to_internal_value(data)


class IntegerField(serializers.IntegerField):
    """An integer (or integer text of ASCII digits), finite, within a bigint unless narrower."""

    default_error_messages = _messages("finite", "ascii_digits")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_value", BIGINT_MAX)
        kwargs.setdefault("min_value", BIGINT_MIN)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        try:
            return input_rules.integer_from(data)
        except InputRuleError as exc:
            if exc.rule == "range":
                self.fail("max_value", max_value=self.max_value)
            if exc.rule == "integer":
                self.fail("invalid")
            self.fail(exc.rule)
        raise AssertionError("unreachable")  # pragma: no cover


class DecimalField(serializers.DecimalField):
    """A decimal number (or number text of ASCII digits), finite."""

    default_error_messages = _messages("finite", "ascii_digits")

    def to_internal_value(self, data: Any) -> Any:
        try:
            input_rules.decimal_from(data)
        except InputRuleError as exc:
            if exc.rule == "range":
                self.fail("max_string_length")
            self.fail(exc.rule if exc.rule in ("finite", "ascii_digits") else "invalid")
        return super().to_internal_value(data)


class DateField(serializers.DateField):
    """A date written exactly YYYY-MM-DD."""

    default_error_messages = _messages("date_format")

    def __init__(self, **kwargs: Any) -> None:
        # A serializer's own sentence for a wrong date keeps applying.
        messages = kwargs.get("error_messages") or {}
        if "invalid" in messages and "date_format" not in messages:
            kwargs["error_messages"] = {**messages, "date_format": messages["invalid"]}
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> date:
        if isinstance(value, datetime):
            self.fail("datetime")
        try:
            return input_rules.date_from(value)
        except InputRuleError:
            self.fail("date_format")
        raise AssertionError("unreachable")  # pragma: no cover


class ListField(serializers.ListField):
    """A list of at most DEFAULT_MAX_ITEMS strict children unless declared otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", DEFAULT_MAX_ITEMS)
        super().__init__(**kwargs)


class DictField(serializers.DictField):
    """A JSON object of at most DEFAULT_MAX_ITEMS entries whose keys are printable text."""

    default_error_messages = {
        **_messages(*_TEXT_RULES),
        **_messages("too_many"),
    }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            if len(data) > DEFAULT_MAX_ITEMS:
                self.fail("too_many")
            for key in data:
                try:
                    input_rules.text_check(key)
                except InputRuleError as exc:
                    self.fail(exc.rule)
        return super().to_internal_value(data)


# DRF's field class -> its strict counterpart (exact classes: a subclass is someone's own field).
STRICT_FIELDS: dict[type[serializers.Field], type[serializers.Field]] = {
    serializers.CharField: CharField,
    serializers.RegexField: RegexField,
    serializers.ChoiceField: ChoiceField,
    serializers.IntegerField: IntegerField,
    serializers.DecimalField: DecimalField,
    serializers.DateField: DateField,
    serializers.ListField: ListField,
    serializers.DictField: DictField,
}
# Model fields a ModelSerializer maps to text that may hold line breaks.
_MULTILINE_MODEL_FIELDS = ("TextField",)


def strict_field(field: serializers.Field) -> serializers.Field:
    """The strict counterpart of a DRF field, declared with the same arguments (its children
    made strict too); any other field as it is."""
    strict = STRICT_FIELDS.get(type(field))
    if strict is None:
        return field
    args = field._args  # type: ignore[attr-defined]  # what DRF keeps for deepcopy
    kwargs = dict(field._kwargs)  # type: ignore[attr-defined]
    if isinstance(kwargs.get("child"), serializers.Field):
        kwargs["child"] = strict_field(kwargs["child"])
    return strict(*args, **kwargs)


def _check_nested(name: str, field: serializers.Field, owner: type) -> None:
    nested = field.child if isinstance(field, serializers.ListSerializer) else field
    if isinstance(nested, serializers.BaseSerializer) and not isinstance(nested, StrictFields):
        raise ImproperlyConfigured(
            f"{owner.__name__}.{name}: a request serializer's nested serializer "
            f"{type(nested).__name__} must be strict too (portal.serializer_fields)"
        )


# get_fields() with every writable field strict, mixed into a DRF serializer class.
# (Comments, not docstrings: drf-spectacular would copy a docstring into every subclass's schema.)
class StrictFields:
    @property
    def errors(self) -> Any:
        # DRF answers a null (or missing) body with a fixed English "No data provided".
        errors = super().errors  # type: ignore[misc]
        key = api_settings.NON_FIELD_ERRORS_KEY
        details = errors.get(key) if isinstance(errors, dict) else None
        if details and len(details) == 1 and getattr(details[0], "code", None) == "null":
            errors[key] = [
                ErrorDetail(_("JSON 객체를 보내 주세요(본문이 없거나 null입니다)."), "null")
            ]
        return errors

    def get_fields(self) -> dict[str, serializers.Field]:
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[misc]
        for name, field in fields.items():
            if field.read_only:
                continue
            _check_nested(name, field, type(self))
            fields[name] = strict_field(field)
        return fields


class StrictSerializer(StrictFields, serializers.Serializer):
    pass


# Model text fields become strict text of their column's max_length (a TextField multi-line).
class StrictModelSerializer(StrictFields, serializers.ModelSerializer):
    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[type, dict]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if type(model_field).__name__ in _MULTILINE_MODEL_FIELDS and issubclass(
            field_class, serializers.CharField
        ):
            return CharField, {**kwargs, "multiline": True}
        return field_class, kwargs
