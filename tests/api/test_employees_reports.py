"""Employees (masked numbers, create, update), report lists with filters, attempts, correction."""

from __future__ import annotations

from datetime import date

import pytest

from filings.models import Report, Submission, SubmissionAttempt
from filings.services import report_file
from tests.factories import EmployeeFactory, valid_rrn
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db


def test_employees_are_listed_with_masked_numbers_only(api_client, workplace):
    rrn = valid_rrn(date(1985, 7, 7))
    EmployeeFactory(workplace=workplace, rrn=rrn)
    response = api_client.get(f"/api/v1/workplaces/{workplace.pk}/employees/")
    assert response.status_code == 200
    text = response.content.decode()
    assert rrn not in text and rrn[7:] not in text
    row = response.json()["results"][0]
    assert row["rrn_masked"] == f"{rrn[:6]}-{rrn[6]}******"


def test_an_employee_is_created_and_updated_but_a_bad_number_names_the_rule(api_client, workplace):
    url = f"/api/v1/workplaces/{workplace.pk}/employees/"
    bad = api_client.post(url, {"name": "김", "rrn": "9001011234567"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["rrn"][0]["rule"] == "rrn.check_digit"
    rrn = valid_rrn(date(1990, 2, 2))
    created = api_client.post(
        url, {"name": "김하늘", "rrn": rrn, "monthly_wage": 2_500_000}, format="json"
    )
    assert created.status_code == 201, created.content
    assert rrn not in created.content.decode()
    again = api_client.post(url, {"name": "김하늘", "rrn": rrn}, format="json")
    assert again.json()["error"]["fields"]["rrn"][0]["rule"] == "already_employed"
    employee_id = created.json()["id"]
    patched = api_client.patch(
        f"/api/v1/employees/{employee_id}/",
        {"name": "김하늘별", "monthly_wage": 2_700_000},
        format="json",
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "김하늘별" and patched.json()["monthly_wage"] == 2_700_000
    visa = api_client.patch(f"/api/v1/employees/{employee_id}/", {"visa": "E-9"}, format="json")
    assert visa.json()["error"]["fields"]["visa"][0]["rule"] == "not_for_nationals"


def test_reports_are_filtered_by_status_kind_agency_and_date_and_paginated(
    api_client, owner, workplace
):
    for _ in range(3):
        report_file(actor=owner, workplace=workplace, data=hire_body())
    cancelled = Report.objects.first()
    Report.objects.filter(pk=cancelled.pk).update(status="cancelled")
    url = f"/api/v1/workplaces/{workplace.pk}/reports/"
    everything = api_client.get(url).json()
    assert everything["count"] == 3
    assert api_client.get(url, {"status": "cancelled"}).json()["count"] == 1
    assert api_client.get(url, {"kind": "exit"}).json()["count"] == 0
    assert api_client.get(url, {"agency": "pension"}).json()["count"] == 3
    today = date.today().isoformat()
    assert api_client.get(url, {"filed_after": today, "filed_before": today}).json()["count"] == 3
    assert api_client.get(url, {"event_date_after": "2999-01-01"}).json()["count"] == 0
    assert api_client.get(url, {"page": 2}).status_code == 404
    bad = api_client.get(url, {"status": "nonsense"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_submissions_list_every_attempt_with_outcome_status_and_duration(
    api_client, owner, workplace
):
    report, _ = report_file(actor=owner, workplace=workplace, data=hire_body())
    sub = report.submissions.get(agency="pension")
    SubmissionAttempt.objects.create(
        submission=sub,
        kind="send",
        duration_ms=42,
        status_code=503,
        outcome="transient",
        error="503",
    )
    response = api_client.get(f"/api/v1/reports/{report.pk}/submissions/")
    assert response.status_code == 200
    pension = next(s for s in response.json() if s["agency"] == "pension")
    assert pension["attempt_log"][0] | {} == pension["attempt_log"][0]
    assert pension["attempt_log"][0]["status_code"] == 503
    assert pension["attempt_log"][0]["duration_ms"] == 42
    assert pension["attempt_log"][0]["outcome"] == "transient"


def test_a_correction_supersedes_the_report_and_answers_the_new_revision(
    api_client, owner, workplace
):
    body = hire_body()
    report, _ = report_file(actor=owner, workplace=workplace, data=body)
    corrected = {**body, "monthly_wage": 3_500_000}
    response = api_client.post(f"/api/v1/reports/{report.pk}/correct/", corrected, format="json")
    assert response.status_code == 201, response.content
    new = response.json()
    assert new["supersedes"] == report.pk and new["revision"] == 2
    report.refresh_from_db()
    assert report.status == "superseded"
    again = api_client.post(f"/api/v1/reports/{report.pk}/correct/", corrected, format="json")
    assert again.status_code == 409
    assert Submission.objects.filter(report_id=new["id"]).count() == 4
