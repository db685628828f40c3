"""History import: staff insured before the portal, checked first, then imported in one go."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from certificates.models import CertificateKind
from certificates.services import certificate_issue
from filings import delivery
from filings.history import history_columns, history_sandbox_tell
from filings.models import BulkUpload, InsuredPeriod, Submission
from filings.periods import periods_import
from portal.models import AuditEvent, Employee, OutboxMessage, Workplace
from tests.certificates.helpers import pdf_text
from tests.factories import EmployeeFactory, valid_rrn
from tests.filings.helpers import hire_body
from tests.pipeline import wait_until

pytestmark = pytest.mark.django_db
AGENCIES = ("pension", "health", "employment", "industrial_accident")
HEADERS = [c.header for c in history_columns()]


def row(rrn: str, name: str = "김가입", wage: str = "3000000", **dates: str) -> dict[str, str]:
    """A file row: `pension="2020-03-02"`, `health_lost="2023-01-01"`, ... (empty by default)."""
    cells = {"주민등록번호": rrn, "성명": name, "월평균보수": wage, "국적": "KR", "체류자격": ""}
    labels = {"pension": "국민연금", "health": "건강보험", "employment": "고용보험"}
    labels["industrial_accident"] = "산재보험"
    for code, label in labels.items():
        cells[f"{label} 취득일"] = dates.get(code, "")
        cells[f"{label} 상실일"] = dates.get(f"{code}_lost", "")
    return cells


def everywhere(on: str, lost: str = "") -> dict[str, str]:
    dates = dict.fromkeys(AGENCIES, on)
    if lost:
        dates.update({f"{code}_lost": lost for code in AGENCIES})
    return dates


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADERS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def upload(api_client, workplace, content: bytes, *, dry_run: bool, name: str = "h.csv"):  # type: ignore[no-untyped-def]
    return api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/insured-history/",
        {"file": SimpleUploadedFile(name, content), "dry_run": "true" if dry_run else "false"},
        format="multipart",
    )


def periods(api_client, employee_id: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = api_client.get(f"/api/v1/employees/{employee_id}/periods/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_dry_run_reports_each_bad_row_by_column_and_writes_nothing(api_client, workplace):
    good = valid_rrn(date(1985, 5, 5))
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    content = as_csv(
        [
            row(good, **everywhere("2020-03-02")),
            row("8505051234568", name="틀린번호", pension="2020-03-02"),
            row(valid_rrn(date(1990, 1, 1)), pension="2021-01-04", pension_lost="2020-12-31"),
            row(valid_rrn(date(1991, 1, 1)), health=tomorrow),
            row(valid_rrn(date(1992, 1, 1)), employment_lost="2022-01-01"),
            row(valid_rrn(date(1993, 1, 1))),
            row(good, name="다시", pension="2021-01-04"),
        ]
    )

    response = upload(api_client, workplace, content, dry_run=True)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["status"]) == ("history", "validated")
    assert (body["total_rows"], body["valid_rows"], body["error_rows"]) == (7, 1, 6)
    found = {(e["row"], e["column"], e["rule"]) for e in body["errors"]}
    assert any(r == 3 and c == "주민등록번호" and rule.startswith("rrn") for r, c, rule in found)
    assert (4, "국민연금 상실일", "after_acquisition") in found
    assert (5, "건강보험 취득일", "future") in found
    assert (6, "고용보험 취득일", "required") in found
    assert (7, "국민연금 취득일", "required") in found
    assert (8, "주민등록번호", "duplicate_in_file") in found
    assert all(e["message"] and e["field"] for e in body["errors"])
    assert not Employee.objects.exists()
    assert not InsuredPeriod.objects.exists()


def test_an_import_creates_the_people_with_imported_periods_seen_in_the_api(
    api_client, workplace, owner
):
    rrn = valid_rrn(date(1980, 7, 1))
    dates = {"pension": "2019-03-04", "health": "2019-03-04", "employment": "2019-04-01"}
    content = as_csv([row(rrn, name="이가입", wage="3,200,000", **dates)])

    response = upload(api_client, workplace, content, dry_run=False)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["filed_rows"], body["errors"]) == ("done", 1, [])
    employee = Employee.objects.get(workplace=workplace)
    assert (employee.name, employee.hire_date, employee.monthly_wage) == (
        "이가입",
        date(2019, 3, 4),
        3_200_000,
    )
    assert employee.loss_date is None
    assert {code for code, item in employee.coverage.items() if item["covered"]} == set(dates)
    got = periods(api_client, employee.pk)
    assert {(p["agency"], p["acquired_on"]) for p in got} == set(dates.items())
    assert {(p["source"], p["report_id"], p["lost_on"]) for p in got} == {("imported", None, None)}
    event = AuditEvent.objects.get(action="history.import")
    assert (event.actor, event.workplace) == (owner, workplace)
    assert rrn not in str(event.data) and rrn not in str(body)


def test_a_file_with_a_bad_row_imports_nothing_even_when_asked_to(api_client, workplace):
    content = as_csv(
        [
            row(valid_rrn(date(1980, 1, 1)), **everywhere("2020-01-02")),
            row(valid_rrn(date(1981, 1, 1)), pension="2020-01-02", pension_lost="2019-01-01"),
        ]
    )

    body = upload(api_client, workplace, content, dry_run=False).json()

    assert (body["status"], body["filed_rows"], body["error_rows"]) == ("validated", 0, 1)
    assert not InsuredPeriod.objects.exists() and not Employee.objects.exists()


def test_the_same_file_again_is_answered_from_the_first_upload_and_imported_once(
    api_client, workplace
):
    content = as_csv([row(valid_rrn(date(1980, 1, 1)), **everywhere("2020-01-02"))])
    first = upload(api_client, workplace, content, dry_run=True)
    imported = upload(api_client, workplace, content, dry_run=False)
    again = upload(api_client, workplace, content, dry_run=False)

    assert (first.status_code, imported.status_code, again.status_code) == (201, 200, 200)
    assert imported.json()["status"] == "done" and again.json()["reused"] is True
    assert InsuredPeriod.objects.count() == 4
    assert BulkUpload.objects.filter(kind="history").count() == 1


def test_a_checked_file_that_clashes_with_history_imported_since_is_not_imported(
    api_client, workplace
):
    rrn = valid_rrn(date(1979, 9, 9))
    checked = as_csv([row(rrn, name="먼저", **everywhere("2020-01-02"))])
    assert upload(api_client, workplace, checked, dry_run=True).json()["error_rows"] == 0
    since = as_csv([row(rrn, name="나중", pension="2020-06-01")])
    assert upload(api_client, workplace, since, dry_run=False).json()["status"] == "done"

    body = upload(api_client, workplace, checked, dry_run=False).json()

    assert (body["status"], body["error_rows"], body["filed_rows"]) == ("validated", 1, 0)
    assert [e["rule"] for e in body["errors"]] == ["already_on_file"]
    assert InsuredPeriod.objects.count() == 1


def test_someone_who_left_everywhere_is_imported_as_a_past_employee(api_client, workplace):
    content = as_csv(
        [
            row(
                valid_rrn(date(1975, 2, 2)),
                **everywhere("2018-05-01"),
                pension_lost="2021-07-01",
                health_lost="2021-07-01",
                employment_lost="2021-07-01",
                industrial_accident_lost="2021-07-02",
            )
        ]
    )

    assert upload(api_client, workplace, content, dry_run=False).json()["status"] == "done"

    employee = Employee.objects.get(workplace=workplace)
    assert (employee.loss_date, employee.last_working_day) == (
        date(2021, 7, 2),
        date(2021, 7, 1),
    )
    assert {p["lost_on"] for p in periods(api_client, employee.pk)} == {"2021-07-01", "2021-07-02"}


def test_history_for_someone_already_on_the_books_joins_their_record(api_client, workplace):
    employee = EmployeeFactory(workplace=workplace, hire_date=date(2022, 1, 3), insured=False)
    content = as_csv([row(employee_rrn(employee), name=employee.name, **everywhere("2022-01-03"))])

    assert upload(api_client, workplace, content, dry_run=False).json()["status"] == "done"

    assert Employee.objects.filter(workplace=workplace).count() == 1
    assert len(periods(api_client, employee.pk)) == 4


def test_history_overlapping_what_the_portal_filed_is_refused(api_client, workplace, sandbox):
    hire = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body(), format="json"
    ).json()
    ids = list(Submission.objects.filter(report_id=hire["id"]).values_list("pk", flat=True))
    assert set(delivery.submissions_send(submission_ids=ids).values()) == {"accepted"}
    employee = Employee.objects.get(pk=hire["employee_id"])
    earlier = (employee.hire_date - timedelta(days=400)).isoformat()

    body = upload(
        api_client, workplace, as_csv([row(employee_rrn(employee), pension=earlier)]), dry_run=True
    ).json()

    assert body["error_rows"] == 1
    [error] = [e for e in body["errors"] if e["rule"] == "already_on_file"]
    assert error["column"] == "국민연금 취득일" and "포털 신고" in error["message"]


def test_the_template_downloads_as_csv_and_xlsx_and_an_xlsx_upload_is_read(api_client, workplace):
    from openpyxl import Workbook, load_workbook

    csv_file = api_client.get("/api/v1/insured-history/template.csv")
    xlsx_file = api_client.get("/api/v1/insured-history/template.xlsx")

    assert csv_file.status_code == 200 and csv_file["Content-Type"] == "text/csv"
    assert csv_file.content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADERS)
    sheet = load_workbook(io.BytesIO(xlsx_file.content)).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert api_client.get("/api/v1/insured-history/template.pdf").status_code == 404
    book = Workbook()
    book.active.append(HEADERS)
    cells = row(valid_rrn(date(1988, 8, 8)), **everywhere(""))
    cells["국민연금 취득일"] = date(2020, 2, 3)  # a real date cell, as Excel saves it
    book.active.append([cells[h] for h in HEADERS])
    buffer = io.BytesIO()
    book.save(buffer)
    body = upload(api_client, workplace, buffer.getvalue(), dry_run=False, name="h.xlsx").json()
    assert (body["status"], body["errors"]) == ("done", [])
    assert InsuredPeriod.objects.get().acquired_on == date(2020, 2, 3)


def test_another_workplaces_file_cannot_be_imported(api_client, other_workplace):
    content = as_csv([row(valid_rrn(date(1980, 1, 1)), **everywhere("2020-01-02"))])
    assert upload(api_client, other_workplace, content, dry_run=False).status_code == 404
    assert not InsuredPeriod.objects.exists()


def test_the_portal_page_checks_first_then_imports_and_the_employees_page_links_to_it(
    verified_client, owner, workplace
):
    client = verified_client(owner)
    assert "/employees/history/" in client.get("/employees/").content.decode()
    bad = as_csv(
        [row(valid_rrn(date(1980, 1, 1)), pension="2020-01-02", pension_lost="2019-01-01")]
    )
    response = client.post("/employees/history/", {"file": SimpleUploadedFile("b.csv", bad)})
    page = client.get(response["Location"]).content.decode()
    assert "상실일은 취득일 다음 날 이후여야 합니다." in page
    assert 'data-testid="history-import"' not in page

    good = as_csv([row(valid_rrn(date(1980, 1, 1)), **everywhere("2020-01-02"))])
    response = client.post("/employees/history/", {"file": SimpleUploadedFile("g.csv", good)})
    detail = response["Location"]
    assert 'data-testid="history-import"' in client.get(detail).content.decode()
    assert not InsuredPeriod.objects.exists()  # checking wrote nothing
    done = client.post(f"{detail}import/")
    assert "가입 이력을 가져왔습니다" in client.get(done["Location"]).content.decode()
    assert InsuredPeriod.objects.filter(source="imported").count() == 4
    assert client.get("/employees/history/template.xlsx").status_code == 200


def test_the_coverage_certificate_says_which_lines_were_imported_and_which_filed(
    api_client, owner, workplace, sandbox
):
    employee = EmployeeFactory(
        workplace=workplace, hire_date=date(2021, 1, 4), birth=date(1985, 5, 5), insured=False
    )
    rrn = employee_rrn(employee)
    content = as_csv([row(rrn, pension="2021-01-04", pension_lost="2023-01-01")])
    assert upload(api_client, workplace, content, dry_run=False).json()["status"] == "done"
    employee.refresh_from_db()
    assert employee.loss_date == date(2023, 1, 1)  # insured nowhere any more: lost here
    hire = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/", hire_body(rrn=rrn), format="json"
    ).json()
    ids = list(Submission.objects.filter(report_id=hire["id"]).values_list("pk", flat=True))
    assert set(delivery.submissions_send(submission_ids=ids).values()) == {"accepted"}

    certificate = certificate_issue(
        actor=owner,
        kind=CertificateKind.COVERAGE_HISTORY,
        employee=Employee.objects.get(pk=hire["employee_id"]),
        purpose="금융기관 제출용",
    )

    pension = certificate.facts["insurances"][0]["rows"]
    assert [(r["acquired_on"], r["source"]) for r in pension] == [
        ("2021-01-04", "imported"),
        (hire_body()["hire_date"], "filed"),
    ]
    text = pdf_text(bytes(certificate.pdf))
    assert "가져온 이력 (사업장 제출)" in text and "포털 신고" in text


def test_the_sandbox_is_told_about_imported_people_and_a_failed_try_is_left_to_the_sweeper(
    workplace, sandbox, settings
):
    employee = EmployeeFactory(workplace=workplace, hire_date=date(2020, 1, 2), insured=False)
    periods_import(
        workplace_id=workplace.pk,
        periods={employee.pk: [(code, date(2020, 1, 2), None) for code in AGENCIES]},
    )

    assert history_sandbox_tell(employee_ids=[employee.pk]) == "told"
    digest = hashlib.sha256(employee_rrn(employee).encode()).hexdigest()
    members = sandbox.control("GET", "/_members")["members"]
    assert {(m["agency"], m["rrn_sha256"], m["acquired_on"]) for m in members} == {
        (code, digest, "2020-01-02") for code in AGENCIES
    }

    settings.AGENCY_URLS = {code: f"http://127.0.0.1:9/{code}" for code in AGENCIES}
    assert history_sandbox_tell(employee_ids=[employee.pk]) == "retry"
    retry = OutboxMessage.objects.get(task="filings.tasks.history_sandbox_tell")
    assert (retry.args, retry.published_at) == ([[employee.pk], 1], None)

    settings.AGENCY_URLS = {code: f"https://{code}.example.go.kr/api" for code in AGENCIES}
    assert history_sandbox_tell(employee_ids=[employee.pk]) == "not_sandbox"


def test_load_demo_imports_its_staffs_history_once(settings):
    settings.AGENCY_URLS = {code: f"https://{code}.example.go.kr/api" for code in AGENCIES}
    call_command("load_demo", stdout=StringIO())
    imported = InsuredPeriod.objects.filter(source="imported").count()
    call_command("load_demo", stdout=StringIO())

    assert imported == InsuredPeriod.objects.count() >= 4 * Workplace.objects.count()
    for employee in Employee.objects.all():
        assert InsuredPeriod.objects.filter(employee=employee, acquired_on=employee.hire_date)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_imported_persons_exit_is_accepted_by_the_sandbox_and_closes_the_imported_periods(
    api_client, workplace, sandbox, celery_worker_process
):
    rrn = valid_rrn(date(1984, 4, 4))
    content = as_csv([row(rrn, name="박이력", **everywhere("2019-06-03"))])
    assert upload(api_client, workplace, content, dry_run=False).json()["status"] == "done"
    employee = Employee.objects.get(workplace=workplace)
    # The worker tells the sandbox after the import commits.
    wait_until(lambda: len(sandbox.control("GET", "/_members")["members"]) == 4)

    last_day = timezone.localdate() - timedelta(days=1)
    body = {
        "kind": "exit",
        "employee_id": employee.pk,
        "last_working_day": last_day.isoformat(),
        "reason_code": "11",
        "reason_detail": "개인 사정",
    }
    report = api_client.post(f"/api/v1/workplaces/{workplace.pk}/reports/", body, format="json")
    assert report.status_code == 201, report.content
    report_id = report.json()["id"]
    wait_until(lambda: all(s.is_final for s in Submission.objects.filter(report_id=report_id)))

    detail = api_client.get(f"/api/v1/reports/{report_id}/").json()
    assert [s["status"] for s in detail["submissions"]] == ["accepted"] * 4
    loss = (last_day + timedelta(days=1)).isoformat()
    assert {
        (p["source"], p["acquired_on"], p["lost_on"]) for p in periods(api_client, employee.pk)
    } == {("imported", "2019-06-03", loss)}
    employee.refresh_from_db()
    assert employee.loss_date == last_day + timedelta(days=1)


def employee_rrn(employee: Employee) -> str:
    from portal.services import employee_rrn_decrypt

    return employee_rrn_decrypt(employee=employee)
