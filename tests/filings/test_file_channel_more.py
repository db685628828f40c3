"""The file channel beyond the two bulk layouts: making a batch again on request, cancelling
what may already be uploaded, filing by hand what no layout carries, one zip for an agent."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from filings.models import AgencyFileRow, InsuredPeriod, Submission
from portal.models import AccessRecord, Employee
from tests.factories import DelegationFactory
from tests.filings.helpers import hire_body
from tests.filings.test_agency_files import _file_channel, _gather, _xlsx
from tests.filings.test_periods import _exit_body, _post

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_with_two_clients(agent, firm, workplace, other_workplace):  # type: ignore[no-untyped-def]
    DelegationFactory(firm=firm, workplace=other_workplace)
    return agent, workplace, other_workplace


def _result(api_client: Any, batch_id: int, body: dict) -> dict:
    response = api_client.post(f"/api/v1/agency-files/{batch_id}/result/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _accepted(api_client: Any, batch_id: int, report_id: int) -> None:
    agencies = Submission.objects.filter(report_id=report_id, action="file").values_list(
        "agency", flat=True
    )
    rows = [{"report_id": report_id, "agency": a, "status": "accepted"} for a in agencies]
    _result(api_client, batch_id, {"receipt_number": f"R-{batch_id}", "rows": rows})


def test_a_batch_is_made_again_only_on_request_and_the_old_one_can_no_longer_be_used(
    api_client, workplace
):
    _file_channel(api_client, workplace)
    hire = _post(api_client, workplace, hire_body())
    (batch,) = _gather(api_client, workplace)
    assert _gather(api_client, workplace) == []  # never twice on its own

    again = api_client.post(f"/api/v1/agency-files/{batch['id']}/regenerate/")
    assert again.status_code == 201, again.content
    new = again.json()
    assert new["id"] != batch["id"] and new["rows"] == 1
    listed = {
        b["id"]: b
        for b in api_client.get(f"/api/v1/workplaces/{workplace.pk}/agency-files/").json()
    }
    assert listed[batch["id"]]["replaced_by"] == new["id"]
    assert set(
        AgencyFileRow.objects.filter(agency_file_id=new["id"]).values_list(
            "submission__report_id", flat=True
        )
    ) == {hire["id"]}
    assert api_client.get(f"/api/v1/agency-files/{batch['id']}/xlsx").status_code == 409
    refused = api_client.post(
        f"/api/v1/agency-files/{batch['id']}/result/", {"receipt_number": "R-1"}, format="json"
    )
    assert refused.status_code == 409
    _accepted(api_client, new["id"], hire["id"])
    confirmed = api_client.post(f"/api/v1/agency-files/{new['id']}/regenerate/")
    assert confirmed.status_code == 409  # a batch with its 접수번호 is filed


def test_cancelling_a_hire_in_a_downloaded_file_asks_each_agency_to_cancel_filed_by_hand(
    api_client, workplace
):
    _file_channel(api_client, workplace)
    hire = _post(api_client, workplace, hire_body())
    (batch,) = _gather(api_client, workplace)
    _xlsx(api_client, batch["id"])  # downloaded: it may already be at 4insure
    cancelled = api_client.post(f"/api/v1/reports/{hire['id']}/cancel/")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "in_progress"
    _accepted(api_client, batch["id"], hire["id"])  # 4insure had taken the upload
    assert InsuredPeriod.objects.filter(employee_id=hire["employee_id"]).count() == 4

    waiting = api_client.get(f"/api/v1/workplaces/{workplace.pk}/filings-by-hand/").json()
    assert {(w["report_id"], w["action"]) for w in waiting} == {(hire["id"], "cancel")}
    assert len(waiting) == 4
    for w in waiting:
        done = api_client.post(
            f"/api/v1/reports/{hire['id']}/outcome/",
            {
                "agency": w["agency"],
                "action": "cancel",
                "status": "accepted",
                "receipt_number": "C-1",
            },
            format="json",
        )
        assert done.status_code == 200, done.content
    assert done.json()["status"] == "cancelled"
    assert not InsuredPeriod.objects.filter(employee_id=hire["employee_id"]).exists()


def test_a_cancelled_hire_not_yet_downloaded_is_left_out_of_the_workbook(api_client, workplace):
    _file_channel(api_client, workplace)
    kept = _post(api_client, workplace, hire_body(name="남는사람"))
    dropped = _post(api_client, workplace, hire_body(name="취소할사람"))
    (batch,) = _gather(api_client, workplace)
    assert (
        api_client.post(f"/api/v1/reports/{dropped['id']}/cancel/").json()["status"] == "cancelled"
    )
    sheet = load_workbook(io.BytesIO(_xlsx(api_client, batch["id"]))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    at = rows[0].index("성명")
    names = [row[at] for row in rows[1:]]
    assert names == ["남는사람"]
    assert Submission.objects.filter(report_id=kept["id"], status="queued").count() == 4


def test_a_pay_change_on_the_file_channel_is_filed_by_hand_and_its_acceptance_applies_the_wage(
    api_client, workplace
):
    _file_channel(api_client, workplace)
    hire = _post(api_client, workplace, hire_body())
    (batch,) = _gather(api_client, workplace)
    _accepted(api_client, batch["id"], hire["id"])
    change = _post(
        api_client,
        workplace,
        {
            "kind": "pay_change",
            "employee_id": hire["employee_id"],
            "effective_date": timezone.localdate().isoformat(),
            "monthly_wage": 3_300_000,
        },
    )
    assert _gather(api_client, workplace) == []  # no layout carries a pay change
    bad = api_client.post(
        f"/api/v1/reports/{change['id']}/outcome/",
        {"agency": "pension", "status": "accepted", "receipt_number": ""},
        format="json",
    )
    assert bad.status_code == 400 and "receipt_number" in bad.json()["error"]["fields"]
    for agency in ("pension", "health", "employment", "industrial_accident"):
        answer = api_client.post(
            f"/api/v1/reports/{change['id']}/outcome/",
            {"agency": agency, "status": "accepted", "receipt_number": f"P-{agency}"},
            format="json",
        )
        assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "completed"
    assert Employee.objects.get(pk=hire["employee_id"]).monthly_wage == 3_300_000
    again = api_client.post(
        f"/api/v1/reports/{change['id']}/outcome/",
        {"agency": "pension", "status": "rejected", "receipt_number": "P-2"},
        format="json",
    )
    assert again.status_code == 409  # an answer is final


def test_an_agent_downloads_every_clients_files_in_one_zip_each_logged(
    api_client_for, agent_with_two_clients
):
    agent, first, second = agent_with_two_clients
    client = api_client_for(agent)
    for workplace in (first, second):
        _file_channel(client, workplace)
        _post(client, workplace, hire_body(name=f"직원{workplace.pk}"))
        _gather(client, workplace)
    before = AccessRecord.objects.count()
    response = client.get("/api/v1/agency-files/zip")
    assert response.status_code == 200, response.content
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 2 and {n.split("/")[0] for n in names} == {first.name, second.name}
    assert AccessRecord.objects.count() == before + 2


def test_the_batch_receipt_pdf_is_served_over_the_api(api_client, workplace):
    _file_channel(api_client, workplace)
    hire = _post(api_client, workplace, hire_body())
    (batch,) = _gather(api_client, workplace)
    _accepted(api_client, batch["id"], hire["id"])
    response = api_client.get(f"/api/v1/agency-files/{batch['id']}/receipt.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_an_exit_on_the_file_channel_goes_into_the_loss_layout(api_client, workplace):
    _file_channel(api_client, workplace)
    hire = _post(api_client, workplace, hire_body())
    (batch,) = _gather(api_client, workplace)
    _accepted(api_client, batch["id"], hire["id"])
    last_day = timezone.localdate() - timedelta(days=1)
    _post(api_client, workplace, _exit_body(hire["employee_id"], last_day))
    (loss,) = _gather(api_client, workplace)
    assert loss["layout"] == "4insure_loss_v1"


def test_the_agency_files_page_remakes_a_batch_and_records_a_pay_change_filed_by_hand(
    api_client, owner, workplace, verified_client
):
    client = verified_client(owner)
    client.post("/agency-files/channel/", {"delivery_channel": "file"})
    hire = _post(api_client, workplace, hire_body())
    (batch,) = _gather(api_client, workplace)
    page = client.get("/agency-files/").content.decode()
    assert 'data-testid="regenerate"' in page and 'data-testid="zip"' in page
    client.post(f"/agency-files/{batch['id']}/regenerate/")
    (new_id,) = AgencyFileRow.objects.values_list("agency_file_id", flat=True).distinct()
    assert new_id != batch["id"]
    _accepted(api_client, new_id, hire["id"])
    change = _post(
        api_client,
        workplace,
        {
            "kind": "pay_change",
            "employee_id": hire["employee_id"],
            "effective_date": timezone.localdate().isoformat(),
            "monthly_wage": 3_100_000,
        },
    )
    page = client.get("/agency-files/").content.decode()
    assert page.count('data-testid="by-hand"') == 4
    client.post(
        f"/reports/{change['id']}/outcome/",
        {"agency": "health", "action": "file", "status": "rejected", "receipt_number": "H-1"},
    )
    sub = Submission.objects.get(report_id=change["id"], agency="health")
    assert (sub.status, sub.receipt_number) == ("rejected", "H-1")
    assert client.get("/agency-files/").content.decode().count('data-testid="by-hand"') == 3


def test_a_batchs_page_records_one_persons_rejection_by_hand_and_leaves_the_rest(
    api_client, owner, workplace, verified_client
):
    client = verified_client(owner)
    client.post("/agency-files/channel/", {"delivery_channel": "file"})
    kept = _post(api_client, workplace, hire_body(name="김정상"))
    refused = _post(api_client, workplace, hire_body(name="박반려"))
    (batch,) = _gather(api_client, workplace)
    page = client.get(f"/agency-files/{batch['id']}/").content.decode()
    assert page.count('data-testid="open-row"') == 8 and "박반려" in page
    client.post(
        f"/agency-files/{batch['id']}/result/",
        {
            "receipt_number": "4INS-HAND-1",
            f"outcome-{refused['id']}-health": "rejected",
            f"message-{refused['id']}-health": "보수월액 확인 필요",
            f"outcome-{kept['id']}-health": "accepted",
        },
    )
    health = Submission.objects.get(report_id=refused["id"], agency="health")
    assert (health.status, health.result_message) == ("rejected", "보수월액 확인 필요")
    assert Submission.objects.get(report_id=kept["id"], agency="health").status == "accepted"
    others = Submission.objects.filter(report_id=refused["id"]).exclude(agency="health")
    assert set(others.values_list("status", flat=True)) == {"received"}
    assert (
        client.get(f"/agency-files/{batch['id']}/").content.decode().count('data-testid="open-row"')
        == 6
    )


def test_a_cancellations_outcome_waits_for_the_originals_and_a_remade_file_stays_downloaded(
    api_client, workplace
):
    _file_channel(api_client, workplace)
    hire = _post(api_client, workplace, hire_body())
    (batch,) = _gather(api_client, workplace)
    _xlsx(api_client, batch["id"])
    remade = api_client.post(f"/api/v1/agency-files/{batch['id']}/regenerate/").json()
    assert remade["downloaded_at"] is not None  # the first file may already be at 4insure
    cancelled = api_client.post(f"/api/v1/reports/{hire['id']}/cancel/").json()
    assert cancelled["status"] == "in_progress" and len(cancelled["cancellations"]) == 4
    early = api_client.post(
        f"/api/v1/reports/{hire['id']}/outcome/",
        {"agency": "pension", "action": "cancel", "status": "accepted", "receipt_number": "C-1"},
        format="json",
    )
    assert early.status_code == 409
    back = api_client.patch(
        f"/api/v1/workplaces/{workplace.pk}/", {"delivery_channel": "api"}, format="json"
    )
    assert back.status_code == 409  # cancellations filed by hand are still open


def test_the_annual_wage_report_of_the_current_year_waits_for_the_year_to_end(
    api_client, workplace, sandbox
):
    hire = _post(api_client, workplace, hire_body())
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/",
        {
            "kind": "annual_wage",
            "employee_id": hire["employee_id"],
            "year": timezone.localdate().year,
            "months": [{"month": f"{timezone.localdate():%Y-%m}", "wages": 1}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["year"][0]["rule"] == "year_not_over"
