"""An explicit null for an optional field that does not apply is taken like an absent field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from portal.models import Employee
from tests.factories import valid_rrn
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db


def test_a_hire_of_a_korean_national_with_null_visa_and_contract_end_is_filed(
    api_client: Any, workplace: Any
) -> None:
    body = hire_body(contract_end=None, is_representative=None)
    body["employee"].update(visa=None, nationality=None)

    response = api_client.post(f"/api/v1/workplaces/{workplace.pk}/reports/", body, format="json")

    assert response.status_code == 201, response.content
    employee = Employee.objects.get(pk=response.json()["employee_id"])
    assert (employee.nationality, employee.visa, employee.contract_end) == ("KR", "", None)


def test_an_employee_created_with_null_optional_fields_gets_the_defaults(
    api_client: Any, workplace: Any
) -> None:
    body = {
        "name": "박서준",
        "rrn": valid_rrn(date(1991, 4, 4)),
        "nationality": None,
        "visa": None,
        "job_code": None,
        "monthly_wage": None,
        "employment_type": None,
        "is_representative": None,
        "hire_date": None,
        "contract_end": None,
    }

    response = api_client.post(f"/api/v1/workplaces/{workplace.pk}/employees/", body, format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["nationality"] == "KR" and created["visa"] == ""
    assert created["job_code"] == "" and created["employment_type"] == "regular"
    assert created["monthly_wage"] == 0 and created["is_representative"] is False


def test_a_patch_with_null_visa_changes_nothing_but_null_contract_end_clears_it(
    api_client: Any, workplace: Any
) -> None:
    created = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/employees/",
        {"name": "최유나", "rrn": valid_rrn(date(1993, 3, 3)), "contract_end": "2027-01-31"},
        format="json",
    ).json()

    patched = api_client.patch(
        f"/api/v1/employees/{created['id']}/",
        {"name": None, "visa": None, "contract_end": None},
        format="json",
    )

    assert patched.status_code == 200, patched.content
    assert patched.json()["name"] == "최유나"
    assert patched.json()["contract_end"] is None


def test_a_quote_with_null_optional_fields_is_computed(api_client: Any) -> None:
    body = {
        "monthly_wage": 3_000_000,
        "month": "2026-03",
        "workplace_id": None,
        "birth_date": None,
        "hire_date": None,
        "employment_band": None,
    }

    response = api_client.post("/api/v1/premiums/quote/", body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["pension"]["employee"] == 142_500


def test_coverage_with_null_optional_fields_uses_the_defaults(api_client: Any) -> None:
    body = {
        "birth_date": "1990-05-01",
        "hire_date": "2026-11-02",
        "employment_type": "regular",
        "weekly_hours": 40,
        "monthly_days": None,
        "monthly_wage": 2_500_000,
        "nationality": None,
        "visa": None,
        "is_representative": None,
        "contract_months": None,
    }

    response = api_client.post("/api/v1/coverage/", body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["pension"]["covered"] is True


def test_a_certificate_request_with_a_null_id_that_does_not_apply_is_accepted(
    api_client: Any, workplace: Any
) -> None:
    body = {
        "kind": "workplace_roster",
        "workplace_id": workplace.pk,
        "employee_id": None,
        "purpose": "입찰 제출용",
        "full_rrn": None,
    }

    response = api_client.post("/api/v1/certificates/", body, format="json")

    assert response.status_code == 201, response.content


def test_a_null_required_field_is_still_refused(api_client: Any, workplace: Any) -> None:
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body(job_code=None), format="json"
    )

    assert response.status_code == 400
    assert "job_code" in response.json()["error"]["fields"]
