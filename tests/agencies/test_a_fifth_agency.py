"""The registry is the only list of agencies: a fifth one, registered alone, receives filings."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from agencies.base import AgencyAdapter, Filing, Receipt, Result
from agencies.registry import agency_codes, agency_register, insurance_labels
from agencies.transport import Exchange, Transport
from filings import delivery
from filings.models import Submission, SubmissionStatus
from filings.services import report_file
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db

RECEIVED: list[Filing] = []


class DentalAdapter(AgencyAdapter):
    """A made-up agency that covers everyone and accepts at once, without a network."""

    code: ClassVar[str] = "dental"
    label: ClassVar[str] = "치과보험공단"
    insurance_label: ClassVar[str] = "치과보험"

    def covers(self, coverage: dict[str, Any]) -> bool:
        return True

    def acquisition_fields(self, filing: Filing) -> dict[str, Any]:
        return {"acquired_on": filing.data.get("hire_date")}

    def loss_fields(self, filing: Filing) -> dict[str, Any]:
        return {}

    def cancel_fields(self, filing: Filing) -> dict[str, Any]:
        return {}

    def pay_change_fields(self, filing: Filing) -> dict[str, Any]:
        return {}

    def submit(self, filing: Filing, *, transport: Transport) -> Exchange[Receipt]:
        RECEIVED.append(filing)
        receipt = Receipt(receipt_number="D-1", status="accepted", result_message="처리완료")
        return Exchange(method="POST", url="dental:/reports", status_code=201, value=receipt)

    def query(self, reference: str, *, transport: Transport) -> Exchange[Result]:
        return Exchange(method="GET", url="dental:/reports", value=Result(status="unknown"))


def test_a_registered_fifth_agency_gets_its_own_submission_and_receives_the_hire(
    workplace, owner
) -> None:
    RECEIVED.clear()
    with agency_register(DentalAdapter):
        assert agency_codes()[-1] == "dental"
        assert insurance_labels()["dental"] == "치과보험"
        report, created = report_file(actor=owner, workplace=workplace, data=hire_body())
        assert created
        dental = Submission.objects.get(report=report, agency="dental")
        assert delivery.submission_send(submission_id=dental.pk) == "accepted"
    dental.refresh_from_db()
    assert dental.status == SubmissionStatus.ACCEPTED
    assert dental.receipt_number == "D-1"
    assert [f.person["name"] for f in RECEIVED if f.person] == ["김민준"]
    # The four real agencies got theirs as always.
    assert Submission.objects.filter(report=report).count() == 5
    assert "dental" not in agency_codes()
