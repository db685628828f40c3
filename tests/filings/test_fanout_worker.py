"""One report fanned out through a real Celery worker to the agency sandbox over HTTP."""

from __future__ import annotations

from datetime import date

import pytest

from filings.models import Report, Submission, SubmissionAttempt
from tests.filings.helpers import hire_body
from tests.pipeline import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def file_hire(client, workplace, **overrides):  # type: ignore[no-untyped-def]
    response = client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body(**overrides), format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def final(report_id: int) -> bool:
    return all(s.is_final for s in Submission.objects.filter(report_id=report_id))


def test_a_hire_reaches_four_accepted_submissions_with_receipt_numbers(
    api_client, workplace, sandbox, celery_worker_process
):
    report_id = file_hire(api_client, workplace)
    wait_until(lambda: final(report_id))
    detail = api_client.get(f"/api/v1/reports/{report_id}/").json()
    assert detail["status"] == "completed"
    assert [s["status"] for s in detail["submissions"]] == ["accepted"] * 4
    assert all(s["receipt_number"] for s in detail["submissions"])
    assert {e["agency"] for e in detail["events"] if e["status"] == "accepted"} == {
        "pension",
        "health",
        "employment",
        "industrial_accident",
    }
    references = {str(s.reference) for s in Submission.objects.filter(report_id=report_id)}
    assert {ref: sandbox.posts().get(ref) for ref in references} == dict.fromkeys(references, 1)


def test_a_person_not_covered_by_the_pension_goes_to_three_agencies(
    api_client, workplace, sandbox, celery_worker_process
):
    report_id = file_hire(api_client, workplace, birth=date(1960, 3, 1))
    wait_until(lambda: final(report_id))
    agencies = set(Submission.objects.filter(report_id=report_id).values_list("agency", flat=True))
    assert agencies == {"health", "employment", "industrial_accident"}
    assert len(sandbox.posts()) == 3


def test_an_agency_rejection_shows_the_agencys_words(
    api_client, workplace, sandbox, celery_worker_process
):
    report_id = file_hire(api_client, workplace, name="반려테스트")
    wait_until(lambda: final(report_id))
    detail = api_client.get(f"/api/v1/reports/{report_id}/").json()
    assert detail["status"] == "rejected"
    rejected = [s for s in detail["submissions"] if s["status"] == "rejected"]
    assert rejected and all(s["result_message"] for s in rejected)
    assert any("반려" in e["message"] for e in detail["events"])


def test_a_burst_of_server_errors_is_retried_to_success(
    api_client, workplace, sandbox, celery_worker_process
):
    sandbox.fault(agency="pension", mode="error_5xx", count=3, method="POST")
    report_id = file_hire(api_client, workplace)
    wait_until(lambda: final(report_id))
    pension = Submission.objects.get(report_id=report_id, agency="pension")
    assert pension.status == "accepted"
    outcomes = list(
        SubmissionAttempt.objects.filter(submission=pension).values_list("outcome", flat=True)
    )
    assert outcomes.count("transient") == 3
    # A 5xx may hide a processed report, so every retry asked the agency first ("unknown").
    assert outcomes.count("unknown") == 3
    assert outcomes[-1] == "accepted"


def test_results_decided_later_arrive_through_polling(
    api_client, workplace, sandbox, celery_worker_process
):
    sandbox.configure(result_delay=1.5)
    report_id = file_hire(api_client, workplace)
    wait_until(
        lambda: Submission.objects.filter(report_id=report_id, status="received").count() == 4
    )
    wait_until(lambda: final(report_id), timeout=30)
    assert Report.objects.get(pk=report_id).status == "completed"


def test_cancelling_an_accepted_hire_sends_each_agency_its_cancellation(
    api_client, workplace, sandbox, celery_worker_process
):
    report_id = file_hire(api_client, workplace)
    wait_until(lambda: final(report_id))
    response = api_client.post(f"/api/v1/reports/{report_id}/cancel/")
    assert response.status_code == 200
    # 취소됨 only once every agency accepted its cancellation.
    assert response.json()["status"] == "in_progress"
    wait_until(lambda: Report.objects.get(pk=report_id).status == "cancelled")
    assert Submission.objects.filter(report_id=report_id, action="cancel").count() == 4
    assert set(
        Submission.objects.filter(report_id=report_id, action="cancel").values_list(
            "status", flat=True
        )
    ) == {"accepted"}
    detail = api_client.get(f"/api/v1/reports/{report_id}/").json()
    assert [s["status"] for s in detail["submissions"]] == ["accepted"] * 4  # history kept
    assert len(detail["cancellations"]) == 4


