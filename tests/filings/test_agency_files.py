"""Filing by upload file (delivery channel `file`): 4insure batches, their workbooks, their outcome."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from filings import delivery
from filings.agency_files import layout_load
from filings.models import AgencyFileRow, InsuredPeriod, Report, Submission, SubmissionStatus
from portal.models import AccessRecord, Employee
from portal.services import employee_rrn_decrypt
from tests.factories import valid_rrn
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db
ACQUISITION = layout_load("4insure_acquisition", 1)
LOSS = layout_load("4insure_loss", 1)


def _file_channel(api_client: Any, workplace: Any) -> None:
    response = api_client.patch(
        f"/api/v1/workplaces/{workplace.pk}/", {"delivery_channel": "file"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["delivery_channel"] == "file"


def _post(api_client: Any, workplace: Any, body: dict) -> dict:
    response = api_client.post(f"/api/v1/workplaces/{workplace.pk}/reports/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _gather(api_client: Any, workplace: Any) -> list[dict]:
    response = api_client.post(f"/api/v1/workplaces/{workplace.pk}/agency-files/")
    assert response.status_code == 201, response.content
    return response.json()


def _xlsx(api_client: Any, agency_file_id: int) -> bytes:
    response = api_client.get(f"/api/v1/agency-files/{agency_file_id}/xlsx")
    assert response.status_code == 200, response.content
    return response.content


def _sheet(content: bytes) -> tuple[list[str], dict[str, dict[int, Any]]]:
    """Headers, and each person's row by name as {column number (1-based): value}."""
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    headers = list(rows[0])
    people = {
        row[1 if headers[0] == "주민등록번호" else 0]: dict(enumerate(row, 1)) for row in rows[1:]
    }
    return headers, people


def _agencies(report_id: int) -> set[str]:
    return set(Submission.objects.filter(report_id=report_id).values_list("agency", flat=True))


def _ymd(day: date | str) -> str:
    return str(day).replace("-", "")


# Column numbers (1-based) of each insurance's section in the acquisition layout.
ACQ_SECTIONS = {"pension": range(7, 14), "health": range(14, 21)}
ACQ_SECTIONS |= {"employment": range(21, 29), "industrial_accident": range(29, 37)}


def _hires(api_client: Any, workplace: Any) -> dict[str, dict]:
    today = timezone.localdate()
    sixty_five = date(today.year - 65, 1, 1)
    bodies = {
        "김정규": hire_body(name="김정규"),
        "박노년": hire_body(name="박노년", birth=sixty_five, rrn=valid_rrn(sixty_five)),
        "NGUYEN VAN AN": hire_body(
            name="NGUYEN VAN AN",
            rrn=valid_rrn(date(1995, 5, 5), foreigner=True),
            nationality="VN",
            visa="E-9",
        ),
        "이대표": hire_body(name="이대표", is_representative=True, monthly_wage=5_000_000),
    }
    return {name: _post(api_client, workplace, body) for name, body in bodies.items()}


def test_the_acquisition_workbook_has_the_layouts_headers_in_order_and_each_persons_codes(
    api_client, workplace, owner
):
    _file_channel(api_client, workplace)
    hires = _hires(api_client, workplace)
    batches = _gather(api_client, workplace)
    assert [(b["layout"], b["agency_portal"], b["rows"]) for b in batches] == [
        ("4insure_acquisition_v1", "4insure", 4)
    ]

    headers, people = _sheet(_xlsx(api_client, batches[0]["id"]))

    assert headers == ACQUISITION.headers and len(headers) == 38
    hire_day = _ymd(hire_body()["hire_date"])
    regular = people["김정규"]
    assert regular[1] == _full_rrn(hires["김정규"])  # the full number, for the agency
    assert (regular[3], regular[5], regular[6]) == ("N", "100", None)
    assert (regular[7], regular[8], regular[9], regular[10]) == (3_000_000, hire_day, "2", "01")
    assert (regular[15], regular[16], regular[17], regular[18]) == (3_000_000, hire_day, "00", "00")
    assert (regular[21], regular[22], regular[23], regular[24], regular[27]) == (
        3_000_000,
        hire_day,
        "024",
        40,
        "2",
    )
    assert [regular[c] for c in range(29, 33)] == [
        3_000_000,
        hire_day,
        "024",
        40,
    ]
    assert regular[37] is None and regular[38] is None

    older = people["박노년"]
    assert "pension" not in _agencies(hires["박노년"]["id"])  # 60 and over: no NPS
    assert all(older[c] is None for c in ACQ_SECTIONS["pension"])
    assert (older[16], older[17]) == (hire_day, "00")

    foreign = people["NGUYEN VAN AN"]
    assert (foreign[4], foreign[5], foreign[6]) == ("NGUYEN VAN AN", "VN", "E9")

    boss = people["이대표"]
    assert boss[3] == "Y"
    assert "employment" not in _agencies(hires["이대표"]["id"])  # a representative has no EI
    assert all(boss[c] is None for c in ACQ_SECTIONS["employment"])

    # Every insurance's columns are filled exactly where that agency has a submission.
    for name, hire in hires.items():
        for agency, columns in ACQ_SECTIONS.items():
            filled = people[name][columns.start + 1] is not None  # 자격취득일 (or 소득월액)
            assert filled == (agency in _agencies(hire["id"])), (name, agency)
    # Each download is a full-number access, logged per person.
    logged = AccessRecord.objects.filter(user=owner, action=AccessRecord.Action.DOWNLOAD)
    assert logged.count() == 4


