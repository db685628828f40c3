"""접수증: each agency's receipt number and time in a PDF the employer keeps."""

from __future__ import annotations

import pytest

from filings.models import Submission
from tests.certificates.helpers import pdf_text
from tests.filings.helpers import hire_body
from tests.filings.test_periods import _post, _send

pytestmark = pytest.mark.django_db


def test_the_receipt_lists_every_agencys_receipt_number_and_masks_the_person(
    api_client,
    owner,
    workplace,
    sandbox,
    verified_client,
):
    body = hire_body()
    hire = _post(api_client, workplace, body)
    _send(hire["id"])
    response = api_client.get(f"/api/v1/reports/{hire['id']}/receipt.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    numbers = Submission.objects.filter(report_id=hire["id"]).values_list(
        "receipt_number", flat=True
    )
    assert len(numbers) == 4 and all(n and n in text for n in numbers)
    assert "국민연금공단" in text and "접수증" in text
    digits = body["employee"]["rrn"].replace("-", "")
    assert digits not in text.replace("-", "")  # masked only
    page = verified_client(owner).get(f"/reports/{hire['id']}/").content.decode()
    assert f"/reports/{hire['id']}/receipt.pdf" in page
    assert verified_client(owner).get(f"/reports/{hire['id']}/receipt.pdf").status_code == 200


def test_another_workplaces_receipt_is_not_found(api_client, other_workplace):
    from filings.models import Report

    report = Report.objects.create(
        workplace=other_workplace, kind="pay_change", event_date="2026-03-01", data={}
    )
    assert api_client.get(f"/api/v1/reports/{report.pk}/receipt.pdf").status_code == 404
