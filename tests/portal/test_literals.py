"""Values written as SQL literals (portal.literals) reach PostgreSQL exactly as sent."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.models.fields.json import JSONField
from psycopg2.extensions import Binary

from filings.models import SubmissionStatus
from portal.literals import literals_usable, sql_literal
from portal.prepared import prepared_fetchone

pytestmark = pytest.mark.django_db(transaction=True)

SEOUL = datetime.timezone(datetime.timedelta(hours=9))

# Strings a user can type into a name, memo or reason field, and the ones an attacker would.
AWKWARD_TEXTS = [
    "",
    "홍길동",
    "O'Brien",
    "''",
    "'; DROP TABLE portal_employee; --",
    "back\\slash\\",
    "\\'",
    "E'\\x41'",
    "100% %s %(name)s %%",
    "$1 $$ $tag$",
    "line\nbreak\ttab\r",
    "emoji 😀 and 한자 漢字",
    ")); SELECT 1; EXECUTE x(",
]


def _round_trip(value: Any, sql_type: str) -> Any:
    row = prepared_fetchone(
        name=f"test_literal_{sql_type.replace(' ', '_')}",
        sql=f"SELECT %(v)s::{sql_type}",
        params={"v": value},
    )
    assert row is not None
    return row[0]


def test_the_connection_allows_quoting_by_doubled_quotes() -> None:
    connection.ensure_connection()
    assert literals_usable(connection.connection)


@pytest.mark.parametrize("text", AWKWARD_TEXTS)
def test_any_text_comes_back_unchanged(text: str) -> None:
    assert _round_trip(text, "text") == text


def test_a_nul_character_is_refused_rather_than_cutting_the_text() -> None:
    with pytest.raises(ValueError, match="NUL"):
        sql_literal("before\x00after", connection.connection)


@pytest.mark.parametrize(
    ("value", "sql_type"),
    [
        (0, "bigint"),
        (-(2**62), "bigint"),
        (3_000_000, "integer"),
        (True, "boolean"),
        (False, "boolean"),
        (decimal.Decimal("40"), "numeric"),
        (decimal.Decimal("-0.0001"), "numeric"),
        (decimal.Decimal("12345678901234567890.5"), "numeric"),
        (datetime.date(2026, 2, 28), "date"),
        (datetime.datetime(2026, 11, 23, 6, 20, 11, 698393, tzinfo=datetime.UTC), "timestamptz"),
        (datetime.datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=SEOUL), "timestamptz"),
        (datetime.time(23, 59, 59, 999999), "time"),
        (uuid.UUID("605c059e-5424-493e-ad8c-37d4fa64851f"), "uuid"),
    ],
)
def test_numbers_dates_times_and_ids_come_back_equal(value: Any, sql_type: str) -> None:
    assert _round_trip(value, sql_type) == value


def test_a_choice_is_stored_as_its_value() -> None:
    assert _round_trip(SubmissionStatus.QUEUED, "text") == SubmissionStatus.QUEUED.value


def test_json_goes_through_djangos_encoder_and_comes_back_equal() -> None:
    document = {"reason": "O'Brien's 100% \\ 😀", "dates": "2026-11-23", "nested": [1, None, True]}
    adapted = JSONField().get_db_prep_save(document, connection)
    # Django reads jsonb columns as text and decodes them itself.
    assert json.loads(_round_trip(adapted, "jsonb")) == document


def test_bytes_come_back_equal() -> None:
    raw = bytes(range(256))
    assert bytes(_round_trip(Binary(raw), "bytea")) == raw


def test_null_and_special_numbers() -> None:
    assert _round_trip(None, "text") is None
    assert _round_trip(decimal.Decimal("NaN"), "numeric").is_nan()


def test_a_session_that_turns_off_standard_strings_gets_psycopg2s_quoting() -> None:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SET standard_conforming_strings = off")
    try:
        assert not literals_usable(connection.connection)
        # Doubled quotes alone would let this backslash end the literal early.
        for text in ("back\\slash\\", "\\'; SELECT 1; --", "O'Brien"):
            assert _round_trip(text, "text") == text
    finally:
        connection.close()
