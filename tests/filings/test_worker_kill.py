"""SIGKILL the worker before and after sends, many times: nothing lost, nothing sent twice.

Celery alone either loses the task (early ack) or re-runs it after the side effect (acks_late +
reject_on_worker_lost). The submission claim, the `uncertain` mark and query-before-resend are what
make the agency see exactly one message per (report, agency); this test holds them to it.
"""

from __future__ import annotations

import random
import time

import pytest

from filings.models import Submission, SubmissionAttempt
from tests.filings.helpers import hire_body
from tests.pipeline import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TRIALS = 12
REPORTS_PER_TRIAL = 3


def test_killing_the_worker_around_sends_never_loses_or_duplicates_a_submission(
    api_client, workplace, sandbox, celery_worker_process
):
    rng = random.Random(20261122)
    report_ids: list[int] = []
    for trial in range(TRIALS):
        # Odd trials: the agency is slow before it processes (kill while the request is in
        # flight, before the side effect). Even trials: it processes, then is slow to answer
        # (kill after the side effect, before we record it).
        mode = "latency" if trial % 2 else "timeout"
        sandbox.control("DELETE", "/_faults")
        sandbox.configure(timeout_sleep_s=1.2)
        sandbox.fault(mode=mode, latency_ms=1200, count=REPORTS_PER_TRIAL * 4)
        for _ in range(REPORTS_PER_TRIAL):
            response = api_client.post(
                f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body(), format="json"
            )
            assert response.status_code == 201
            report_ids.append(response.json()["id"])
        time.sleep(rng.uniform(0.05, 1.5))
        celery_worker_process.restart()  # SIGKILL the whole worker, then start a fresh one

    sandbox.control("DELETE", "/_faults")
    wait_until(
        lambda: (
            not Submission.objects.filter(report_id__in=report_ids)
            .exclude(status__in=["accepted", "rejected", "failed"])
            .exists()
        ),
        timeout=120,
        interval=0.5,
    )
    submissions = list(Submission.objects.filter(report_id__in=report_ids))
    assert len(submissions) == TRIALS * REPORTS_PER_TRIAL * 4
    assert {s.status for s in submissions} == {"accepted"}, "every committed filing is accepted"
    posts = sandbox.posts()
    sent_twice = {
        str(s.reference): posts.get(str(s.reference))
        for s in submissions
        if posts.get(str(s.reference)) != 1
    }
    assert sent_twice == {}, "the agency received each (report, agency) exactly once"
    # The dangerous case really happened: some sends were found at the agency after a kill,
    # by asking first instead of sending again.
    assert SubmissionAttempt.objects.filter(
        submission__in=submissions, kind="query", outcome="found"
    ).exists()
