from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from premiums.calculator import NEEDS_REVIEW, Quote, premium_quote
from premiums.rates import RateBook, RateNotFound

RATES = RateBook.from_json_file()


def quote(wage: int, month: date, **kwargs: Any) -> Quote:
    return premium_quote(monthly_wage=wage, month=month, rates=RATES, **kwargs)


def test_worked_example_3_000_000_won_in_2026_matches_reference():
    q = quote(3_000_000, date(2026, 3, 1))
    assert (q.pension.employee, q.pension.employer) == (142_500, 142_500)
    assert (q.health.employee, q.health.employer) == (107_850, 107_850)
    assert (q.long_term_care.employee, q.long_term_care.employer) == (14_170, 14_170)
    assert (q.employment.employee, q.employment.employer) == (27_000, 34_500)
    assert q.employee_total == 291_520
    assert q.industrial_accident is None


def test_same_wage_in_2025_uses_old_rates():
    q = quote(3_000_000, date(2025, 10, 1))
    assert q.pension.employee == 135_000
    assert q.health.employee == 106_350
    assert q.long_term_care.employee == 13_770


def test_independent_2026_vector_for_2_000_000_won():
    q = quote(2_000_000, date(2026, 1, 1))
    got = [q.pension.employee, q.health.employee, q.long_term_care.employee, q.employment.employee]
    assert got == [95_000, 71_900, 9_440, 18_000]


def test_upper_bound_wage_in_july_2026_pays_maximum_pension():
    assert quote(6_590_000, date(2026, 7, 1)).pension.employee == 313_020
    assert quote(6_590_000, date(2026, 7, 1)).employment.employee == 59_310


def test_tiny_wage_in_july_2026_pays_pension_and_health_floor():
    q = quote(100_000, date(2026, 7, 1))
    assert q.pension.base == 410_000
    assert q.pension.employee == 19_470
    assert q.health.employee == q.health.employer == 10_080
    assert q.long_term_care.employee == 1_320


def test_pension_base_drops_the_part_below_1000_won():
    q = quote(3_000_999, date(2026, 2, 1))
    assert q.pension.base == 3_000_000
    assert q.pension.employee == 142_500
    assert "1,000원 미만 절사" in q.trace[0].adjustment


def test_health_cap_example_gives_ltc_603_370():
    q = quote(200_000_000, date(2026, 5, 1))
    assert q.health.employee == 4_591_740
    assert q.long_term_care.employee == 603_370
    assert "상한" in q.trace[1].adjustment


@pytest.mark.parametrize(
    ("month", "lower_premium", "upper_premium", "lower_base", "upper_base"),
    [
        (date(2024, 3, 1), 16_650, 265_500, 370_000, 5_900_000),
        (date(2024, 9, 1), 17_550, 277_650, 390_000, 6_170_000),
        (date(2025, 6, 1), 17_550, 277_650, 390_000, 6_170_000),
        (date(2025, 7, 1), 18_000, 286_650, 400_000, 6_370_000),
        (date(2026, 6, 1), 19_000, 302_570, 400_000, 6_370_000),
        (date(2026, 7, 1), 19_470, 313_020, 410_000, 6_590_000),
        (date(2027, 1, 1), 20_500, 329_500, 410_000, 6_590_000),
    ],
)
def test_pension_bounds_follow_the_july_to_june_period(
    month, lower_premium, upper_premium, lower_base, upper_base
):
    low, high = quote(1, month), quote(50_000_000, month)
    assert (low.pension.base, low.pension.employee) == (lower_base, lower_premium)
    assert (high.pension.base, high.pension.employee) == (upper_base, upper_premium)


@pytest.mark.parametrize(
    ("month", "cap_side", "floor_side"),
    [
        (date(2024, 1, 1), 4_240_710, 9_890),
        (date(2024, 12, 1), 4_240_710, 9_890),
        (date(2025, 1, 1), 4_504_170, 9_890),
        (date(2025, 12, 1), 4_504_170, 9_890),
        (date(2026, 1, 1), 4_591_740, 10_080),
        (date(2026, 12, 1), 4_591_740, 10_080),
    ],
)
def test_health_cap_and_floor_apply_to_the_total_per_year(month, cap_side, floor_side):
    high, low = quote(500_000_000, month), quote(1_000, month)
    assert high.health.employee == high.health.employer == cap_side
    assert low.health.employee == low.health.employer == floor_side


def test_hire_at_65_or_older_drops_unemployment_part_but_keeps_stability_part():
    q = quote(3_000_000, date(2026, 3, 1), hired_at_65_or_older=True)
    assert q.employment.employee == 0
    assert q.employment.employer == 7_500
    assert "65세" in q.trace[3].adjustment


@pytest.mark.parametrize(
    ("band", "employer"),
    [
        ("under_150", 34_500),
        ("priority_150", 40_500),
        ("from_150_to_999", 46_500),
        ("from_1000", 52_500),
    ],
)
def test_employer_employment_premium_depends_on_size_band(band, employer):
    q = quote(3_000_000, date(2026, 3, 1), employment_band=band)
    assert q.employment.employee == 27_000
    assert q.employment.employer == employer


def test_unknown_band_is_rejected():
    with pytest.raises(ValueError):
        quote(3_000_000, date(2026, 3, 1), employment_band="huge")


