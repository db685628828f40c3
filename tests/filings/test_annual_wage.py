"""보수총액신고: the yearly draft per person from bills, accepted reports and the periods, and the
cleaning of what the employer edits."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from filings.annual_wage import (
    ANNUAL_WAGE_AGENCIES,
    SOURCE_BILL,
    SOURCE_EMPLOYEE,
    SOURCE_EXIT,
    SOURCE_FILED,
    annual_wage_agencies,
    annual_wage_clean,
    annual_wage_prefill,
)
from filings.models import InsuredPeriod, Report, ReportStatus, Submission, SubmissionStatus
from portal.errors import FieldErrors
from portal.models import Employee, Workplace
from premiums.models import Bill, BillLine
from tests.factories import EmployeeFactory, WorkplaceFactory

pytestmark = pytest.mark.django_db

YEAR = 2025
EVERY_MONTH = [f"{YEAR}-{m:02d}" for m in range(1, 13)]


def _person(workplace: Workplace, **fields: Any) -> Employee:
    """Insured at all four agencies from the hire date to the loss date (an imported history)."""
    fields.setdefault("hire_date", date(2024, 5, 2))
    fields.setdefault("birth", date(1990, 1, 15))
    fields.setdefault("monthly_wage", 3_000_000)
    return EmployeeFactory(workplace=workplace, **fields)


def _report(
    employee: Employee,
    kind: str,
    on: date,
    data: dict[str, Any],
    *,
    status: str = SubmissionStatus.ACCEPTED,
    **fields: Any,
) -> Report:
    report = Report.objects.create(
        workplace=employee.workplace,
        employee=employee,
        kind=kind,
        event_date=on,
        data=data,
        **fields,
    )
    Submission.objects.bulk_create(
        Submission(report=report, agency=agency, status=status) for agency in ANNUAL_WAGE_AGENCIES
    )
    return report


def _hired(employee: Employee, wage: int) -> Report:
    assert employee.hire_date is not None
    data = {"hire_date": employee.hire_date.isoformat(), "monthly_wage": wage}
    return _report(employee, "hire", employee.hire_date, data)


def _pay_change(employee: Employee, on: date, wage: int, **fields: Any) -> Report:
    data = {"employee_id": employee.pk, "effective_date": on.isoformat(), "monthly_wage": wage}
    return _report(employee, "pay_change", on, data, **fields)


def _bill(workplace: Workplace, month: date, wages: dict[Employee, int]) -> None:
    bill = Bill.objects.create(
        workplace=workplace, month=month, computed_at=timezone.now(), schedule_version="test"
    )
    BillLine.objects.bulk_create(
        BillLine(bill=bill, employee=employee, monthly_wage=wage)
        for employee, wage in wages.items()
    )


def _only(workplace: Workplace, year: int = YEAR) -> dict[str, Any]:
    drafts = annual_wage_prefill(workplace=workplace, year=year)
    assert len(drafts) == 1
    return drafts[0]


def _wages(draft: dict[str, Any]) -> dict[str, int]:
    return {m["month"]: m["wages"] for m in draft["months"]}


def test_the_annual_wage_of_a_person_who_left_mid_year_is_the_sum_of_their_months(workplace):
    # Last working day 30 June: the loss date (자격상실일) is 1 July, insured through June.
    person = _person(workplace, hire_date=date(2025, 1, 2), loss_date=date(2025, 7, 1))
    _hired(person, 2_500_000)
    draft = _only(workplace)
    assert draft == {
        "kind": "annual_wage",
        "employee_id": person.pk,
        "name": person.name,
        "rrn_masked": person.rrn_masked,
        "year": YEAR,
        "agencies": ["health", "employment", "industrial_accident"],
        "months": [{"month": f"2025-0{m}", "wages": 2_500_000} for m in range(1, 7)],
        "total_wages": 15_000_000,
        "months_worked": 6,
        "source": SOURCE_FILED,
    }


def test_a_pay_change_accepted_mid_year_changes_the_months_after_it(workplace):
    person = _person(workplace, monthly_wage=3_600_000)
    _hired(person, 3_000_000)
    _pay_change(person, date(2025, 7, 1), 3_300_000)
    # Effective mid-October: October takes the wage in force on its last insured day.
    _pay_change(person, date(2025, 10, 15), 3_600_000)
    draft = _only(workplace)
    assert list(_wages(draft).values()) == [3_000_000] * 6 + [3_300_000] * 3 + [3_600_000] * 3
    assert draft["total_wages"] == 6 * 3_000_000 + 3 * 3_300_000 + 3 * 3_600_000
    assert draft["months_worked"] == 12


def test_a_pay_change_not_accepted_or_withdrawn_changes_nothing(workplace):
    person = _person(workplace)
    _hired(person, 3_000_000)
    _pay_change(person, date(2025, 3, 1), 9_000_000, status=SubmissionStatus.REJECTED)
    _pay_change(person, date(2025, 4, 1), 9_000_000, status=SubmissionStatus.QUEUED)
    _pay_change(person, date(2025, 5, 1), 9_000_000, cancelled_at=timezone.now())
    draft = _only(workplace)
    assert _wages(draft) == dict.fromkeys(EVERY_MONTH, 3_000_000)
    assert draft["total_wages"] == 36_000_000


def test_a_corrected_pay_change_counts_with_its_revisions_wage(workplace):
    person = _person(workplace)
    _hired(person, 3_000_000)
    old = _pay_change(person, date(2025, 7, 1), 3_300_000, corrected_at=timezone.now())
    Report.objects.filter(pk=old.pk).update(status=ReportStatus.SUPERSEDED)
    _pay_change(person, date(2025, 7, 1), 3_400_000, supersedes=old, revision=2)
    assert list(_wages(_only(workplace)).values()) == [3_000_000] * 6 + [3_400_000] * 6


def test_the_bills_wage_wins_over_the_wage_in_force(workplace):
    person = _person(workplace)
    _hired(person, 3_000_000)
    _bill(workplace, date(2025, 3, 1), {person: 3_100_000})
    draft = _only(workplace)
    assert _wages(draft) == {**dict.fromkeys(EVERY_MONTH, 3_000_000), "2025-03": 3_100_000}
    assert draft["total_wages"] == 11 * 3_000_000 + 3_100_000
    assert draft["source"] == f"{SOURCE_FILED}, {SOURCE_BILL}"


def test_without_an_accepted_report_the_employees_monthly_wage_is_used(workplace):
    _person(workplace, monthly_wage=2_800_000)  # history imported: no report at all
    draft = _only(workplace)
    assert draft["total_wages"] == 12 * 2_800_000
    assert draft["source"] == SOURCE_EMPLOYEE


def test_an_accepted_exit_reports_total_replaces_the_sum_but_keeps_the_months(workplace):
    person = _person(workplace, hire_date=date(2025, 1, 2), loss_date=date(2025, 4, 1))
    _hired(person, 3_000_000)
    exit_data = {"last_working_day": "2025-03-31", "annual_wage_this_year": 10_000_000}
    _report(person, "exit", date(2025, 4, 1), exit_data)
    draft = _only(workplace)
    assert _wages(draft) == {"2025-01": 3_000_000, "2025-02": 3_000_000, "2025-03": 3_000_000}
    assert (draft["total_wages"], draft["months_worked"]) == (10_000_000, 3)
    assert draft["source"] == f"{SOURCE_EXIT} (월별 금액: {SOURCE_FILED})"


def test_an_exit_early_next_year_gives_last_years_total_and_a_cancelled_exit_nothing(workplace):
    person = _person(workplace, hire_date=date(2024, 1, 2), loss_date=date(2025, 2, 1))
    _hired(person, 3_000_000)
    last_year = {"last_working_day": "2025-01-31", "annual_wage_last_year": 40_000_000}
    _report(person, "exit", date(2025, 2, 1), last_year)
    assert _only(workplace, 2024)["total_wages"] == 40_000_000
    cancelled = {"last_working_day": "2025-01-31", "annual_wage_this_year": 1}
    _report(person, "exit", date(2025, 2, 1), cancelled, cancelled_at=timezone.now())
    assert _only(workplace, 2025)["total_wages"] == 3_000_000


def test_drafts_cover_those_insured_that_year_at_health_employment_or_iaci_by_name(workplace):
    still = _person(workplace, name="나영희")
    _person(workplace, name="가나다", hire_date=date(2024, 1, 2), loss_date=date(2025, 1, 1))
    _person(workplace, name="라미란", hire_date=date(2026, 1, 5))
    _person(WorkplaceFactory(), name="다른곳")
    pension_only = _person(workplace, name="다연금", insured=False)
    late = _person(workplace, name="마지막", insured=False, hire_date=date(2025, 11, 20))
    InsuredPeriod.objects.bulk_create(
        [
            InsuredPeriod(
                employee=pension_only,
                workplace=workplace,
                agency="pension",
                acquired_on=date(2024, 5, 2),
            ),
            InsuredPeriod(
                employee=late, workplace=workplace, agency="employment", acquired_on=late.hire_date
            ),
        ]
    )
    drafts = annual_wage_prefill(workplace=workplace, year=YEAR)
    assert [d["employee_id"] for d in drafts] == [still.pk, late.pk]
    assert drafts[0]["agencies"] == ["health", "employment", "industrial_accident"]
    assert drafts[1]["agencies"] == ["employment"]
    assert [m["month"] for m in drafts[1]["months"]] == ["2025-11", "2025-12"]
    assert annual_wage_prefill(workplace=workplace, year=2010) == []


def test_the_prefill_reads_a_fixed_number_of_queries_however_many_people(
    workplace, django_assert_max_num_queries
):
    people = [_person(workplace) for _ in range(15)]
    for person in people:
        _hired(person, 3_000_000)
        _pay_change(person, date(2025, 7, 1), 3_300_000)
    _bill(workplace, date(2025, 1, 1), dict.fromkeys(people, 3_100_000))
    # Periods, employees, reports and the bills' answer.
    with django_assert_max_num_queries(4):
        drafts = annual_wage_prefill(workplace=workplace, year=YEAR)
    assert len(drafts) == 15
    assert {d["total_wages"] for d in drafts} == {3_100_000 + 5 * 3_000_000 + 6 * 3_300_000}


def test_the_agencies_are_those_where_a_period_overlaps_the_year_in_registry_order(workplace):
    person = _person(workplace, insured=False)

    def period(agency: str, acquired: date, lost: date | None = None) -> InsuredPeriod:
        return InsuredPeriod(
            employee=person, workplace=workplace, agency=agency, acquired_on=acquired, lost_on=lost
        )

    InsuredPeriod.objects.bulk_create(
        [
            period("industrial_accident", date(2025, 12, 31)),
            period("employment", date(2024, 5, 2), date(2025, 1, 1)),
            period("health", date(2024, 5, 2)),
            period("pension", date(2024, 5, 2)),
        ]
    )
    assert annual_wage_agencies(employee_id=person.pk, year=2025) == [
        "health",
        "industrial_accident",
    ]
    assert annual_wage_agencies(employee_id=person.pk, year=2024) == ["health", "employment"]
    assert annual_wage_agencies(employee_id=person.pk, year=2023) == []


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employee_id": 7,
        "year": YEAR,
        "months": [
            {"month": "2025-02", "wages": "3,100,000"},
            {"month": "2025-01", "wages": 3_000_000},
        ],
    }
    body.update(overrides)
    return body


def _errors(body: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(FieldErrors) as caught:
        annual_wage_clean(body)
    return {field: [rule for rule, _ in items] for field, items in caught.value.fields.items()}


def test_clean_orders_the_months_and_sums_them_when_no_total_is_given():
    cleaned = annual_wage_clean(_body())
    assert cleaned.report_data() == {
        "employee_id": 7,
        "year": YEAR,
        "months": [
            {"month": "2025-01", "wages": 3_000_000},
            {"month": "2025-02", "wages": 3_100_000},
        ],
        "total_wages": 6_100_000,
        "months_worked": 2,
    }


def test_clean_keeps_a_given_total():
    assert annual_wage_clean(_body(total_wages=5_000_000)).total_wages == 5_000_000


def test_clean_rejects_a_month_outside_the_year_and_a_repeated_month_by_field():
    months = [
        {"month": "2025-01", "wages": 1},
        {"month": "2024-12", "wages": 1},
        {"month": "2025-01", "wages": 1},
    ]
    assert _errors(_body(months=months)) == {
        "months[1].month": ["outside_year"],
        "months[2].month": ["duplicate"],
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"year": timezone.localdate().year + 1}, {"year": ["range"]}),
        ({"year": 1999}, {"year": ["range"]}),
        ({"employee_id": 0}, {"employee_id": ["range"]}),
        ({"months": []}, {"months": ["length"]}),
        ({"months": [{"month": "2025-01", "wages": 1}] * 13}, {"months": ["length"]}),
        ({"months": ["2025-01"]}, {"months[0]": ["object"]}),
        ({"months": [{"month": "2025-13", "wages": 1}]}, {"months[0].month": ["month_format"]}),
        ({"months": [{"month": "2025-1", "wages": 1}]}, {"months[0].month": ["month_format"]}),
        ({"months": [{"month": "2025-01", "wages": -1}]}, {"months[0].wages": ["range"]}),
        ({"months": [{"month": "2025-01", "wages": 1.5}]}, {"months[0].wages": ["integer"]}),
        ({"months": [{"month": "2025-01"}]}, {"months[0].wages": ["required"]}),
        ({"total_wages": 10**11 + 1}, {"total_wages": ["range"]}),
    ],
)
def test_clean_names_the_field_and_the_rule(
    overrides: dict[str, Any], expected: dict[str, list[str]]
):
    assert _errors(_body(**overrides)) == expected


def test_every_rule_speaks_korean():
    with pytest.raises(FieldErrors) as caught:
        annual_wage_clean(_body(months=[{"month": "2024-12", "wages": 1}]))
    assert caught.value.messages() == {"months[0].month": ["귀속월은 2025년의 달이어야 합니다."]}
