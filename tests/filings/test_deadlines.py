from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agencies.registry import agency_codes
from filings.deadlines import (
    KINDS,
    days_left,
    deadline_for,
    has_deadline,
    is_business_day,
    next_business_day,
    penalty_for,
)


def test_weekday_without_holiday_is_a_business_day() -> None:
    assert is_business_day(date(2026, 3, 4)) is True


def test_saturday_and_sunday_are_not_business_days() -> None:
    assert is_business_day(date(2026, 3, 7)) is False
    assert is_business_day(date(2026, 3, 8)) is False


def test_lunar_new_year_2026_is_closed_on_16_to_18_february() -> None:
    assert [is_business_day(date(2026, 2, d)) for d in range(16, 20)] == [
        False,
        False,
        False,
        True,
    ]


def test_substitute_holiday_is_not_a_business_day() -> None:
    # 삼일절 2026-03-01 falls on a Sunday, so Monday 2026-03-02 is 대체공휴일.
    assert is_business_day(date(2026, 3, 2)) is False


def test_next_business_day_of_a_business_day_is_the_same_day() -> None:
    assert next_business_day(date(2026, 3, 4)) == date(2026, 3, 4)


def test_nps_deadline_on_saturday_moves_to_monday() -> None:
    d = deadline_for(agency="pension", kind="hire", event_date=date(2026, 7, 20))
    assert d.nominal_date == date(2026, 8, 15)  # Saturday and 광복절
    assert d.due_date == date(2026, 8, 18)  # Monday 17th is the substitute holiday
    assert d.shifted_reason == "2026-08-15(토)가 휴일이라 다음 영업일로 미뤄짐"


def test_employment_deadline_on_sunday_moves_to_monday() -> None:
    d = deadline_for(agency="employment", kind="hire", event_date=date(2026, 10, 5))
    assert d.nominal_date == date(2026, 11, 15)  # Sunday
    assert d.due_date == date(2026, 11, 16)


def test_deadline_on_sunday_before_lunar_new_year_moves_past_the_holidays() -> None:
    d = deadline_for(agency="pension", kind="hire", event_date=date(2026, 1, 10))
    assert d.nominal_date == date(2026, 2, 15)
    assert d.due_date == date(2026, 2, 19)
    assert d.shifted_reason == "2026-02-15(일)이 휴일이라 다음 영업일로 미뤄짐"
    assert d.rule == "국민연금: 자격취득일이 속한 달의 다음 달 15일까지"


def test_deadline_on_a_business_day_is_not_shifted() -> None:
    d = deadline_for(agency="industrial_accident", kind="exit", event_date=date(2026, 3, 1))
    assert d.nominal_date == d.due_date == date(2026, 4, 15)
    assert d.shifted_reason == ""


def test_nhis_14_days_landing_on_substitute_holiday_moves_to_next_day() -> None:
    d = deadline_for(agency="health", kind="hire", event_date=date(2026, 5, 11))
    assert d.nominal_date == date(2026, 5, 25)  # 부처님오신날 대체공휴일
    assert d.due_date == date(2026, 5, 26)
    assert d.rule.startswith("건강보험: ") and "14일" in d.rule


def test_hire_at_month_end_uses_next_month_for_all_agencies() -> None:
    hire = date(2026, 1, 31)
    health = deadline_for(agency="health", kind="hire", event_date=hire)
    assert health.nominal_date == date(2026, 2, 14)
    assert health.due_date == date(2026, 2, 19)
    for agency in ("pension", "employment", "industrial_accident"):
        assert deadline_for(agency=agency, kind="hire", event_date=hire).nominal_date == date(
            2026, 2, 15
        )


def test_december_event_rolls_into_next_year() -> None:
    d = deadline_for(agency="pension", kind="exit", event_date=date(2026, 12, 1))
    assert d.nominal_date == date(2027, 1, 15)


