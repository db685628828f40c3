"""Recording answers set-based (filings.delivery.outcomes_record): the timeline and the periods
come out as they did row by row."""

from __future__ import annotations

from typing import Any

import pytest

from filings.models import InsuredPeriod, ReportEvent, Submission, SubmissionStatus
from filings.periods import periods_apply_accepted
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db


def _file_channel_hire(api_client: Any, workplace: Any) -> tuple[dict, int]:
    response = api_client.patch(
        f"/api/v1/workplaces/{workplace.pk}/", {"delivery_channel": "file"}, format="json"
    )
    assert response.status_code == 200, response.content
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body(), format="json"
    )
    assert response.status_code == 201, response.content
    hire = response.json()
    response = api_client.post(f"/api/v1/workplaces/{workplace.pk}/agency-files/")
    assert response.status_code == 201, response.content
    (batch,) = response.json()
    return hire, batch["id"]


def test_each_answer_of_a_file_has_its_receipt_then_its_decision_on_the_timeline_verbatim(
    api_client, workplace
):
    hire, batch_id = _file_channel_hire(api_client, workplace)
    agencies = sorted(
        Submission.objects.filter(report_id=hire["id"]).values_list("agency", flat=True)
    )
    # Characters with a meaning in SQL or in an array's text form reach the timeline as written.
    message = "He said \"no\" \\ {a,b} 'x' NULL"
    rows = [
        {"report_id": hire["id"], "agency": agency, "status": "rejected", "message": message}
        if agency == agencies[0]
        else {"report_id": hire["id"], "agency": agency, "status": "accepted", "message": ""}
        for agency in agencies
    ]

    receipt = 'R-"1"\\'
    response = api_client.post(
        f"/api/v1/agency-files/{batch_id}/result/",
        {"receipt_number": receipt, "rows": rows},
        format="json",
    )

    assert response.status_code == 200, response.content
    events = list(
        ReportEvent.objects.filter(
            report_id=hire["id"], status__in=["received", "accepted", "rejected"]
        )
        .order_by("at", "id")
        .values_list("agency", "status", "message")
    )
    for agency in agencies:
        mine = [(status, text) for a, status, text in events if a == agency]
        decision = (
            ("rejected", f"반려:  {message} (접수번호 {receipt})")
            if agency == agencies[0]
            else ("accepted", f"처리완료 (접수번호 {receipt})")
        )
        assert mine == [decision]
    refused = Submission.objects.get(report_id=hire["id"], agency=agencies[0])
    assert (refused.status, refused.result_message) == (SubmissionStatus.REJECTED, message)
    assert set(
        InsuredPeriod.objects.filter(employee_id=hire["employee_id"]).values_list(
            "agency", flat=True
        )
    ) == set(agencies[1:])


def test_an_acquisition_accepted_twice_opens_its_period_once(api_client, workplace):
    hire, batch_id = _file_channel_hire(api_client, workplace)
    subs = list(Submission.objects.filter(report_id=hire["id"]).order_by("pk"))
    Submission.objects.filter(report_id=hire["id"]).update(status=SubmissionStatus.ACCEPTED)

    periods_apply_accepted(submissions=subs)
    periods_apply_accepted(submissions=subs[:1])

    periods = InsuredPeriod.objects.filter(employee_id=hire["employee_id"])
    assert sorted(p.agency for p in periods) == sorted(s.agency for s in subs)
    assert {p.acquired_by_id for p in periods} == {s.pk for s in subs}
    assert all(p.lost_on is None for p in periods)
