"""근로내용확인신고: a daily worker's month, filed to EI and IACI (the sandbox over HTTP or the
고용·산재 토탈서비스 file), with the NPS/NHIS thresholds prompting an acquisition."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from filings.agency_files import layout_load
from filings.models import Submission
from notifications.models import Notification
from notifications.services import daily_work_check
from portal.models import Employee
from tests.filings.helpers import hire_body
from tests.filings.test_agency_files import _file_channel, _gather, _sheet, _xlsx
from tests.filings.test_periods import _post, _send

pytestmark = pytest.mark.django_db
DAILY = layout_load("comwel_daily_work", 1)


def _last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def _daily_worker(api_client: Any, workplace: Any, **overrides: Any) -> dict:
    """A daily worker hired on the 1st of last month, expected to work a few days a month."""
    body = hire_body(
        name=overrides.pop("name", "최일용"),
        employment_type="daily",
        weekly_hours=None,
        monthly_days=3,
        monthly_wage=450_000,
        job_code="706",
        hire_date=_last_month().isoformat(),
        **overrides,
    )
    return _post(api_client, workplace, body)


def _daily_work(employee_id: int, days: list[int], **overrides: Any) -> dict:
    return {
        "kind": "daily_work",
        "employee_id": employee_id,
        "month": f"{_last_month():%Y-%m}",
        "days": days,
        "daily_hours": "8",
        "wages": 150_000 * len(days),
        "income_tax": 1_000,
        "local_tax": 100,
        **overrides,
    }


def test_a_daily_worker_crossing_8_days_in_a_month_is_prompted_for_pension_and_health_acquisition(
    api_client, workplace, owner, sandbox
):
    hire = _daily_worker(api_client, workplace)
    # EI and IACI take a daily worker through the monthly report, not an acquisition.
    assert hire["submissions"] == [] and hire["status"] == "not_required"
    assert hire["coverage"]["employment"]["via"] == "daily_work"
    report = _post(api_client, workplace, _daily_work(hire["employee_id"], list(range(1, 9))))
    assert {s["agency"] for s in report["submissions"]} == {"employment", "industrial_accident"}
    prompts = {p["agency"]: p for p in report["acquisition_prompts"]}
    assert set(prompts) == {"pension", "health"}
    assert "8일" in prompts["pension"]["reason"] and "국민연금" in prompts["pension"]["reason"]
    assert prompts["health"]["acquire_on"] == _last_month().isoformat()

    assert daily_work_check() >= 1
    note = Notification.objects.get(user=owner)
    assert "자격취득 신고 대상" in note.title and "건강보험" in note.body
    assert daily_work_check() == 0  # once per report

    # The prompted acquisition: a hire naming the worker already here, to NPS and NHIS only.
    acquisition = _post(
        api_client,
        workplace,
        {
            "kind": "hire",
            "employee_id": hire["employee_id"],
            "hire_date": prompts["pension"]["acquire_on"],
            "monthly_days": 8,
            "monthly_wage": 1_200_000,
        },
    )
    assert {s["agency"] for s in acquisition["submissions"]} == {"pension", "health"}
    assert set(_send(acquisition["id"]).values()) == {"accepted"}
    detail = api_client.get(f"/api/v1/reports/{report['id']}/").json()
    assert detail["acquisition_prompts"] == []


def test_a_daily_worker_with_7_days_and_low_pay_is_not_prompted(
    api_client, workplace, owner, sandbox
):
    hire = _daily_worker(api_client, workplace)
    report = _post(
        api_client, workplace, _daily_work(hire["employee_id"], [2, 3, 9, 10, 16, 17, 23])
    )
    assert report["acquisition_prompts"] == []
    assert set(_send(report["id"]).values()) == {"accepted"}
    assert daily_work_check() == 0


def test_the_daily_work_report_is_due_on_the_15th_of_the_following_month(
    api_client, workplace, sandbox
):
    hire = _daily_worker(api_client, workplace)
    report = _post(api_client, workplace, _daily_work(hire["employee_id"], [5, 6]))
    this_month = timezone.localdate().replace(day=1)
    for sub in report["submissions"]:
        due = date.fromisoformat(sub["deadline"])
        assert (due.year, due.month) == (this_month.year, this_month.month)
        assert due.day >= 15  # the 15th, or the next business day


def test_a_second_report_for_the_same_month_and_a_regular_worker_are_refused_with_the_field(
    api_client, workplace, sandbox
):
    hire = _daily_worker(api_client, workplace)
    _post(api_client, workplace, _daily_work(hire["employee_id"], [5]))
    again = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/",
        _daily_work(hire["employee_id"], [6]),
        format="json",
    )
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["month"][0]["rule"] == "already_filed"
    regular = _post(api_client, workplace, hire_body(name="김정규"))
    refused = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/reports/",
        _daily_work(regular["employee_id"], [5, 32]),
        format="json",
    )
    fields = refused.json()["error"]["fields"]
    assert refused.status_code == 400 and "days[1]" in fields


def test_on_the_file_channel_the_month_goes_into_the_comwel_daily_work_file(
    api_client, workplace, sandbox
):
    hire = _daily_worker(api_client, workplace)
    _file_channel(api_client, workplace)
    _post(api_client, workplace, _daily_work(hire["employee_id"], [3, 4, 10]))
    batches = _gather(api_client, workplace)
    assert [(b["layout"], b["agency_portal"], b["rows"]) for b in batches] == [
        ("comwel_daily_work_v1", "comwel", 1)
    ]
    headers, people = _sheet(_xlsx(api_client, batches[0]["id"]))
    assert headers == DAILY.headers and len(headers) == 54
    row = people["5"]  # 보험구분 5: 산재 + 고용
    assert row[2] == "최일용" and row[9] == "706"
    days = {d for d in range(1, 32) if row[9 + d] == "1"}
    assert days == {3, 4, 10}
    by_header = {h: row[i] for i, h in enumerate(headers, 1)}
    assert by_header["근로일수"] == 3 and by_header["보수총액(과세소득)"] == 450_000
    assert by_header["지급월"] == f"{_last_month():%Y%m}" and by_header["소득세"] == 1_000


def test_two_months_of_one_worker_go_into_separate_files_and_a_correction_sends_only_the_new_one(
    api_client, workplace, sandbox
):
    hire = _daily_worker(api_client, workplace)
    _file_channel(api_client, workplace)
    this_month = f"{timezone.localdate():%Y-%m}"
    older = _post(api_client, workplace, _daily_work(hire["employee_id"], [2]))
    newer = _post(api_client, workplace, _daily_work(hire["employee_id"], [1], month=this_month))
    (first,) = _gather(api_client, workplace)  # one report per person in a file
    corrected = api_client.post(
        f"/api/v1/reports/{newer['id']}/correct/",
        _daily_work(hire["employee_id"], [1], month=this_month, wages=10_000),
        format="json",
    )
    assert corrected.status_code == 201, corrected.content
    (second,) = _gather(api_client, workplace)
    in_files = {
        b["id"]: set(
            Submission.objects.filter(agency_file_row__agency_file_id=b["id"]).values_list(
                "report_id", flat=True
            )
        )
        for b in (first, second)
    }
    assert in_files[first["id"]] == {older["id"]}
    assert in_files[second["id"]] == {corrected.json()["id"]}
    assert set(
        Submission.objects.filter(report_id=newer["id"]).values_list("status", flat=True)
    ) == {"cancelled"}


def test_cancelling_a_prompted_acquisition_leaves_the_daily_worker_employed(
    api_client, workplace, sandbox
):
    hire = _daily_worker(api_client, workplace)
    acquisition = _post(
        api_client,
        workplace,
        {
            "kind": "hire",
            "employee_id": hire["employee_id"],
            "hire_date": _last_month().isoformat(),
            "monthly_days": 8,
            "monthly_wage": 1_200_000,
        },
    )
    assert api_client.post(f"/api/v1/reports/{acquisition['id']}/cancel/").status_code == 200
    assert Employee.objects.get(pk=hire["employee_id"]).loss_date is None
    again = _post(api_client, workplace, _daily_work(hire["employee_id"], [5, 6]))
    assert again["status"] == "in_progress"
