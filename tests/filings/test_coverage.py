from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from filings.coverage import Coverage, CoverageInput, coverage_decide, visa_normalize

HIRE = date(2026, 3, 2)


def worker(**overrides: object) -> CoverageInput:
    base = CoverageInput(
        birth_date=date(1990, 5, 10),
        hire_date=HIRE,
        employment_type="regular",
        weekly_hours=40,
        monthly_days=None,
        monthly_wage=3_000_000,
        nationality="KR",
        visa="",
        is_representative=False,
    )
    return replace(base, **overrides)


def aged(years: int, **overrides: object) -> CoverageInput:
    """A worker who turned `years` on the hire date."""
    return worker(birth_date=date(HIRE.year - years, HIRE.month, HIRE.day), **overrides)


def decide(**overrides: object) -> Coverage:
    return coverage_decide(data=worker(**overrides))


def test_ordinary_full_time_worker_is_covered_by_all_four() -> None:
    cov = decide()
    assert cov.covered_agencies() == ["pension", "health", "employment", "industrial_accident"]
    assert cov.employment.unemployment_benefit is True


def test_age_17_is_a_pension_member_who_may_opt_out() -> None:
    pension = coverage_decide(data=aged(17)).pension
    assert pension.covered is True
    assert pension.rule == "nps.age.under_18"
    assert "18세 미만" in pension.reason and "원하지 않으면" in pension.reason
    assert "국민연금법 제8조②" in pension.reason


def test_age_18_on_hire_day_is_a_mandatory_pension_member() -> None:
    pension = coverage_decide(data=aged(18)).pension
    assert (pension.covered, pension.rule) == (True, "nps.default")


def test_day_before_18th_birthday_still_counts_as_17() -> None:
    data = worker(birth_date=date(2008, 3, 3))  # turns 18 the day after HIRE
    assert coverage_decide(data=data).pension.rule == "nps.age.under_18"


def test_age_59_is_covered_by_pension() -> None:
    assert coverage_decide(data=aged(59)).pension.covered is True


def test_age_60_is_not_covered_by_pension_but_keeps_the_others() -> None:
    cov = coverage_decide(data=aged(60))
    assert cov.pension.covered is False
    assert cov.pension.rule == "nps.age.over_60"
    assert "만 60세 이상" in cov.pension.reason and "국민연금법 제8조①" in cov.pension.reason
    assert cov.covered_agencies() == ["health", "employment", "industrial_accident"]


def test_hired_at_65_keeps_employment_insurance_without_unemployment_benefit() -> None:
    ei = coverage_decide(data=aged(65)).employment
    assert ei.covered is True
    assert ei.unemployment_benefit is False
    assert ei.rule == "ei.age.hired_65_plus"
    assert "실업급여" in ei.reason and "고용보험법 제10조②" in ei.reason


def test_insured_before_65_keeps_unemployment_benefit() -> None:
    ei = coverage_decide(data=aged(66, employment_insured_before_65=True)).employment
    assert (ei.covered, ei.unemployment_benefit) == (True, True)


def test_age_64_keeps_unemployment_benefit() -> None:
    assert coverage_decide(data=aged(64)).employment.unemployment_benefit is True


def test_14_hours_a_week_excludes_pension_health_and_employment() -> None:
    cov = decide(employment_type="part_time", weekly_hours=14)
    assert cov.covered_agencies() == ["industrial_accident"]
    assert cov.pension.rule == "nps.hours.under_60"
    assert "취득부호 12" in cov.pension.reason
    assert "국민건강보험법 시행령 제9조" in cov.health.reason
    assert "3개월 이상" in cov.employment.reason


def test_15_hours_a_week_is_covered_by_all_four() -> None:
    cov = decide(employment_type="part_time", weekly_hours=15)
    assert len(cov.covered_agencies()) == 4


def test_fractional_hours_just_under_15_count_as_short() -> None:
    cov = decide(employment_type="part_time", weekly_hours=Decimal("14.5"))
    assert cov.health.covered is False


def test_short_hours_for_three_months_or_more_keeps_employment_insurance() -> None:
    cov = decide(employment_type="part_time", weekly_hours=10, contract_months=3)
    assert cov.employment.covered is True
    assert cov.employment.rule == "ei.hours.three_month_exception"
    assert cov.pension.covered is False and cov.health.covered is False


