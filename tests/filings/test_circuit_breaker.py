"""An agency that keeps failing: every attempt counted, the cap fails and alerts, and an agency
that is down is shown as 기관 장애, left alone and probed until it answers again."""

from __future__ import annotations

import time

import pytest

from filings.models import AgencyOutage, Submission, SubmissionAttempt
from notifications.models import Notification
from tests.filings.helpers import hire_body
from tests.pipeline import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def file_hire(client, workplace):  # type: ignore[no-untyped-def]
    response = client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body(), format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_an_agency_that_is_down_shows_as_out_is_left_alone_and_resumes_when_it_answers(
    api_client, owner, workplace, sandbox, celery_worker_process, verified_client
):
    sandbox.fault(agency="pension", mode="outage")
    first = file_hire(api_client, workplace)
    wait_until(lambda: AgencyOutage.objects.filter(agency="pension").exists(), timeout=60)
    second = file_hire(api_client, workplace)

    # While it is out, its rows wait without spending attempts (probes are status queries).
    tried = SubmissionAttempt.objects.filter(submission__agency="pension").count()
    time.sleep(2.5)
    assert SubmissionAttempt.objects.filter(submission__agency="pension").count() == tried
    waiting = Submission.objects.get(report_id=second, agency="pension")
    assert waiting.status == "queued" and waiting.attempts_count == 0

    detail = api_client.get(f"/api/v1/reports/{first}/").json()
    pension = next(s for s in detail["submissions"] if s["agency"] == "pension")
    assert pension["status"] == "queued"
    assert pension["agency_outage"]["since"] and pension["agency_outage"]["next_attempt_at"]
    assert pension["attempts"] >= 5 and pension["last_attempt_at"]
    browser = verified_client(owner)
    page = browser.get(f"/reports/{first}/").content.decode()
    assert 'data-testid="agency-outage"' in page and "기관 장애" in page
    assert "기관 장애" in browser.get("/dashboard/").content.decode()

    sandbox.control("DELETE", "/_faults")
    wait_until(lambda: not AgencyOutage.objects.exists(), timeout=30)
    for report_id in (first, second):
        wait_until(
            lambda rid=report_id: (
                Submission.objects.get(report_id=rid, agency="pension").status == "accepted"
            ),
            timeout=60,
        )
    assert "기관 장애" not in browser.get("/dashboard/").content.decode()


def test_every_failed_attempt_counts_and_the_last_one_fails_the_submission_with_an_alert(
    api_client, owner, workplace, sandbox, celery_worker_process
):
    # Sends fail but status queries answer, so the agency is not out: each row retries alone.
    sandbox.fault(agency="health", mode="error_5xx", method="POST")
    report_id = file_hire(api_client, workplace)
    wait_until(
        lambda: Submission.objects.get(report_id=report_id, agency="health").status == "failed",
        timeout=60,
    )
    health = Submission.objects.get(report_id=report_id, agency="health")
    assert health.attempts_count == 10  # the worker's SUBMISSION_MAX_ATTEMPTS
    sends = SubmissionAttempt.objects.filter(submission=health, kind="send")
    assert sends.count() == 10 and {a.outcome for a in sends} == {"transient"}
    assert not AgencyOutage.objects.exists()
    wait_until(lambda: Notification.objects.filter(user=owner).exists(), timeout=30)
    detail = api_client.get(f"/api/v1/reports/{report_id}/").json()
    assert detail["status"] == "failed"
