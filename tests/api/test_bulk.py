"""Bulk filing: every row's errors by row and column, then valid rows filed once, never twice."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from filings.bulk import bulk_file_run, bulk_file_start, bulk_validate
from filings.models import BulkRow, BulkUpload, Report
from tests.factories import EmployeeFactory, valid_rrn

pytestmark = pytest.mark.django_db

HEADERS = [
    "성명",
    "주민(외국인)등록번호",
    "국적",
    "체류자격",
    "입사일",
    "월 보수액",
    "고용형태",
    "주 소정근로시간",
    "월 근로일수",
    "직종부호",
    "대표자 여부",
    "계약 종료일",
]


def hire_rows(count: int, bad: set[int] | None = None) -> tuple[list[list[str]], set[int]]:
    """`count` valid rows; the data rows whose index is in `bad` get one mistake each.

    Returns the rows and the file row numbers (header = row 1) that must be reported.
    """
    bad = bad or set()
    hired = (timezone.localdate() - timedelta(days=5)).isoformat()
    rows = []
    for i in range(count):
        birth = date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
        row = [
            f"근로자{i}",
            valid_rrn(birth, serial=i),
            "KR",
            "",
            hired,
            "2500000",
            "상용",
            "40",
            "",
            "024",
            "아니오",
            "",
        ]
        if i in bad:
            mistake = i % 5
            if mistake == 0:
                row[1] = row[1][:-1] + str((int(row[1][-1]) + 1) % 10)  # wrong check digit
            elif mistake == 1:
                row[4] = "2026-13-45"
            elif mistake == 2:
                row[9] = "A1"
            elif mistake == 3:
                row[0] = ""
            else:
                row[6] = "프리랜서"
        rows.append(row)
    return rows, {i + 2 for i in bad}


def as_csv(rows: list[list[str]], headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_a_10000_row_file_with_37_bad_rows_reports_exactly_those_37(api_client, workplace):
    bad = set(list(range(13, 10_000, 271))[:37])
    assert len(bad) == 37
    rows, expected = hire_rows(10_000, bad)
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/bulk-reports/",
        {"file": _named(as_csv(rows), "hires.csv"), "dry_run": "true"},
        format="multipart",
    )
    assert response.status_code == 201, response.content[:500]
    body = response.json()
    assert body["total_rows"] == 10_000
    assert body["error_rows"] == 37 and body["valid_rows"] == 9_963
    assert {e["row"] for e in body["errors"]} == expected
    assert not Report.objects.exists()  # a dry run files nothing
    by_row = {e["row"]: e for e in body["errors"]}
    wrong_digit = min(r for r in expected if (r - 2) % 5 == 0)
    assert by_row[wrong_digit]["column"] == "주민(외국인)등록번호"
    assert by_row[wrong_digit]["rule"] == "rrn.check_digit"
    wrong_date = min(r for r in expected if (r - 2) % 5 == 1)
    assert by_row[wrong_date]["column"] == "입사일" and by_row[wrong_date]["rule"] == "date_format"


def test_bulk_messages_are_the_api_messages(api_client, workplace):
    rows, _ = hire_rows(1, {2})  # index 0 gets no mistake; make one by hand
    rows[0][9] = "A1"
    upload = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/bulk-reports/",
        {"file": _named(as_csv(rows), "one.csv")},
        format="multipart",
    ).json()
    from tests.filings.helpers import hire_body

    single = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body(job_code="A1"), format="json"
    ).json()
    assert upload["errors"][0]["message"] == single["error"]["fields"]["job_code"][0]["message"]


def test_valid_rows_are_filed_once_and_a_reupload_files_nothing_more(owner, workplace):
    rows, expected = hire_rows(12, {3, 7})
    content = as_csv(rows)
    upload, reused = bulk_validate(
        actor=owner, workplace=workplace, content=content, filename="a.csv"
    )
    assert not reused and upload.valid_rows == 10
    assert bulk_file_start(actor=owner, upload=upload)
    assert bulk_file_run(upload_id=upload.pk) == "done"
    upload.refresh_from_db()
    assert upload.status == "done" and upload.filed_rows == 10
    assert Report.objects.filter(workplace=workplace, kind="hire").count() == 10

    again, reused = bulk_validate(
        actor=owner, workplace=workplace, content=content, filename="a.csv"
    )
    assert reused and again.pk == upload.pk
    assert not bulk_file_start(actor=owner, upload=again)
    # Even a lost-and-replayed filing task files nothing twice (per-row idempotency keys).
    BulkUpload.objects.filter(pk=upload.pk).update(status="filing")
    BulkRow.objects.filter(upload=upload, status="filed").update(status="valid")
    assert bulk_file_run(upload_id=upload.pk) == "done"
    assert Report.objects.filter(workplace=workplace, kind="hire").count() == 10


def test_an_xlsx_exit_file_finds_people_by_resident_number(owner, workplace):
    from openpyxl import Workbook

    staying = EmployeeFactory(workplace=workplace, hire_date=date(2024, 1, 2))
    rrn = valid_rrn(date(1980, 3, 3), serial=777)
    leaving = EmployeeFactory(workplace=workplace, rrn=rrn, hire_date=date(2024, 1, 2))
    last_day = (timezone.localdate() - timedelta(days=2)).isoformat()
    wb = Workbook()
    ws = wb.active
    ws.append(["성명", "주민(외국인)등록번호", "마지막 근무일", "상실사유 코드", "구체적 사유"])
    ws.append([leaving.name, rrn, last_day, "11", "자진퇴사"])
    ws.append(["모르는 사람", valid_rrn(date(1970, 1, 1), serial=999), last_day, "11", ""])
    ws.append([staying.name, "", last_day, "99", ""])
    buffer = io.BytesIO()
    wb.save(buffer)
    upload, _ = bulk_validate(
        actor=owner, workplace=workplace, content=buffer.getvalue(), filename="x.xlsx"
    )
    assert upload.kind == "exit" and upload.valid_rows == 1
    errors = {(r.row_number, e["rule"]) for r in upload.rows.all() for e in r.errors}
    assert (3, "not_found") in errors
    assert (4, "required") in errors and (4, "choice") in errors
    bulk_file_start(actor=owner, upload=upload)
    bulk_file_run(upload_id=upload.pk)
    assert Report.objects.filter(employee=leaving, kind="exit").count() == 1
    # Filed, not yet accepted: the person stays insured until the agencies accept the loss.
    leaving.refresh_from_db()
    assert leaving.loss_date is None


def test_the_template_has_korean_headers_and_the_portal_page_validates(
    verified_client, owner, workplace
):
    client = verified_client(owner)
    template = client.get("/file/bulk/template/hire.csv")
    assert template.status_code == 200
    assert (
        template.content.decode("utf-8-sig").splitlines()[0].startswith("성명,주민(외국인)등록번호")
    )
    assert client.get("/file/bulk/template/hire.xlsx").status_code == 200
    rows, _ = hire_rows(3, {1})
    response = client.post("/file/bulk/", {"file": _named(as_csv(rows), "p.csv")})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "직종" in page or "고용형태" in page or "입사일" in page
    assert "신고하기" in page


def _named(content: bytes, name: str):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