def test_correcting_an_accepted_hire_cancels_it_and_files_a_new_revision(
    api_client, owner, workplace, sandbox, celery_worker_process
):
    from filings.services import report_correct

    body = hire_body()
    report_id = file_hire(api_client, workplace, rrn=body["employee"]["rrn"])
    wait_until(lambda: final(report_id))
    old = Report.objects.get(pk=report_id)
    corrected = dict(body, monthly_wage=3_300_000)
    new = report_correct(actor=owner, report=old, data=corrected)
    # The old acquisition is cancelled first at each agency, then the new one is accepted.
    wait_until(lambda: final(new.pk), timeout=40)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == "superseded"
    assert new.revision == 2 and new.supersedes_id == old.pk
    assert new.status == "completed"
    assert new.data["monthly_wage"] == 3_300_000
    cancels = Submission.objects.filter(report=old, action="cancel")
    assert sorted(c.status for c in cancels) == ["accepted"] * 4
    history = [e["status"] for e in api_client.get(f"/api/v1/reports/{old.pk}/").json()["events"]]
    assert "superseded" in history and history.count("accepted") >= 4


def test_the_fan_out_tells_the_workplace_and_its_payroll_firm_about_every_answer(
    api_client, owner, agent, firm, workplace, settings, sandbox, celery_worker_process
):
    from filings.models import WebhookDelivery
    from filings.webhooks import webhook_create

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    own, _ = webhook_create(actor=owner, url="http://127.0.0.1:9/own", workplace=workplace)
    firms, _ = webhook_create(actor=agent, url="http://127.0.0.1:9/firm", firm=firm)
    report_id = file_hire(api_client, workplace)
    wait_until(lambda: final(report_id))
    agencies = ["employment", "health", "industrial_accident", "pension"]
    for endpoint in (own, firms):
        told = WebhookDelivery.objects.filter(endpoint=endpoint)
        data = [d.payload["data"] for d in told]
        assert sorted((d["agency"], d["status"]) for d in data) == [
            (agency, "accepted") for agency in agencies
        ]
        assert {d["report_id"] for d in data} == {report_id}
        assert all(d["receipt_number"] for d in data)


def test_each_answer_is_stored_as_an_attempt_with_the_exchange_and_no_resident_number(
    api_client, workplace, sandbox, celery_worker_process
):
    body = hire_body()
    report_id = file_hire(api_client, workplace, rrn=body["employee"]["rrn"])
    wait_until(lambda: final(report_id))
    attempts = SubmissionAttempt.objects.filter(submission__report_id=report_id)
    assert attempts.count() == 4
    for attempt in attempts:
        assert attempt.kind == "send" and attempt.outcome == "accepted"
        assert attempt.status_code == 202 and attempt.method == "POST"
        assert attempt.submission.receipt_number in attempt.response_body
        assert str(attempt.submission.reference) in attempt.request_body
        assert body["employee"]["rrn"] not in attempt.request_body
        assert body["employee"]["rrn"][7:] not in attempt.request_body + attempt.response_body
    timeline = Report.objects.get(pk=report_id).events.exclude(submission=None)
    assert sorted(timeline.values_list("status", flat=True)) == sorted(
        ["queued", "accepted"] * 4  # the decision came with its receipt: one entry says both
    )


def test_a_correction_refused_at_one_agency_is_filed_at_the_others_by_the_worker(
    api_client, owner, workplace, sandbox, celery_worker_process
):
    from datetime import timedelta

    from filings.models import InsuredPeriod
    from filings.services import report_correct

    body = hire_body()
    report_id = file_hire(api_client, workplace, rrn=body["employee"]["rrn"])
    wait_until(lambda: final(report_id))
    old = Report.objects.get(pk=report_id)
    sandbox.fault(mode="reject", agency="health", form="acquisition_cancel", code="E105")
    new_day = (old.event_date + timedelta(days=1)).isoformat()
    new = report_correct(actor=owner, report=old, data=dict(body, hire_date=new_day))
    wait_until(lambda: final(new.pk) and final(old.pk), timeout=40)
    old.refresh_from_db()
    assert old.status == "rejected"
    health_new = Submission.objects.get(report=new, agency="health")
    assert health_new.status == "cancelled" and "E105" in health_new.result_message
    acquired = dict(
        InsuredPeriod.objects.filter(employee_id=old.employee_id).values_list(
            "agency", "acquired_on"
        )
    )
    assert acquired.pop("health") == old.event_date
    assert {d.isoformat() for d in acquired.values()} == {new_day}
