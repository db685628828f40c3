import io
from datetime import date

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import sign_in_verified
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed(workplace):
    workplace.industry_code = "4"
    workplace.save()
    EmployeeFactory(
        workplace=workplace,
        name="이서연",
        birth=date(1991, 2, 3),
        hire_date=date(2025, 1, 1),
        monthly_wage=3_000_000,
        insured=True,
    )
    EmployeeFactory(
        workplace=workplace,
        name="=CMD()",
        birth=date(1992, 2, 3),
        hire_date=date(2025, 1, 1),
        insured=True,
    )
    return workplace


def logged_in(user) -> Client:
    client = Client()
    sign_in_verified(client, user)
    return client


def test_bill_page_lists_each_employee_with_the_trace_on_demand(owner, staffed):
    response = logged_in(owner).get(f"/workplaces/{staffed.pk}/bills/2026-03/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "이서연" in html
    assert "142,500" in html
    assert "<details>" in html and "계산 내역 보기" in html
    assert "기준 확인 필요" in html  # the asbestos levy is unverified


def test_bill_page_of_another_workplace_is_not_found(staffed):
    stranger = UserFactory()
    response = logged_in(stranger).get(f"/workplaces/{staffed.pk}/bills/2026-03/")
    assert response.status_code == 404


def test_bill_page_needs_login(staffed):
    response = Client().get(f"/workplaces/{staffed.pk}/bills/2026-03/")
    assert response.status_code == 302


def test_recompute_button_keeps_one_bill(owner, staffed):
    client = logged_in(owner)
    url = f"/workplaces/{staffed.pk}/bills/2026-03/"
    client.get(url)
    response = client.post(url)
    assert response.status_code == 302
    assert staffed.premium_bills.count() == 1


def test_csv_export_has_korean_headers_and_neutralises_formulas(owner, staffed):
    response = logged_in(owner).get(f"/workplaces/{staffed.pk}/bills/2026-03/csv/")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("성명,보수월액,기준소득월액,국민연금 근로자")
    assert "이서연,3000000,3000000,142500,142500" in text
    assert "'=CMD()" in text


def test_xlsx_export_opens_with_one_row_per_employee(owner, staffed):
    response = logged_in(owner).get(f"/workplaces/{staffed.pk}/bills/2026-03/xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "성명"
    assert len(rows) == 3
    assert ("이서연", 3_000_000, 3_000_000, 142_500) in [row[:4] for row in rows[1:]]


def test_quote_form_shows_every_premium_and_the_trace(owner):
    response = logged_in(owner).get(
        "/premiums/quote/", {"monthly_wage": 3_000_000, "month": "2026-03"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    for amount in ("142,500", "107,850", "14,170", "27,000", "34,500", "291,520"):
        assert amount in html
    assert "10원 미만 절사" in html


def test_quote_form_marks_unverified_values(owner, staffed):
    response = logged_in(owner).get(
        "/premiums/quote/", {"monthly_wage": 3_000_000, "month": "2026-03", "workplace": staffed.pk}
    )
    assert "기준 확인 필요" in response.content.decode()


def test_quote_form_rejects_a_bad_month_in_korean(owner):
    response = logged_in(owner).get("/premiums/quote/", {"monthly_wage": 1, "month": "03/2026"})
    assert "YYYY-MM" in response.content.decode()


def test_a_bill_with_a_subsidy_says_income_and_property_were_not_checked(owner, workplace):
    # Five workers, a new hire under 2.7 million won: 두루누리 applies.
    workplace.industry_code, workplace.headcount = "4", 5
    workplace.save()
    EmployeeFactory(
        workplace=workplace,
        birth=date(1990, 1, 15),
        hire_date=date(2026, 1, 5),
        monthly_wage=2_000_000,
        insured=True,
    )
    html = logged_in(owner).get(f"/workplaces/{workplace.pk}/bills/2026-03/").content.decode()
    assert 'data-testid="subsidy-caveat"' in html
    assert "종합소득" in html and "재산 과세표준" in html


def test_a_bill_without_a_subsidy_has_no_such_caveat(owner, staffed):
    html = logged_in(owner).get(f"/workplaces/{staffed.pk}/bills/2026-03/").content.decode()
    assert 'data-testid="subsidy-caveat"' not in html


def test_a_month_without_published_rates_says_so_instead_of_failing(owner, staffed):
    client = logged_in(owner)
    response = client.get(f"/workplaces/{staffed.pk}/bills/2031-07/")
    assert response.status_code == 400
    assert "요율" in response.content.decode()
    assert client.get(f"/workplaces/{staffed.pk}/bills/2031-07/csv/").status_code == 404
