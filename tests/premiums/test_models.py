from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.models import Workplace
from premiums.calculator import premium_quote
from premiums.models import Bill, RateKind, RateValue
from premiums.rates import AMOUNT_KINDS, RATIO_KINDS, RateBook, rates_json_load

pytestmark = pytest.mark.django_db


def test_rate_kinds_offered_in_the_admin_are_the_ones_the_rate_book_understands():
    assert {choice.value for choice in RateKind} == RATIO_KINDS | AMOUNT_KINDS


def test_migration_loads_every_packaged_value():
    data = rates_json_load()
    assert RateValue.objects.count() == len(data["values"])
    assert set(RateValue.objects.values_list("schedule_version", flat=True)) == {data["version"]}
    assert not RateValue.objects.get(kind="iaci_asbestos").verified


def test_book_from_db_quotes_the_same_as_the_packaged_file():
    from_db = RateBook.from_db()
    from_file = RateBook.from_json_file()
    for month in (date(2024, 2, 1), date(2025, 8, 1), date(2026, 3, 1), date(2026, 9, 1)):
        for wage in (100_000, 3_000_999, 10_000_000):
            a = premium_quote(monthly_wage=wage, month=month, industry_code="4", rates=from_db)
            b = premium_quote(monthly_wage=wage, month=month, industry_code="4", rates=from_file)
            assert a.as_dict() == b.as_dict()


def test_editing_a_rate_in_the_admin_changes_the_next_quote():
    before = RateBook.from_db()
    assert RateBook.from_db() is before
    row = RateValue.objects.get(kind="pension_rate", valid_from=date(2026, 1, 1))
    row.numerator = 500
    row.save()
    after = RateBook.from_db()
    quote = premium_quote(monthly_wage=3_000_000, month=date(2026, 3, 1), rates=after)
    assert quote.pension.employee == 150_000


def test_overlapping_period_is_refused_with_a_korean_message():
    row = RateValue(
        schedule_version="test",
        kind="health_rate",
        numerator=720,
        denominator=10_000,
        valid_from=date(2026, 6, 1),
        valid_to=date(2026, 12, 31),
        source="test",
    )
    with pytest.raises(ValidationError, match="겹치"):
        row.full_clean()


def test_amount_kind_without_amount_is_refused():
    row = RateValue(
        schedule_version="test",
        kind="health_premium_cap",
        valid_from=date(2030, 1, 1),
        source="test",
    )
    with pytest.raises(ValidationError):
        row.full_clean()


def test_one_bill_per_workplace_and_month():
    workplace = Workplace.objects.create(
        name="테스트 사업장",
        business_registration_number="1234567890",
        management_number="12345678901",
    )
    Bill.objects.create(
        workplace=workplace,
        month=date(2026, 3, 1),
        computed_at=timezone.now(),
        schedule_version="v",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Bill.objects.create(
            workplace=workplace,
            month=date(2026, 3, 1),
            computed_at=timezone.now(),
            schedule_version="v",
        )
