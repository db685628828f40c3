"""The periodic reports in the browser: 근로내용확인신고 on a calendar (and the acquisition its
month calls for), the 보수총액신고 table filed all at once, and the 이직확인서 from an exit."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django.utils import timezone

from filings.models import Report
from filings.separation import separation_prefill
from portal.models import Employee, Workplace
from tests.factories import EmployeeFactory
from tests.portal.test_views_filing import error_of, hire_form

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1
EIGHT_DAYS = [str(day) for day in range(1, 9)]


def _last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def _value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert tag, f"no input {name} on the page"
    value = re.search(r'value="([^"]*)"', tag[0])
    return html.unescape(value[1]) if value else ""


def _daily_worker(client: Client) -> Employee:
    """A daily worker hired through the portal on the 1st of last month."""
    response = client.post(
        "/file/hire/",
        hire_form(
            name="최일용",
            employment_type="daily",
            weekly_hours="",
            monthly_days="3",
            monthly_wage="450000",
            job_code="706",
            hire_date=_last_month().isoformat(),
        ),
    )
    assert response.status_code == 302, response.content.decode()
    return Employee.objects.get(name="최일용")


def _daily_work_filed(client: Client, worker: Employee, days: list[str]) -> Report:
    response = client.post(
        "/file/daily-work/",
        {
            "idempotency_key": "daily-1",
            "employee_id": worker.pk,
            "month": f"{_last_month():%Y-%m}",
            "days": days,
            "daily_hours": "8",
            "wages": "1200000",
            "income_tax": "1000",
        },
    )
    report = Report.objects.get(kind="daily_work")
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    return report


def test_the_daily_work_form_files_the_checked_days_and_8_days_bring_the_acquisition_prompt(
    verified_client: Callable[..., Client], hr: AbstractBaseUser, workplace: Workplace
) -> None:
    client = verified_client(hr)
    worker = _daily_worker(client)
    page = client.get("/file/daily-work/").content.decode()
    assert "최일용" in page and 'data-testid="daily-calendar"' in page
    assert "다음 달 15일" in page and 'class="sun"' in page and 'class="sat"' in page
    # Another month's calendar, with what was typed kept and nothing filed.
    redrawn = client.post(
        "/file/daily-work/",
        {"redraw": "1", "employee_id": worker.pk, "month": "2026-02", "days": ["3"], "wages": "9"},
    ).content.decode()
    assert "2026년 2월에 근로한 날" in redrawn and 'value="29"' not in redrawn
    assert 'name="days" value="3" checked' in redrawn and _value(redrawn, "wages") == "9"
    assert 'class="error"' not in redrawn and not Report.objects.filter(kind="daily_work").exists()

    report = _daily_work_filed(client, worker, EIGHT_DAYS)
    assert report.employee == worker and report.workplace == workplace
    assert report.data["days"] == list(range(1, 9)) and report.data["work_days"] == 8
    assert report.data["month"] == f"{_last_month():%Y-%m}" and report.data["wages"] == 1_200_000
    assert {s.agency for s in report.submissions.all()} == {"employment", "industrial_accident"}

    detail = client.get(f"/reports/{report.pk}/").content.decode()
    box = detail.split('data-testid="acquisition-prompts"', 1)[1].split("</section>", 1)[0]
    assert "국민연금</strong>:" in box and "건강보험</strong>:" in box and "8일" in box
    assert "기준 확인 필요" in box and 'data-testid="acquire"' in box


def test_filing_from_the_prompt_box_files_a_hire_to_pension_and_health(
    verified_client: Callable[..., Client], hr: AbstractBaseUser
) -> None:
    client = verified_client(hr)
    worker = _daily_worker(client)
    report = _daily_work_filed(client, worker, EIGHT_DAYS)

    stale = verified_client(hr, fresh=False)
    asked = stale.post(f"/reports/{report.pk}/daily-work-acquire/", {"idempotency_key": "acq-1"})
    assert "10분" in error_of(asked.content.decode(), "otp_token")
    assert not Report.objects.filter(kind="hire", data__employee_id=worker.pk).exists()

    response = client.post(
        f"/reports/{report.pk}/daily-work-acquire/", {"idempotency_key": "acq-1"}
    )
    hire = Report.objects.get(kind="hire", data__employee_id=worker.pk)
    assert response.status_code == 302 and response["Location"] == f"/reports/{hire.pk}/"
    assert {s.agency for s in hire.submissions.all()} == {"pension", "health"}
    assert hire.event_date == _last_month()
    assert hire.data["monthly_days"] == 8 and hire.data["monthly_wage"] == 1_200_000
    # The acquisitions are on their way: the box is gone.
    detail = client.get(f"/reports/{report.pk}/").content.decode()
    assert 'data-testid="acquisition-prompts"' not in detail


def _insured_last_year(workplace: Workplace, name: str) -> Employee:
    return EmployeeFactory(
        workplace=workplace, name=name, hire_date=date(LAST_YEAR, 1, 2), monthly_wage=3_000_000
    )


def _wages(person: Employee, **edited: str) -> dict[str, str]:
    """Every month of last year at 3,000,000, with `edited` (m03="3500000") replacing some."""
    return {
        f"w-{person.pk}-{LAST_YEAR}-{m:02d}": edited.get(f"m{m:02d}", "3000000")
        for m in range(1, 13)
    }


def test_the_annual_wage_page_lists_the_draft_and_files_an_edited_month_with_its_total(
    verified_client: Callable[..., Client], hr: AbstractBaseUser, workplace: Workplace
) -> None:
    client = verified_client(hr)
    person = _insured_last_year(workplace, "박보수")
    page = client.get("/file/annual-wage/").content.decode()
    assert "박보수" in page and person.rrn_masked in page and "근로자 정보의 월 보수액" in page
    assert _value(page, f"w-{person.pk}-{LAST_YEAR}-03") == "3000000"
    assert "3월 10일" in page and "3월 15일" in page and "36,000,000" in page

    response = client.post(
        "/file/annual-wage/",
        {"year": LAST_YEAR, "include": [person.pk], **_wages(person, m03="3500000")},
    )
    assert response.status_code == 302 and response["Location"] == "/reports/?kind=annual_wage"
    report = Report.objects.get(kind="annual_wage")
    assert report.employee == person
    assert report.data["total_wages"] == 36_500_000 and report.data["months_worked"] == 12
    assert report.data["months"][2] == {"month": f"{LAST_YEAR}-03", "wages": 3_500_000}


def test_a_bad_month_wage_is_shown_next_to_that_month_and_nobody_is_filed(
    verified_client: Callable[..., Client], hr: AbstractBaseUser, workplace: Workplace
) -> None:
    client = verified_client(hr)
    first = _insured_last_year(workplace, "가나다")
    second = _insured_last_year(workplace, "라마바")
    response = client.post(
        "/file/annual-wage/",
        {
            "year": LAST_YEAR,
            "include": [first.pk, second.pk],
            **_wages(first, m05="12.5"),
            **_wages(second),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "정수" in error_of(page, "people[0].months[4].wages")
    cell = page.split(f'id="w-{first.pk}-{LAST_YEAR}-05"', 1)[1].split("</div>", 1)[0]
    assert 'data-field="people[0].months[4].wages"' in cell
    assert _value(page, f"w-{first.pk}-{LAST_YEAR}-05") == "12.5"
    assert "아무것도 신고하지 않았습니다" in page
    assert not Report.objects.filter(kind="annual_wage").exists()


def test_the_separation_page_prefilled_from_an_exit_files_a_separation_report(
    verified_client: Callable[..., Client], hr: AbstractBaseUser, workplace: Workplace
) -> None:
    client = verified_client(hr)
    person = EmployeeFactory(workplace=workplace, hire_date=date(LAST_YEAR, 3, 2))
    last_day = timezone.localdate() - timedelta(days=1)
    filed = client.post(
        "/file/exit/",
        {"employee_id": person.pk, "last_working_day": last_day.isoformat(), "reason_code": "23"},
    )
    exit_report = Report.objects.get(kind="exit")
    assert filed["Location"] == f"/reports/{exit_report.pk}/"

    detail = client.get(f"/reports/{exit_report.pk}/").content.decode()
    link = detail.split('data-testid="separation-link"', 1)[1]
    matched = re.search(r'href="([^"]+)">이직확인서 작성', link)
    assert matched, "no 이직확인서 link on the exit report"
    href = html.unescape(matched[1])
    assert href.startswith("/file/separation/?") and f"employee_id={person.pk}" in href

    page = client.get(href).content.decode()
    draft = separation_prefill(employee=person, last_working_day=last_day)
    assert _value(page, "last_working_day") == last_day.isoformat()
    assert _value(page, "insured_days") == str(draft["insured_days"])
    assert _value(page, "wm2_end") == last_day.isoformat()
    assert '<option value="23" selected>' in page
    names = ["last_working_day", "daily_hours", "insured_days"]
    names += [f"wm{i}_{part}" for i in range(3) for part in ("start", "end", "days", "wages")]
    form = {name: _value(page, name) for name in names}
    response = client.post(
        "/file/separation/",
        {**form, "employee_id": person.pk, "reason_code": "23", "idempotency_key": "sep-1"},
    )
    report = Report.objects.get(kind="separation")
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    assert report.employee == person and report.data["reason_code"] == "23"
    assert report.data["wage_months"] == draft["wage_months"]
    assert {s.agency for s in report.submissions.all()} == {"employment"}
