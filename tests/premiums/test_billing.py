from datetime import date

import pytest

from premiums.billing import Covered, hired_at_65_or_older, month_counting, month_parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-03", date(2026, 3, 1)), ("2026-3", None), ("2026-13", None), ("03-2026", None)],
)
def test_month_text_must_be_year_dash_two_digit_month(text, expected):
    assert month_parse(text) == expected


def test_snapshot_without_a_decision_counts_as_covered():
    assert Covered.from_snapshot({}) == Covered()


def test_snapshot_saying_not_covered_drops_that_insurance_with_a_note():
    covered = Covered.from_snapshot({"pension": {"covered": False, "reason": "60세 이상"}})
    counting = month_counting(
        month=date(2026, 3, 1), hire_date=date(2025, 1, 1), loss_date=None, covered=covered
    )
    assert (counting.pension, counting.health, counting.employment) == (False, True, True)
    assert "국민연금: 적용 제외 근로자입니다." in counting.notes


def test_snapshot_decides_hired_at_65_over_the_birth_date():
    kept = Covered.from_snapshot({"employment": {"covered": True, "unemployment_benefit": True}})
    # Insured before 65 and continuously employed: the unemployment part stays.
    assert not hired_at_65_or_older(
        covered=kept, birth_date=date(1950, 1, 1), hire_date=date(2026, 1, 1)
    )
    assert hired_at_65_or_older(
        covered=Covered(), birth_date=date(1961, 1, 1), hire_date=date(2026, 1, 1)
    )
    assert not hired_at_65_or_older(
        covered=Covered(), birth_date=date(1961, 1, 2), hire_date=date(2026, 1, 1)
    )
