"""이직확인서: for an exit that can give unemployment benefit, filed to employment insurance only,
with the wage details prefilled from the portal and printable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from filings.models import Submission, SubmissionAttempt
from filings.separation import separation_prefill
from portal.models import Employee
from tests.certificates.helpers import pdf_text
from tests.filings.helpers import hire_body
from tests.filings.test_periods import _exit_body, _post, _send

pytestmark = pytest.mark.django_db


def _separated(api_client, workplace):  # type: ignore[no-untyped-def]
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    last_day = timezone.localdate() - timedelta(days=1)
    body = dict(_exit_body(hire["employee_id"], last_day), reason_code="23")
    _send(_post(api_client, workplace, body)["id"])
    employee = Employee.objects.get(pk=hire["employee_id"])
    return employee, last_day


def test_a_separation_report_goes_to_employment_insurance_only_with_the_average_wage(
    api_client, owner, workplace, sandbox, verified_client
):
    employee, last_day = _separated(api_client, workplace)
    prefill = api_client.get(f"/api/v1/employees/{employee.pk}/separation-prefill/")
    assert prefill.status_code == 200, prefill.content
    body = prefill.json()
    assert body["last_working_day"] == last_day.isoformat()
    assert body["wage_months"][-1]["end"] == last_day.isoformat()
    body["reason_code"] = "23"
    report = _post(api_client, workplace, body)
    assert {s["agency"] for s in report["submissions"]} == {"employment"}
    assert set(_send(report["id"]).values()) == {"accepted"}
    sent = SubmissionAttempt.objects.get(submission__report_id=report["id"], kind="send")
    assert '"form": "separation"' in sent.request_body
    days = sum(m["days"] for m in body["wage_months"])
    wages = sum(m["wages"] for m in body["wage_months"])
    assert f'"average_daily_wage": {wages // days}' in sent.request_body
    pdf = verified_client(owner).get(f"/reports/{report['id']}/separation.pdf")
    text = pdf_text(pdf.content)
    assert "이직확인서" in text and f"{wages // days:,}" in text
    assert Submission.objects.filter(report_id=report["id"]).count() == 1


def test_a_separation_for_a_voluntary_resignation_is_refused_naming_the_rule(
    api_client, workplace, sandbox
):
    employee, last_day = _separated(api_client, workplace)
    body = separation_prefill(employee=employee, last_working_day=last_day)
    body["reason_code"] = "11"
    response = api_client.post(f"/api/v1/workplaces/{workplace.pk}/reports/", body, format="json")
    assert response.status_code == 400
    assert "no_benefit" in response.content.decode()
