from datetime import date

import pytest
from rest_framework.test import APIClient

from premiums.models import Bill
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

QUOTE_URL = "/api/v1/premiums/quote/"


def test_quote_for_the_reference_worked_example(api_client):
    response = api_client.post(
        QUOTE_URL, {"monthly_wage": 3_000_000, "month": "2026-03"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2026-03"
    assert body["pension"] == {"base": 3_000_000, "employee": 142_500, "employer": 142_500}
    assert body["health"] == {"employee": 107_850, "employer": 107_850}
    assert body["long_term_care"] == {"employee": 14_170, "employer": 14_170}
    assert body["employment"] == {"employee": 27_000, "employer": 34_500}
    assert body["industrial_accident"] is None
    assert body["total"] == {"employee": 291_520, "employer": 299_020}
    assert [step["title"] for step in body["trace"]][0] == "국민연금"


def test_quote_with_a_workplace_uses_its_band_and_industry(api_client, workplace):
    workplace.employment_band = "from_1000"
    workplace.industry_code = "4"
    workplace.headcount = 1500
    workplace.save()
    body = api_client.post(
        QUOTE_URL,
        {"monthly_wage": 3_000_000, "month": "2026-03", "workplace_id": workplace.pk},
        format="json",
    ).json()
    assert body["employment"]["employer"] == 52_500  # 0.9% + 0.85%
    assert body["industrial_accident"]["employee"] == 0
    assert body["industrial_accident"]["employer"] > 0
    assert body["needs_review"] is True  # the asbestos levy is not verified


def test_quote_band_given_in_the_body(api_client):
    body = api_client.post(
        QUOTE_URL,
        {"monthly_wage": 3_000_000, "month": "2026-03", "employment_band": "priority_150"},
        format="json",
    ).json()
    assert body["employment"]["employer"] == 40_500  # 0.9% + 0.45%


def test_quote_for_someone_hired_at_65_drops_the_unemployment_part(api_client):
    body = api_client.post(
        QUOTE_URL,
        {
            "monthly_wage": 3_000_000,
            "month": "2026-03",
            "birth_date": "1960-01-10",
            "hire_date": "2026-02-01",
        },
        format="json",
    ).json()
    assert body["employment"] == {"employee": 0, "employer": 7_500}


def test_quote_for_someone_60_or_over_charges_no_pension(api_client):
    body = api_client.post(
        QUOTE_URL,
        {
            "monthly_wage": 3_000_000,
            "month": "2026-03",
            "birth_date": "1966-02-10",  # 60 on 10 February 2026: pension ends with February
            "hire_date": "2020-02-01",
        },
        format="json",
    ).json()
    assert body["pension"] == {"base": 0, "employee": 0, "employer": 0}
    assert body["health"]["employee"] > 0
    assert not [step for step in body["trace"] if step["insurance"] == "pension"]
    assert any("만 60세" in note for note in body["notes"])
    assert body["total"]["employee"] == sum(
        body[k]["employee"] for k in ("health", "long_term_care", "employment")
    )


def test_quote_in_the_month_of_the_60th_birthday_still_charges_pension(api_client):
    body = api_client.post(
        QUOTE_URL,
        {
            "monthly_wage": 3_000_000,
            "month": "2026-02",
            "birth_date": "1966-02-10",
            "hire_date": "2020-02-01",
        },
        format="json",
    ).json()
    assert body["pension"]["employee"] == 142_500


@pytest.mark.parametrize(
    ("payload", "field", "rule"),
    [
        ({"month": "2026-03"}, "monthly_wage", "monthly_wage.required"),
        ({"monthly_wage": -1, "month": "2026-03"}, "monthly_wage", "monthly_wage.min_value"),
        ({"monthly_wage": 1_000_000, "month": "2026-3"}, "month", "month.format"),
        ({"monthly_wage": 1_000_000, "month": "2026-13"}, "month", "month.format"),
        ({"monthly_wage": 1_000_000, "month": "2031-01"}, "month", "month.no_rates"),
        (
            {"monthly_wage": 1_000_000, "month": "2026-03", "employment_band": "big"},
            "employment_band",
            "employment_band.invalid_choice",
        ),
        (
            {"monthly_wage": 1_000_000, "month": "2026-03", "birth_date": "1990-01-01"},
            "hire_date",
            "hire_date.required_together",
        ),
    ],
)
def test_quote_refuses_bad_input_naming_field_and_rule(api_client, payload, field, rule):
    response = api_client.post(QUOTE_URL, payload, format="json")
    assert response.status_code == 400
    errors = response.json()["error"]["fields"][field]
    assert errors[0]["rule"] == rule
    assert any("\uac00" <= ch <= "\ud7a3" for ch in errors[0]["message"])  # Korean text


def test_quote_needs_authentication():
    response = APIClient().post(QUOTE_URL, {"monthly_wage": 1, "month": "2026-03"}, format="json")
    assert response.status_code == 401


def test_quote_refuses_another_workplace(api_client, other_workplace):
    response = api_client.post(
        QUOTE_URL,
        {"monthly_wage": 3_000_000, "month": "2026-03", "workplace_id": other_workplace.pk},
        format="json",
    )
    assert response.status_code == 404


def test_bill_is_computed_on_first_read_and_stored(api_client, workplace):
    EmployeeFactory(
        workplace=workplace,
        birth=date(1990, 1, 1),
        hire_date=date(2025, 1, 1),
        name="김하나",
        insured=True,
    )
    url = f"/api/v1/workplaces/{workplace.pk}/bills/2026-03/"
    response = api_client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2026-03"
    assert body["insurances"]["pension"] == {"employee": 142_500, "employer": 142_500}
    assert body["lines"][0]["name"] == "김하나"
    assert "rrn" not in str(body).lower()
    assert Bill.objects.filter(workplace=workplace).count() == 1
    again = api_client.get(url).json()
    assert again["computed_at"] == body["computed_at"]


def test_bill_of_another_workplace_is_not_found(api_client, other_workplace):
    response = api_client.get(f"/api/v1/workplaces/{other_workplace.pk}/bills/2026-03/")
    assert response.status_code == 404
    assert not Bill.objects.exists()


def test_key_scoped_to_another_workplace_cannot_read_the_bill(
    api_client_for, owner, workplace, other_workplace
):
    client = api_client_for(owner, workplaces=[other_workplace])
    assert client.get(f"/api/v1/workplaces/{workplace.pk}/bills/2026-03/").status_code == 404


def test_bill_month_must_be_year_and_month(api_client, workplace):
    response = api_client.get(f"/api/v1/workplaces/{workplace.pk}/bills/march/")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["month"][0]["rule"] == "month.format"