def _full_rrn(hire: dict) -> str:
    return employee_rrn_decrypt(employee=Employee.objects.get(pk=hire["employee_id"]))


def _result(api_client: Any, agency_file_id: int, body: dict) -> dict:
    response = api_client.post(
        f"/api/v1/agency-files/{agency_file_id}/result/", body, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _all_accepted(hires: dict[str, dict]) -> list[dict]:
    return [
        {"report_id": h["id"], "agency": agency, "status": "accepted", "message": ""}
        for h in hires.values()
        for agency in _agencies(h["id"])
    ]


def test_the_loss_workbook_carries_each_agencys_loss_code_and_date(api_client, workplace):
    _file_channel(api_client, workplace)
    hires = _hires(api_client, workplace)
    (batch,) = _gather(api_client, workplace)
    _result(api_client, batch["id"], {"receipt_number": "R-1", "rows": _all_accepted(hires)})
    last_day = timezone.localdate() - timedelta(days=1)
    for name in ("김정규", "NGUYEN VAN AN"):
        body = {
            "kind": "exit",
            "employee_id": hires[name]["employee_id"],
            "last_working_day": last_day.isoformat(),
            "reason_code": "11",
            "reason_detail": "개인 사정",
        }
        _post(api_client, workplace, body)

    (loss_batch,) = _gather(api_client, workplace)
    headers, people = _sheet(_xlsx(api_client, loss_batch["id"]))

    assert loss_batch["layout"] == "4insure_loss_v1" and loss_batch["rows"] == 2
    assert headers == LOSS.headers and len(headers) == 22
    loss_day = _ymd(last_day + timedelta(days=1))
    regular = people["김정규"]
    assert (regular[6], regular[7], regular[9], regular[10]) == (loss_day, "3", loss_day, "1")
    assert (regular[15], regular[16], regular[17], regular[20]) == (
        loss_day,
        "11",
        "개인 사정",
        loss_day,
    )
    assert people["NGUYEN VAN AN"][2] == _full_rrn(hires["NGUYEN VAN AN"])


def test_a_result_file_with_one_rejected_row_rejects_that_person_there_and_accepts_the_rest(
    api_client, workplace
):
    _file_channel(api_client, workplace)
    hires = _hires(api_client, workplace)
    (batch,) = _gather(api_client, workplace)
    wb = load_workbook(io.BytesIO(_xlsx(api_client, batch["id"])))
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=2):
        if row[1].value == "김정규":
            row[36].value = "건강보험: 보수월액이 최저 기준보다 적습니다."
        if row[1].value == "이대표":
            row[37].value = "대표자 보수 확인 바랍니다."
    out = io.BytesIO()
    wb.save(out)
    upload = SimpleUploadedFile("result.xlsx", out.getvalue())

    response = api_client.post(
        f"/api/v1/agency-files/{batch['id']}/result/",
        {"file": upload, "receipt_number": "4INS-2026-0001"},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    answer = response.json()
    total = sum(len(_agencies(h["id"])) for h in hires.values())
    assert (answer["rejected"], answer["accepted"]) == (1, total - 1)
    assert answer["agency_file"]["receipt_number"] == "4INS-2026-0001"
    assert answer["agency_file"]["confirmed_at"] is not None
    rejected = Submission.objects.get(report_id=hires["김정규"]["id"], agency="health")
    assert rejected.status == SubmissionStatus.REJECTED
    assert "최저 기준" in rejected.result_message
    assert Report.objects.get(pk=hires["김정규"]["id"]).status == "rejected"
    for name, hire in hires.items():
        for sub in Submission.objects.filter(report_id=hire["id"]).exclude(pk=rejected.pk):
            assert sub.status == SubmissionStatus.ACCEPTED, (name, sub.agency)
            assert sub.receipt_number == "4INS-2026-0001"
            assert InsuredPeriod.objects.filter(
                employee_id=hire["employee_id"], agency=sub.agency, lost_on__isnull=True
            ).exists()
    assert not InsuredPeriod.objects.filter(
        employee_id=hires["김정규"]["employee_id"], agency="health"
    ).exists()
    warned = Submission.objects.filter(report_id=hires["이대표"]["id"]).first()
    assert warned is not None and warned.result_message == "대표자 보수 확인 바랍니다."


def test_the_receipt_number_alone_makes_the_batch_filed_and_results_follow_by_hand(
    api_client, workplace
):
    _file_channel(api_client, workplace)
    hire = _post(api_client, workplace, hire_body())
    (batch,) = _gather(api_client, workplace)

    confirmed = _result(api_client, batch["id"], {"receipt_number": "R-7", "rows": []})
    assert confirmed["received"] == len(_agencies(hire["id"]))
    assert set(
        Submission.objects.filter(report_id=hire["id"]).values_list("status", flat=True)
    ) == {SubmissionStatus.RECEIVED}

    rows = [{"report_id": hire["id"], "agency": "pension", "status": "rejected", "message": "X"}]
    later = _result(api_client, batch["id"], {"receipt_number": "", "rows": rows})
    assert (later["rejected"], later["received"]) == (1, 0)
    refused = api_client.post(
        f"/api/v1/agency-files/{batch['id']}/result/",
        {"receipt_number": "", "rows": [{**rows[0], "report_id": 999999}]},
        format="json",
    )
    assert refused.status_code == 400


def test_a_submission_is_never_put_in_two_batches(api_client, workplace):
    _file_channel(api_client, workplace)
    first = _post(api_client, workplace, hire_body(name="가"))
    (batch,) = _gather(api_client, workplace)
    assert _gather(api_client, workplace) == []
    second = _post(api_client, workplace, hire_body(name="나"))

    (next_batch,) = _gather(api_client, workplace)

    assert next_batch["rows"] == 1
    in_batches = AgencyFileRow.objects.values_list("submission_id", flat=True)
    assert len(in_batches) == len(set(in_batches))
    assert set(
        AgencyFileRow.objects.filter(agency_file_id=batch["id"]).values_list(
            "submission__report_id", flat=True
        )
    ) == {first["id"]}
    assert set(
        AgencyFileRow.objects.filter(agency_file_id=next_batch["id"]).values_list(
            "submission__report_id", flat=True
        )
    ) == {second["id"]}
    listed = api_client.get(f"/api/v1/workplaces/{workplace.pk}/agency-files/").json()
    assert {b["id"] for b in listed} == {batch["id"], next_batch["id"]}
    assert set(listed[0]) >= {"id", "layout", "agency_portal", "rows", "created_at"}
    assert set(listed[0]) >= {"confirmed_at", "receipt_number"}


def test_a_file_channel_workplaces_submissions_are_never_sent_over_http(
    api_client, workplace, sandbox
):
    _file_channel(api_client, workplace)
    hire = _post(api_client, workplace, hire_body())
    ids = list(Submission.objects.filter(report_id=hire["id"]).values_list("pk", flat=True))
    Submission.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())

    assert set(delivery.submissions_send(submission_ids=ids).values()) == {"not_claimed"}
    assert not set(ids) & set(delivery.submissions_due())
    (batch,) = _gather(api_client, workplace)
    _result(api_client, batch["id"], {"receipt_number": "R-9", "rows": []})
    assert not set(ids) & set(delivery.submissions_to_poll())
    assert sum(sandbox.posts().values()) == 0
    # Back to the API only once the batch's outcome is recorded.
    refused = api_client.patch(
        f"/api/v1/workplaces/{workplace.pk}/", {"delivery_channel": "api"}, format="json"
    )
    assert refused.status_code == 409


