"""Requests racing with one Idempotency-Key file once, on a real database (no test transaction)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from filings.models import IdempotencyRecord, Report
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db(transaction=True)


def test_four_identical_hires_sent_at_once_file_one_report(api_client_for, owner, workplace):
    template = api_client_for(owner)
    token = template._credentials["HTTP_AUTHORIZATION"]
    url = f"/api/v1/workplaces/{workplace.pk}/reports/"
    body = hire_body()
    start = threading.Barrier(4)
    answers: list[tuple[int, dict, str]] = []

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        try:
            start.wait()
            response = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="race")
            answers.append(
                (response.status_code, response.json(), response.get("Idempotent-Replayed", ""))
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Report.objects.count() == 1
    created = [a for a in answers if a[0] == 201 and not a[2]]
    assert len(created) == 1, answers
    report_id = created[0][1]["id"]
    for status, payload, replayed in answers:
        if (status, payload, replayed) == created[0]:
            continue
        # The others were told to wait (still running) or got the first answer again.
        assert status == 409 or (
            status == 201 and replayed == "true" and payload["id"] == report_id
        )
    assert IdempotencyRecord.objects.get(key="race").status_code == 201