def test_short_hours_for_two_months_has_no_employment_insurance() -> None:
    cov = decide(employment_type="part_time", weekly_hours=10, contract_months=2)
    assert cov.employment.covered is False


def daily(**overrides: object) -> Coverage:
    values: dict[str, object] = {
        "employment_type": "daily",
        "weekly_hours": None,
        "monthly_days": 7,
        "monthly_wage": 1_000_000,
    }
    values.update(overrides)
    return decide(**values)


def test_daily_worker_with_7_days_is_not_covered_by_pension_or_health() -> None:
    cov = daily(monthly_days=7)
    assert cov.pension.covered is False
    assert cov.pension.rule == "nps.daily.not_covered"
    assert cov.health.covered is False
    assert cov.covered_agencies() == ["employment", "industrial_accident"]


def test_daily_worker_with_8_days_is_covered_by_pension_and_health() -> None:
    cov = daily(monthly_days=8)
    assert cov.pension.covered is True
    assert "월 8일 이상" in cov.pension.reason
    assert cov.health.covered is True
    assert cov.health.verified is False
    assert "기준 확인 필요" in cov.health.reason


def test_daily_worker_earning_2_2_million_in_few_days_is_covered_by_pension() -> None:
    cov = daily(monthly_days=3, monthly_wage=2_200_000)
    assert cov.pension.covered is True
    assert "220만원" in cov.pension.reason
    assert daily(monthly_days=3, monthly_wage=2_199_999).pension.covered is False


def test_daily_worker_hired_for_under_a_month_is_not_covered_by_pension() -> None:
    cov = daily(monthly_days=10, monthly_wage=3_000_000, contract_months=0)
    assert cov.pension.rule == "nps.daily.under_1_month"
    assert cov.pension.covered is False


def test_daily_worker_keeps_employment_insurance_even_with_few_hours() -> None:
    ei = daily(monthly_days=2, weekly_hours=4).employment
    assert (ei.covered, ei.rule) == (True, "ei.daily")


def test_paid_representative_has_pension_and_health_only() -> None:
    cov = coverage_decide(data=aged(45, is_representative=True))
    assert cov.covered_agencies() == ["pension", "health"]
    assert "근로자가 아니므로" in cov.employment.reason
    assert "근로자가 아니므로" in cov.industrial_accident.reason


def test_paid_representative_is_covered_even_with_short_hours() -> None:
    cov = decide(is_representative=True, weekly_hours=5)
    assert cov.pension.rule == "nps.representative.paid"
    assert cov.health.covered is True


def test_unpaid_representative_has_no_insurance() -> None:
    cov = decide(is_representative=True, monthly_wage=0)
    assert cov.covered_agencies() == []
    assert "무보수" in cov.pension.reason and "무보수" in cov.health.reason


def foreigner(visa: str, **overrides: object) -> Coverage:
    return decide(nationality="VN", visa=visa, **overrides)


def test_e9_worker_is_covered_by_all_four_with_unverified_employment_dates() -> None:
    cov = foreigner("E-9")
    assert len(cov.covered_agencies()) == 4
    assert cov.employment.verified is False
    assert "기준 확인 필요" in cov.employment.reason


def test_f4_worker_is_voluntary_for_employment_insurance() -> None:
    cov = foreigner("F-4")
    assert cov.employment.covered is False
    assert "임의가입 대상(본인 신청 시 가입)" in cov.employment.reason
    assert cov.pension.covered and cov.health.covered and cov.industrial_accident.covered


def test_d2_student_has_only_health_and_industrial_accident() -> None:
    cov = foreigner("D-2", employment_type="part_time", weekly_hours=20)
    assert cov.covered_agencies() == ["health", "industrial_accident"]
    assert cov.pension.verified is False and cov.employment.verified is False


def test_f5_resident_is_treated_like_a_korean() -> None:
    cov = foreigner("F-5")
    assert len(cov.covered_agencies()) == 4
    assert cov.employment.verified is True
    assert cov.employment.rule == "ei.foreign.mandatory"


def test_unknown_visa_asks_to_check_employment_insurance() -> None:
    ei = foreigner("Z-9").employment
    assert ei.covered is False
    assert "확인해 주세요" in ei.reason