def test_the_agency_files_page_switches_the_channel_gathers_downloads_and_confirms(
    api_client, owner, workplace, verified_client
):
    from filings.models import AgencyFile, Submission

    client = verified_client(owner)
    client.post("/agency-files/channel/", {"delivery_channel": "file"})
    workplace.refresh_from_db()
    assert workplace.delivery_channel == "file"
    hire = _post(api_client, workplace, hire_body())
    client.post("/agency-files/gather/")
    batch = AgencyFile.objects.get(workplace=workplace)
    page = client.get("/agency-files/").content.decode()
    assert 'data-testid="batch"' in page and f"/agency-files/{batch.pk}/xlsx" in page
    download = client.get(f"/agency-files/{batch.pk}/xlsx")
    assert download.status_code == 200 and download.content[:2] == b"PK"
    client.post(f"/agency-files/{batch.pk}/result/", {"receipt_number": "4INS-2026-0001"})
    statuses = set(Submission.objects.filter(report_id=hire["id"]).values_list("status", flat=True))
    assert statuses == {"received"}
    assert "4INS-2026-0001" in client.get("/agency-files/").content.decode()
    receipt = client.get(f"/agency-files/{batch.pk}/receipt.pdf")
    from tests.certificates.helpers import pdf_text

    text = pdf_text(receipt.content)
    assert "4INS-2026-0001" in text and "신고 파일 접수증" in text
    assert hire_body()["employee"]["rrn"].replace("-", "") not in text.replace("-", "")