def test_industrial_accident_is_employer_only_sum_of_industry_commuting_and_levies():
    q = quote(3_000_000, date(2026, 3, 1), industry_code="4")
    # 35‰ + 0.6‰ + 0.9‰ + 0.06‰ = 36.56‰ of 3,000,000 = 109,680
    assert q.industrial_accident is not None
    assert q.industrial_accident.employee == 0
    assert q.industrial_accident.employer == 109_680
    assert q.employer_total == 142_500 + 107_850 + 14_170 + 34_500 + 109_680


def test_small_workplace_skips_asbestos_levy_and_public_sector_skips_wage_claim_levy():
    small = quote(3_000_000, date(2026, 3, 1), industry_code="4", regular_workers=5)
    assert small.industrial_accident.employer == 109_500  # 36.5‰
    public = quote(3_000_000, date(2026, 3, 1), industry_code="9-6", regular_workers=5)
    assert public.industrial_accident.employer == 28_800  # 9‰ + 0.6‰


def test_wage_claim_levy_rose_in_2026():
    q2025 = quote(1_000_000, date(2025, 3, 1), industry_code="10", regular_workers=5)
    q2026 = quote(1_000_000, date(2026, 3, 1), industry_code="10", regular_workers=5)
    assert q2025.industrial_accident.employer == 6_200  # 5 + 0.6 + 0.6 ‰
    assert q2026.industrial_accident.employer == 6_500  # 5 + 0.6 + 0.9 ‰


def test_unknown_industry_code_raises_rate_not_found():
    with pytest.raises(RateNotFound):
        quote(3_000_000, date(2026, 3, 1), industry_code="99")


def test_month_outside_the_schedule_raises_rate_not_found():
    with pytest.raises(RateNotFound):
        quote(3_000_000, date(2023, 12, 1))


def test_trace_flags_unverified_values_with_needs_review_note():
    verified = quote(3_000_000, date(2026, 3, 1))
    assert not verified.needs_review
    assert all(step.note == "" for step in verified.trace)

    asbestos = quote(3_000_000, date(2026, 3, 1), industry_code="4")
    iaci_step = asbestos.trace[-1]
    assert iaci_step.insurance == "industrial_accident"
    assert iaci_step.note == NEEDS_REVIEW
    assert "석면피해구제분담금" in iaci_step.adjustment

    inferred_2025 = quote(3_000_000, date(2025, 3, 1), industry_code="2-1", regular_workers=5)
    assert inferred_2025.trace[-1].note == NEEDS_REVIEW

    health_2027 = quote(3_000_000, date(2027, 3, 1))
    assert health_2027.trace[1].note == NEEDS_REVIEW
    assert health_2027.trace[0].note == ""


def test_trace_names_rate_source_and_rounding_for_every_insurance():
    q = quote(3_000_000, date(2026, 3, 1), industry_code="2-1")
    insurances = [step.insurance for step in q.trace]
    assert insurances == [
        "pension",
        "health",
        "long_term_care",
        "employment",
        "industrial_accident",
    ]
    for step in q.trace:
        assert step.source
        assert step.rounding == "10원 미만 절사"
    assert q.trace[0].rate == "4.75%"
    assert q.trace[0].source.endswith("[LAW]")
    assert q.as_dict()["trace"][0]["employee"] == 142_500


@pytest.mark.parametrize("wage", [-1, 3_000_000.0, True])
def test_wage_must_be_non_negative_integer_won(wage):
    with pytest.raises(ValueError):
        quote(wage, date(2026, 3, 1))


months = st.sampled_from(
    [date(year, m, 1) for year in (2024, 2025, 2026) for m in range(1, 13)]
    + [date(2027, m, 1) for m in range(1, 7)]
)
wages = st.integers(min_value=0, max_value=300_000_000)
bands = st.sampled_from(["under_150", "priority_150", "from_150_to_999", "from_1000"])


def amounts(q: Quote) -> list[int]:
    values = [
        q.pension.employee,
        q.pension.employer,
        q.health.employee,
        q.health.employer,
        q.long_term_care.employee,
        q.long_term_care.employer,
        q.employment.employee,
        q.employment.employer,
    ]
    if q.industrial_accident is not None:
        values.append(q.industrial_accident.employer)
    return values


@given(wage=wages, month=months, band=bands, old=st.booleans())
def test_every_amount_is_a_multiple_of_10_won(wage, month, band, old):
    code = "4" if month.year < 2027 else None  # no 2027 IACI table yet
    q = quote(wage, month, employment_band=band, industry_code=code, hired_at_65_or_older=old)
    assert all(value % 10 == 0 and value >= 0 for value in amounts(q))


@given(a=wages, b=wages, month=months, band=bands)
def test_amounts_never_fall_when_the_wage_rises(a, b, month, band):
    low, high = sorted((a, b))
    code = "1-1" if month.year < 2027 else None
    q_low = quote(low, month, employment_band=band, industry_code=code)
    q_high = quote(high, month, employment_band=band, industry_code=code)
    assert all(x <= y for x, y in zip(amounts(q_low), amounts(q_high), strict=True))


@given(wage=wages, month=months)
def test_employee_and_employer_pay_the_same_for_pension_health_and_ltc(wage, month):
    q = quote(wage, month)
    assert q.pension.employee == q.pension.employer
    assert q.health.employee == q.health.employer
    assert q.long_term_care.employee == q.long_term_care.employer


@given(wage=wages, month=months)
def test_pension_base_stays_within_that_months_bounds(wage, month):
    bounds = RATES.pension_bounds(month)
    base = quote(wage, month).pension.base
    assert bounds.lower.value <= base <= bounds.upper.value
    assert base % 1000 == 0
