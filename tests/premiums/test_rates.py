import json
from datetime import date
from typing import Any

import pytest

from premiums.rates import RATES_JSON, RateBook, RateNotFound

DATA = json.loads(RATES_JSON.read_text(encoding="utf-8"))
BOOK = RateBook.from_dict(DATA)
SCHEDULE_MONTHS = [date(y, m, 1) for y in (2024, 2025, 2026) for m in range(1, 13)] + [
    date(2027, m, 1) for m in range(1, 7)
]
INDUSTRY_CODES = [
    "1-1", "1-2", "2-1", "2-2", "2-3", "2-4", "2-5", "2-6", "2-7", "2-8", "2-9", "2-10", "2-11",
    "3", "4", "5-1", "5-2", "5-3", "6", "7", "8", "9-1", "9-2", "9-3", "9-4", "9-5", "9-6", "10",
]  # fmt: skip


def test_schedule_is_versioned():
    assert DATA["version"] == "2026-11-22.1"
    assert BOOK.version == "2026-11-22.1"


def test_schedule_contains_no_floats_and_every_value_has_period_source_and_flag():
    for value in DATA["values"]:
        for number in ("numerator", "denominator", "amount"):
            if number in value:
                assert type(value[number]) is int, value
        assert value["source"]
        assert isinstance(value["verified"], bool)
        assert "valid_from" in value and "valid_to" in value


@pytest.mark.parametrize("month", SCHEDULE_MONTHS, ids=lambda d: f"{d:%Y-%m}")
def test_every_month_from_2024_to_mid_2027_has_all_rates(month):
    BOOK.pension_rate(month)
    BOOK.pension_bounds(month)
    BOOK.health_rate(month)
    BOOK.health_cap_floor(month)
    BOOK.ltc_ratio(month)
    for band in ("under_150", "priority_150", "from_150_to_999", "from_1000"):
        BOOK.employment_rates(month, band)
    if month.year <= 2026:
        for code in INDUSTRY_CODES:
            BOOK.industrial_accident_rates(month, code)


def test_pension_rate_changes_every_january():
    assert (BOOK.pension_rate(date(2025, 12, 1)).numerator) == 450
    assert (BOOK.pension_rate(date(2026, 1, 1)).numerator) == 475
    assert (BOOK.pension_rate(date(2027, 1, 1)).numerator) == 500
    assert BOOK.pension_rate(date(2026, 1, 1)).denominator == 10_000


def test_pension_bounds_change_every_july():
    assert BOOK.pension_bounds(date(2026, 6, 30)).upper.value == 6_370_000
    assert BOOK.pension_bounds(date(2026, 7, 1)).upper.value == 6_590_000
    with pytest.raises(RateNotFound):
        BOOK.pension_bounds(date(2027, 7, 1))


def test_values_the_reference_marks_unverified_are_flagged():
    flagged = {
        "asbestos 2026": BOOK.industrial_accident_rates(date(2026, 1, 1), "4").asbestos,
        "commuting 2025": BOOK.industrial_accident_rates(date(2025, 1, 1), "4").commuting,
        "industry 2025 inferred": BOOK.industrial_accident_rates(date(2025, 1, 1), "2-1").industry,
        "health 2027": BOOK.health_rate(date(2027, 1, 1)),
        "ltc 2027": BOOK.ltc_ratio(date(2027, 1, 1)),
        "wage claim 2026": BOOK.industrial_accident_rates(date(2026, 1, 1), "4").wage_claim,
    }
    assert {name for name, value in flagged.items() if value.verified} == set()
    assert BOOK.pension_rate(date(2026, 1, 1)).verified
    assert BOOK.industrial_accident_rates(date(2026, 1, 1), "2-1").industry.verified


def test_ltc_ratio_is_kept_as_exact_fraction_not_rounded_percentage():
    ratio = BOOK.ltc_ratio(date(2026, 1, 1))
    assert (ratio.numerator, ratio.denominator) == (9448, 71900)
    assert BOOK.ltc_ratio(date(2025, 1, 1)).numerator == 9182


def test_industry_table_has_28_kinds_of_business():
    assert sorted(INDUSTRY_CODES) == sorted(
        code for code in BOOK.keys("iaci_industry") if code != "overseas"
    )


def value(**overrides: Any) -> dict[str, Any]:
    row = {
        "kind": "pension_rate",
        "numerator": 450,
        "denominator": 10000,
        "valid_from": "2024-01-01",
        "valid_to": "2024-12-31",
        "source": "test",
        "verified": True,
    }
    row.update(overrides)
    return row


def test_overlapping_periods_are_rejected():
    with pytest.raises(ValueError, match="overlapping"):
        RateBook([value(), value(valid_from="2024-06-01", valid_to=None)])


@pytest.mark.parametrize("bad", [4.5, "450", True])
def test_non_integer_ratio_is_rejected(bad):
    with pytest.raises(ValueError):
        RateBook([value(numerator=bad)])


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError):
        RateBook([value(kind="pension_rat")])


def test_rows_with_attributes_build_the_same_book_as_mappings():
    class Row:
        def __init__(self, **kwargs: Any) -> None:
            self.__dict__.update(kwargs)

    rows = [
        Row(**{**raw, "valid_from": date.fromisoformat(raw["valid_from"])}) for raw in [value()]
    ]
    book = RateBook(rows)
    assert book.pension_rate(date(2024, 5, 1)).numerator == 450
