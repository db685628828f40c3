"""Filing through the portal: Korean errors next to the field, previews, fresh codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django.utils import timezone

from filings.models import Report
from portal.models import Employee, Workplace
from tests.factories import valid_rrn

pytestmark = pytest.mark.django_db


def hire_form(**overrides: str) -> dict[str, str]:
    form = {
        "name": "이입사",
        "rrn": valid_rrn(date(1990, 5, 17), serial=4242),
        "nationality": "KR",
        "visa": "",
        "hire_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "employment_type": "regular",
        "weekly_hours": "40",
        "monthly_days": "",
        "monthly_wage": "3000000",
        "job_code": "024",
        "contract_end": "",
    }
    form.update(overrides)
    return form


def error_of(html: str, field: str) -> str:
    marker = f'data-field="{field}">'
    assert marker in html, f"no error shown next to {field}"
    return html.split(marker, 1)[1].split("</div>", 1)[0]


def test_a_hire_is_filed_and_the_user_lands_on_its_timeline(
    verified_client: Callable[..., Client], hr: AbstractBaseUser, workplace: Workplace
) -> None:
    response = verified_client(hr).post("/file/hire/", hire_form())
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    assert report.workplace == workplace and report.kind == "hire"
    assert report.submissions.count() == 4


def test_a_bad_resident_number_shows_a_korean_error_next_to_the_field(
    verified_client: Callable[..., Client], owner: AbstractBaseUser
) -> None:
    response = verified_client(owner).post(
        "/file/hire/", hire_form(rrn="900101-1234560", job_code="24")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "주민" in error_of(html, "rrn") or "번호" in error_of(html, "rrn")
    assert "직종부호" in error_of(html, "job_code")
    assert not Report.objects.exists()


def test_a_stale_code_blocks_filing_until_a_new_code_is_given(
    verified_client: Callable[..., Client], owner: AbstractBaseUser
) -> None:
    client = verified_client(owner, fresh=False)
    response = client.post("/file/hire/", hire_form())
    assert "10분" in error_of(response.content.decode(), "otp_token")
    wrong = client.post("/file/hire/", hire_form(otp_token="000000"))
    assert "인증 코드" in error_of(wrong.content.decode(), "otp_token")
    assert not Report.objects.exists()


def test_double_submit_of_the_same_form_files_once(
    verified_client: Callable[..., Client], owner: AbstractBaseUser
) -> None:
    client = verified_client(owner)
    form = hire_form(idempotency_key="abc123")
    first = client.post("/file/hire/", form)
    second = client.post("/file/hire/", form)
    assert first["Location"] == second["Location"]
    assert Report.objects.count() == 1


def test_hire_preview_shows_the_four_decisions_with_reasons(
    verified_client: Callable[..., Client], owner: AbstractBaseUser
) -> None:
    response = verified_client(owner).post(
        "/file/hire/preview/", hire_form(weekly_hours="10"), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    for agency in ("pension", "health", "employment", "industrial_accident"):
        assert f'data-agency="{agency}"' in html
    # 10 hours a week: outside pension and health, inside industrial accident.
    assert 'data-agency="pension" data-covered="no"' in html
    assert 'data-agency="industrial_accident" data-covered="yes"' in html
    assert not Report.objects.exists()


def test_exit_preview_shows_each_agencys_code_and_the_loss_date(
    verified_client: Callable[..., Client], owner: AbstractBaseUser, employee: Employee
) -> None:
    response = verified_client(owner).post(
        "/file/exit/preview/",
        {"employee_id": employee.pk, "last_working_day": "2026-03-31", "reason_code": "11"},
    )
    html = response.content.decode()
    assert "2026-04-01" in html
    assert "<code>3</code>" in html and "<code>1</code>" in html and "<code>11</code>" in html
    assert "개인 사정으로 자진 퇴사" in html


def test_exit_form_offers_reasons_in_plain_korean_and_files(
    verified_client: Callable[..., Client], owner: AbstractBaseUser, employee: Employee
) -> None:
    client = verified_client(owner)
    page = client.get("/file/exit/").content.decode()
    assert "정년 퇴직" in page and employee.name in page
    last = (timezone.localdate() - timedelta(days=2)).isoformat()
    missing = client.post("/file/exit/", {"employee_id": employee.pk, "last_working_day": last})
    assert "상실사유" in error_of(missing.content.decode(), "reason_code")
    response = client.post(
        "/file/exit/", {"employee_id": employee.pk, "last_working_day": last, "reason_code": "11"}
    )
    assert response.status_code == 302
    assert Report.objects.get().kind == "exit"


def test_workplace_change_sends_only_changed_fields(
    verified_client: Callable[..., Client], owner: AbstractBaseUser, workplace: Workplace
) -> None:
    response = verified_client(owner).post(
        "/file/workplace-change/",
        {
            "effective_date": timezone.localdate().isoformat(),
            "name": workplace.name,
            "phone": "02-123-4567",
        },
    )
    assert response.status_code == 302
    assert Report.objects.get().data["changes"] == {"phone": "02-123-4567"}


def test_report_list_filters_and_paginates(
    verified_client: Callable[..., Client], owner: AbstractBaseUser, workplace: Workplace
) -> None:
    Report.objects.bulk_create(
        [
            Report(
                workplace=workplace,
                kind="pay_change",
                event_date=date(2026, 3, 1),
                data={},
                status="rejected" if i % 2 else "completed",
            )
            for i in range(120)
        ]
    )
    client = verified_client(owner)
    page = client.get("/reports/", {"status": "rejected"})
    assert len(page.context["page"].object_list) == 50
    assert page.context["page"].paginator.count == 60
    assert "1 / 2" in page.content.decode()


def test_english_is_available_as_the_second_language(
    verified_client: Callable[..., Client], owner: AbstractBaseUser
) -> None:
    client = verified_client(owner)
    client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    html = client.get("/dashboard/").content.decode()
    assert "Reports needing action" in html
