"""What the portal shows and checks about a person comes from the accepted periods."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from filings.models import Report, Submission
from tests.filings.helpers import hire_body
from tests.filings.test_periods import _exit_body, _post, _send

pytestmark = pytest.mark.django_db


def test_the_employee_list_and_api_show_each_agencys_answer_not_the_filing(
    api_client, owner, workplace, sandbox, verified_client
):
    sandbox.fault(mode="reject", agency="health", form="acquisition", count=1)
    hire = _post(api_client, workplace, hire_body())
    listed = api_client.get(f"/api/v1/workplaces/{workplace.pk}/employees/").json()["results"]
    assert {a: s["state"] for a, s in listed[0]["insurances"].items()} == dict.fromkeys(
        ("pension", "health", "employment", "industrial_accident"), "pending"
    )
    _send(hire["id"])
    person = api_client.get(f"/api/v1/employees/{hire['employee_id']}/").json()
    states = {a: s["state"] for a, s in person["insurances"].items()}
    assert states == {
        "pension": "insured",
        "health": "none",
        "employment": "insured",
        "industrial_accident": "insured",
    }
    assert person["insurances"]["pension"]["source"] == "filed"
    page = verified_client(owner).get("/employees/").content.decode()
    assert 'data-agency="health" data-state="none"' in page
    assert 'data-agency="pension" data-state="insured"' in page


def test_an_exit_goes_only_to_the_agencies_that_hold_the_person(api_client, workplace, sandbox):
    sandbox.fault(mode="reject", agency="health", form="acquisition", count=1)
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    last_day = timezone.localdate() - timedelta(days=1)
    exit_report = _post(api_client, workplace, _exit_body(hire["employee_id"], last_day))
    agencies = set(
        Submission.objects.filter(report_id=exit_report["id"]).values_list("agency", flat=True)
    )
    assert agencies == {"pension", "employment", "industrial_accident"}
    coverage = Report.objects.get(pk=exit_report["id"]).coverage
    assert "가입 내역이 없어" in coverage["health"]["reason"]


def test_an_exit_for_someone_no_agency_holds_is_refused_naming_the_rule(
    api_client, workplace, sandbox
):
    for agency in ("pension", "health", "employment", "industrial_accident"):
        sandbox.fault(mode="reject", agency=agency, form="acquisition", count=1)
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    last_day = timezone.localdate() - timedelta(days=1)
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/",
        _exit_body(hire["employee_id"], last_day),
        format="json",
    )
    assert response.status_code == 400
    assert "not_insured" in response.content.decode()
    assert "가입 내역이 없습니다" in response.content.decode()


def test_an_answer_marks_the_person_and_the_sweeper_checks_and_clears_the_mark(
    api_client, workplace, sandbox
):
    from filings import delivery
    from filings.consistency import discrepancies_check_due
    from filings.models import Discrepancy, DiscrepancyCheckDue, Submission

    sandbox.fault(mode="reject", agency="health", form="acquisition", count=1)
    hire = _post(api_client, workplace, hire_body())
    ids = list(Submission.objects.filter(report_id=hire["id"]).values_list("pk", flat=True))
    delivery.submissions_send(submission_ids=ids)
    assert DiscrepancyCheckDue.objects.filter(employee_id=hire["employee_id"]).exists()
    assert discrepancies_check_due() == 1
    assert not DiscrepancyCheckDue.objects.exists()
    assert [
        d.kind
        for d in Discrepancy.objects.filter(
            employee_id=hire["employee_id"], resolved_at__isnull=True
        )
    ] == ["missing_acquisition"]
