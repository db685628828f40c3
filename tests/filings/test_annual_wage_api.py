"""보수총액신고 over the API: the draft from what the agencies accepted, reviewed, edited and
filed at once to health, employment and industrial accident (the sandbox over HTTP or a file)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from filings.agency_files import layout_load
from filings.models import Report
from tests.filings.helpers import hire_body
from tests.filings.test_agency_files import _file_channel, _gather, _sheet, _xlsx
from tests.filings.test_periods import _exit_body, _post, _send

pytestmark = pytest.mark.django_db
YEAR = 2025
ANNUAL = layout_load("4insure_annual_wage", 1)


def _left_mid_year(api_client: Any, workplace: Any) -> int:
    """Hired 3 March, last day 30 June of YEAR: insured March to June at all four agencies."""
    hire = _post(api_client, workplace, hire_body(hire_date=f"{YEAR}-03-03"))
    assert set(_send(hire["id"]).values()) == {"accepted"}
    exit_report = _post(api_client, workplace, _exit_body(hire["employee_id"], date(YEAR, 6, 30)))
    assert set(_send(exit_report["id"]).values()) == {"accepted"}
    return int(hire["employee_id"])


def _drafts(api_client: Any, workplace: Any) -> list[dict]:
    response = api_client.get(f"/api/v1/workplaces/{workplace.pk}/annual-wage/?year={YEAR}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_draft_of_a_person_who_left_mid_year_sums_their_months_and_files_to_three_agencies(
    api_client, workplace, sandbox
):
    employee_id = _left_mid_year(api_client, workplace)
    [draft] = _drafts(api_client, workplace)
    assert draft["employee_id"] == employee_id and "-" in draft["rrn_masked"]
    assert [m["month"] for m in draft["months"]] == [f"{YEAR}-0{m}" for m in (3, 4, 5, 6)]
    assert draft["total_wages"] == sum(m["wages"] for m in draft["months"]) == 12_000_000
    assert draft["agencies"] == ["health", "employment", "industrial_accident"]

    draft["months"][3]["wages"] = 3_500_000  # the employer corrects June before filing
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/annual-wage/",
        {"year": YEAR, "people": [{k: draft[k] for k in ("employee_id", "months")}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    [report] = response.json()
    assert report["kind"] == "annual_wage"
    deadlines = {s["agency"]: s["deadline"] for s in report["submissions"]}
    assert set(deadlines) == {"health", "employment", "industrial_accident"}
    assert deadlines["health"] == f"{YEAR + 1}-03-10"
    assert deadlines["employment"] >= f"{YEAR + 1}-03-15"  # moved past a weekend or holiday
    assert Report.objects.get(pk=report["id"]).data["total_wages"] == 12_500_000
    assert set(_send(report["id"]).values()) == {"accepted"}


def test_one_bad_person_files_nobody_and_names_the_field(api_client, workplace, sandbox):
    employee_id = _left_mid_year(api_client, workplace)
    people = [
        {"employee_id": employee_id, "months": [{"month": f"{YEAR}-03", "wages": 1}]},
        {"employee_id": employee_id, "months": [{"month": f"{YEAR + 1}-01", "wages": 1}]},
    ]
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/annual-wage/",
        {"year": YEAR, "people": people},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["people[1].months[0].month"][0]["rule"] == "outside_year"
    assert not Report.objects.filter(kind="annual_wage").exists()


def test_on_the_file_channel_the_annual_wage_goes_into_its_own_workbook(
    api_client, workplace, sandbox
):
    employee_id = _left_mid_year(api_client, workplace)
    _file_channel(api_client, workplace)
    [draft] = _drafts(api_client, workplace)
    body = {"kind": "annual_wage", "employee_id": employee_id, "year": YEAR}
    _post(api_client, workplace, {**body, "months": draft["months"]})
    [batch] = _gather(api_client, workplace)
    assert (batch["layout"], batch["rows"]) == ("4insure_annual_wage_v1", 1)
    headers, people = _sheet(_xlsx(api_client, batch["id"]))
    assert headers == ANNUAL.headers
    [row] = people.values()
    by_header = dict(zip(headers, row.values(), strict=True))
    assert by_header["귀속연도"] == YEAR
    assert by_header["고용 보수총액"] == by_header["건강 보수총액"] == 12_000_000
    assert by_header["산재 근무월수"] == 4