def test_operator_added_closure_day_is_honoured() -> None:
    plain = deadline_for(agency="employment", kind="hire", event_date=date(2026, 3, 10))
    assert plain.due_date == date(2026, 4, 15)
    closed = deadline_for(
        agency="employment",
        kind="hire",
        event_date=date(2026, 3, 10),
        extra_closures=[date(2026, 4, 15)],
    )
    assert closed.due_date == date(2026, 4, 16)
    assert closed.shifted_reason.startswith("2026-04-15(수)가 휴일이라")


def test_extra_closures_may_be_a_one_shot_generator() -> None:
    closures = (date(2026, 3, 4) + timedelta(days=i) for i in range(2))
    assert next_business_day(date(2026, 3, 4), extra_closures=closures) == date(2026, 3, 6)


def test_annual_wage_report_is_due_15_march_next_year() -> None:
    d = deadline_for(agency="employment", kind="annual_wage_report", event_date=date(2025, 12, 31))
    assert d.nominal_date == date(2026, 3, 15)  # Sunday
    assert d.due_date == date(2026, 3, 16)


def test_daily_work_report_is_due_15th_of_following_month() -> None:
    d = deadline_for(
        agency="industrial_accident", kind="daily_work_report", event_date=date(2026, 5, 3)
    )
    assert d.due_date == date(2026, 6, 15)


def test_workplace_reports_are_14_days_for_nhis_and_unverified_for_employment() -> None:
    event = date(2026, 4, 1)
    health = deadline_for(agency="health", kind="workplace_registration", event_date=event)
    assert health.nominal_date == date(2026, 4, 15)
    assert health.verified is True
    ei = deadline_for(agency="employment", kind="workplace_closure", event_date=event)
    assert ei.nominal_date == date(2026, 4, 15)
    assert ei.verified is False and "기준 확인 필요" in ei.rule


def test_pay_change_deadline_says_it_is_the_engine_default() -> None:
    d = deadline_for(agency="pension", kind="pay_change", event_date=date(2026, 4, 1))
    assert d.nominal_date == date(2026, 5, 15)
    assert "엔진 기본값" in d.rule


def test_pension_has_no_annual_wage_report() -> None:
    assert has_deadline(agency="pension", kind="annual_wage_report") is False
    with pytest.raises(ValueError):
        deadline_for(agency="pension", kind="annual_wage_report", event_date=date(2025, 12, 31))


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError):
        deadline_for(agency="health", kind="birthday", event_date=date(2026, 1, 1))


def test_days_left_counts_calendar_days_and_goes_negative_when_late() -> None:
    assert days_left(date(2026, 2, 19), date(2026, 2, 15)) == 4
    assert days_left(date(2026, 2, 19), date(2026, 2, 20)) == -1


def test_penalty_for_pension_is_verified_and_others_are_not() -> None:
    assert penalty_for("pension") == (500_000, True, "국민연금법 제131조①1")
    assert penalty_for("health")[:2] == (5_000_000, False)
    assert penalty_for("employment")[:2] == (3_000_000, False)
    assert penalty_for("industrial_accident")[:2] == (3_000_000, False)


_PAIRS = [(a, k) for a in agency_codes() for k in KINDS if has_deadline(agency=a, kind=k)]


@given(
    pair=st.sampled_from(_PAIRS),
    event=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    closures=st.lists(st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31))),
)
def test_deadline_is_a_business_day_never_before_nominal_nor_after_event(
    pair: tuple[str, str], event: date, closures: list[date]
) -> None:
    agency, kind = pair
    d = deadline_for(agency=agency, kind=kind, event_date=event, extra_closures=closures)
    assert is_business_day(d.due_date, extra_closures=closures)
    assert event < d.nominal_date <= d.due_date
    between = [
        d.nominal_date + timedelta(days=i) for i in range((d.due_date - d.nominal_date).days)
    ]
    assert not any(is_business_day(x, extra_closures=closures) for x in between)
    assert bool(d.shifted_reason) is (d.due_date != d.nominal_date)