def test_foreigner_without_visa_is_not_guessed() -> None:
    cov = foreigner("")
    assert cov.pension.covered is False and cov.employment.covered is False
    assert cov.industrial_accident.covered is True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("E9", "E-9"), ("e-9", "E-9"), (" h2 ", "H-2"), ("E10", "E-10"), ("F-4-1", "F-4")],
)
def test_visa_spellings_are_normalised(raw: str, expected: str) -> None:
    assert visa_normalize(raw) == expected


def test_lowercase_visa_without_hyphen_gets_the_same_decision() -> None:
    assert foreigner("e9") == foreigner("E-9")


def test_as_dict_exposes_reasons_and_unemployment_benefit() -> None:
    out = coverage_decide(data=aged(65)).as_dict()
    assert list(out) == ["pension", "health", "employment", "industrial_accident"]
    assert out["employment"]["unemployment_benefit"] is False
    assert set(out["pension"]) == {"covered", "reason", "rule", "verified"}


def test_unknown_employment_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="employment_type"):
        decide(employment_type="freelance")


_LAW_NAMES = ("국민연금법", "국민건강보험법", "고용보험법", "산업재해보상보험법")


@given(
    age=st.integers(min_value=14, max_value=80),
    employment_type=st.sampled_from(["regular", "contract", "part_time", "daily"]),
    weekly_hours=st.one_of(st.none(), st.integers(min_value=1, max_value=52)),
    monthly_days=st.one_of(st.none(), st.integers(min_value=0, max_value=31)),
    monthly_wage=st.integers(min_value=0, max_value=10_000_000),
    visa=st.sampled_from(["", "E-9", "H-2", "F-2", "F-4", "F-5", "D-2", "D-4", "E-7", "Q-1"]),
    is_representative=st.booleans(),
    contract_months=st.one_of(st.none(), st.integers(min_value=0, max_value=24)),
)
def test_every_reason_is_one_korean_sentence_citing_a_law(
    age: int,
    employment_type: str,
    weekly_hours: int | None,
    monthly_days: int | None,
    monthly_wage: int,
    visa: str,
    is_representative: bool,
    contract_months: int | None,
) -> None:
    data = aged(
        age,
        employment_type=employment_type,
        weekly_hours=weekly_hours,
        monthly_days=monthly_days,
        monthly_wage=monthly_wage,
        nationality="KR" if visa == "" else "PH",
        visa=visa,
        is_representative=is_representative,
        contract_months=contract_months,
    )
    cov = coverage_decide(data=data)
    assert cov.industrial_accident.covered is not is_representative
    for decision in (cov.pension, cov.health, cov.employment, cov.industrial_accident):
        assert decision.reason.endswith(").")
        assert decision.reason.count(".") == 1
        assert any(law in decision.reason for law in _LAW_NAMES)
        assert decision.verified or "기준 확인 필요" in decision.reason
    if not cov.employment.covered:
        assert cov.employment.unemployment_benefit is False


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 1, 10), date(2026, 1, 31), 0),  # under one month
        (date(2026, 1, 10), date(2026, 3, 15), 2),  # two months and five days, not three
        (date(2026, 1, 1), date(2026, 1, 31), 1),
        (date(2026, 1, 10), date(2026, 2, 9), 1),
        (date(2026, 1, 10), date(2026, 2, 8), 0),
        (date(2026, 1, 31), date(2026, 2, 28), 1),  # February has no 31st: its last day ends it
        (date(2026, 1, 31), date(2026, 2, 27), 0),
        (date(2025, 12, 15), date(2026, 3, 14), 3),
    ],
)
def test_contract_months_are_counted_by_the_calendar(start, end, months) -> None:  # type: ignore[no-untyped-def]
    from filings.coverage import contract_full_months

    assert contract_full_months(start, end) == months


def test_a_contract_of_three_weeks_is_not_covered_by_pension_or_health(api_client) -> None:  # type: ignore[no-untyped-def]
    from filings.validation import hire_clean
    from tests.filings.helpers import hire_body

    body = hire_body(employment_type="contract", hire_date="2026-01-10", contract_end="2026-01-31")
    coverage = coverage_decide(data=hire_clean(body).coverage_input()).as_dict()
    assert coverage["pension"]["covered"] is False
    assert coverage["health"]["covered"] is False
