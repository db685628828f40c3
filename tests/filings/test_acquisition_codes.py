"""NHIS acquisition codes other than 00 and NPS code 12 reach the agencies and the periods."""

from __future__ import annotations

import pytest

from filings.models import InsuredPeriod, SubmissionAttempt
from tests.filings.helpers import hire_body
from tests.filings.test_periods import _post, _send

pytestmark = pytest.mark.django_db


def _sent(report_id: int, agency: str) -> str:
    return SubmissionAttempt.objects.get(
        submission__report_id=report_id, submission__agency=agency, kind="send"
    ).request_body


def test_a_person_coming_from_another_workplace_is_acquired_at_nhis_with_code_05(
    api_client, workplace, sandbox
):
    hire = _post(api_client, workplace, hire_body(health_acquisition_code="05"))
    assert set(_send(hire["id"]).values()) == {"accepted"}
    assert '"acquisition_code": "05"' in _sent(hire["id"], "health")
    period = InsuredPeriod.objects.get(employee_id=hire["employee_id"], agency="health")
    assert period.acquisition_code == "05"


def test_a_short_hours_worker_who_asks_to_join_is_acquired_at_nps_with_code_12(
    api_client, workplace, sandbox
):
    body = hire_body(employment_type="part_time", weekly_hours=10, pension_by_request=True)
    hire = _post(api_client, workplace, body)
    assert hire["coverage"]["pension"]["covered"] is True
    assert set(_send(hire["id"]).values()) == {"accepted"}
    assert '"acquisition_code": "12"' in _sent(hire["id"], "pension")
    assert (
        InsuredPeriod.objects.get(
            employee_id=hire["employee_id"], agency="pension"
        ).acquisition_code
        == "12"
    )


def test_asking_to_join_nps_with_full_hours_is_refused_naming_the_field(api_client, workplace):
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/",
        hire_body(pension_by_request=True),
        format="json",
    )
    assert response.status_code == 400
    assert "pension_by_request" in response.content.decode()
    assert "short_hours_only" in response.content.decode()


def test_an_unknown_nhis_acquisition_code_is_refused(api_client, workplace):
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/",
        hire_body(health_acquisition_code="30"),
        format="json",
    )
    assert response.status_code == 400
    assert "health_acquisition_code" in response.content.decode()
