"""Cancel and correct every kind of person report, each agency with its own code; periods and
the report's status follow only what the agencies accepted (the sandbox over HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from filings import delivery
from filings.models import InsuredPeriod, Report, Submission, SubmissionAttempt
from filings.services import report_correct
from portal.models import Employee
from tests.filings.helpers import hire_body
from tests.filings.test_periods import _exit_body, _periods, _post, _send

pytestmark = pytest.mark.django_db
AGENCIES = {"pension", "health", "employment", "industrial_accident"}


def _send_cancels(report_id: int) -> dict[int, str]:
    ids = Submission.objects.filter(report_id=report_id, action="cancel").values_list(
        "pk", flat=True
    )
    return delivery.submissions_send(submission_ids=list(ids))


def _hired_and_exited(api_client, workplace):  # type: ignore[no-untyped-def]
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    last_day = timezone.localdate() - timedelta(days=1)
    exit_report = _post(api_client, workplace, _exit_body(hire["employee_id"], last_day))
    assert set(_send(exit_report["id"]).values()) == {"accepted"}
    return hire, exit_report


def _sent_bodies(report_id: int, action: str) -> dict[str, str]:
    return dict(
        SubmissionAttempt.objects.filter(
            submission__report_id=report_id, submission__action=action, kind="send"
        ).values_list("submission__agency", "request_body")
    )


def test_cancelling_an_accepted_exit_sends_each_agency_its_loss_cancellation_and_reopens_the_periods(
    api_client, workplace, sandbox
):
    hire, exit_report = _hired_and_exited(api_client, workplace)
    assert Employee.objects.get(pk=hire["employee_id"]).loss_date is not None
    response = api_client.post(f"/api/v1/reports/{exit_report['id']}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_progress"
    assert set(_send_cancels(exit_report["id"]).values()) == {"accepted"}
    bodies = _sent_bodies(exit_report["id"], "cancel")
    assert (
        '"form": "loss_cancel"' in bodies["pension"] and '"cancel_code": "15"' in bodies["pension"]
    )
    assert '"cancel_code": "30"' in bodies["health"]
    assert '"action": "취소"' in bodies["employment"]
    assert all(p["lost_on"] is None for p in _periods(api_client, hire["employee_id"]))
    assert Employee.objects.get(pk=hire["employee_id"]).loss_date is None
    assert Report.objects.get(pk=exit_report["id"]).status == "cancelled"


def test_a_loss_cancellation_refused_at_one_agency_keeps_that_loss_and_shows_the_agencys_words(
    api_client, workplace, sandbox
):
    hire, exit_report = _hired_and_exited(api_client, workplace)
    sandbox.fault(
        mode="reject", agency="health", form="loss_cancel", code="E310", message="상실 확정됨"
    )
    api_client.post(f"/api/v1/reports/{exit_report['id']}/cancel/")
    _send_cancels(exit_report["id"])
    periods = {p["agency"]: p for p in _periods(api_client, hire["employee_id"])}
    assert periods["health"]["lost_on"] is not None
    assert all(periods[a]["lost_on"] is None for a in AGENCIES - {"health"})
    detail = api_client.get(f"/api/v1/reports/{exit_report['id']}/").json()
    assert detail["status"] == "rejected"  # never 취소됨 while an agency keeps the loss
    refused = [c for c in detail["cancellations"] if c["agency"] == "health"][0]
    assert refused["status"] == "rejected" and "상실 확정됨" in refused["result_message"]


def test_cancelling_an_accepted_pay_change_asks_every_agency_to_withdraw_it(
    api_client, workplace, sandbox
):
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    change = _post(
        api_client,
        workplace,
        {
            "kind": "pay_change",
            "employee_id": hire["employee_id"],
            "effective_date": timezone.localdate().isoformat(),
            "monthly_wage": 3_500_000,
        },
    )
    wage = Employee.objects.values_list("monthly_wage", flat=True)
    assert wage.get(pk=hire["employee_id"]) == 3_000_000  # filed, not yet accepted
    assert set(_send(change["id"]).values()) == {"accepted"}
    assert wage.get(pk=hire["employee_id"]) == 3_500_000
    response = api_client.post(f"/api/v1/reports/{change['id']}/cancel/")
    assert response.status_code == 200, response.content
    assert set(_send_cancels(change["id"]).values()) == {"accepted"}
    assert '"form": "pay_change_cancel"' in _sent_bodies(change["id"], "cancel")["pension"]
    assert Report.objects.get(pk=change["id"]).status == "cancelled"
    assert wage.get(pk=hire["employee_id"]) == 3_000_000  # the hire's wage is in force again


def test_a_correction_whose_cancellation_is_refused_at_one_agency_leaves_that_agencys_period_untouched(
    api_client, owner, workplace, sandbox
):
    _correction_refused_at_pension(api_client, owner, workplace, sandbox)


def _correction_refused_at_pension(api_client, owner, workplace, sandbox) -> Report:  # type: ignore[no-untyped-def]
    body = hire_body()
    hire = _post(api_client, workplace, body)
    _send(hire["id"])
    old = Report.objects.get(pk=hire["id"])
    sandbox.fault(
        mode="reject", agency="pension", form="acquisition_cancel", code="E105", message="취소 불가"
    )
    new_day = (old.event_date + timedelta(days=1)).isoformat()
    new = report_correct(actor=owner, report=old, data=dict(body, hire_date=new_day))
    assert new.employee_id == old.employee_id  # the same person, not a second employee
    _send_cancels(old.pk)
    results = _send(new.pk)
    pension_new = Submission.objects.get(report=new, agency="pension")
    assert results[pension_new.pk] == "skipped"
    assert pension_new.status == "cancelled" and "E105" in pension_new.result_message
    periods = {p["agency"]: p for p in _periods(api_client, old.employee_id)}
    assert periods["pension"]["acquired_on"] == old.event_date.isoformat()
    assert periods["pension"]["report_id"] == old.pk
    assert all(periods[a]["acquired_on"] == new_day for a in AGENCIES - {"pension"})
    old.refresh_from_db()
    assert old.status == "rejected"  # not 정정됨: the original stands at the pension agency
    assert Employee.objects.filter(workplace=workplace).count() == 1
    return old


def test_the_report_page_shows_per_agency_what_stands_and_no_button_that_cannot_succeed(
    api_client, owner, workplace, sandbox, verified_client
):
    old = _correction_refused_at_pension(api_client, owner, workplace, sandbox)
    page = verified_client(owner).get(f"/reports/{old.pk}/").content.decode()
    assert "원 신고가 유효합니다. 기관이 취소를 받아들이지 않았습니다: E105 취소 불가" in page
    assert "취소 완료: 원 신고는 효력이 없습니다." in page
    assert "신고 취소" not in page and ">정정<" not in page


def test_correcting_an_accepted_exit_undoes_the_loss_then_files_the_new_date(
    api_client, owner, workplace, sandbox
):
    hire, exit_report = _hired_and_exited(api_client, workplace)
    old = Report.objects.get(pk=exit_report["id"])
    earlier = timezone.localdate() - timedelta(days=3)
    new = report_correct(actor=owner, report=old, data=_exit_body(hire["employee_id"], earlier))
    assert set(_send_cancels(old.pk).values()) == {"accepted"}
    assert set(_send(new.pk).values()) == {"accepted"}
    lost = {p["lost_on"] for p in _periods(api_client, hire["employee_id"])}
    assert lost == {(earlier + timedelta(days=1)).isoformat()}
    old.refresh_from_db()
    assert old.status == "superseded"
    assert InsuredPeriod.objects.filter(employee_id=hire["employee_id"]).count() == 4
