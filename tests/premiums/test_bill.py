from collections.abc import Callable
from datetime import date

import pytest

from portal.models import AuditEvent, Employee, Workplace
from premiums.models import Bill, BillLine
from premiums.services import bill_compute
from tests.factories import WorkplaceFactory, valid_rrn

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def line_of(workplace: Workplace, month: date, employee: Employee) -> BillLine | None:
    bill = bill_compute(workplace=workplace, month=month)
    return bill.lines.filter(employee=employee).first()


def test_acquisition_on_the_first_charges_pension_and_health_that_month(small_workplace, hire):
    person = hire(date(2026, 3, 1), monthly_wage=3_000_000)
    line = line_of(small_workplace, MARCH, person)
    assert (line.pension_employee, line.pension_employer) == (142_500, 142_500)
    assert (line.health_employee, line.long_term_care_employee) == (107_850, 14_170)
    assert line.employment_employee == 27_000


def test_acquisition_on_the_second_skips_pension_and_health_until_next_month(small_workplace, hire):
    person = hire(date(2026, 3, 2), monthly_wage=3_000_000)
    march = line_of(small_workplace, MARCH, person)
    assert (march.pension_employee, march.health_employee, march.long_term_care_employee) == (
        0,
        0,
        0,
    )
    assert march.employment_employee == 27_000
    assert any("1일이 아니어서" in note for note in march.trace["notes"])
    april = line_of(small_workplace, date(2026, 4, 1), person)
    assert (april.pension_employee, april.health_employee) == (142_500, 107_850)


def test_a_mid_month_leavers_last_month_is_charged_for_pension_and_health(small_workplace, hire):
    # Loss date 17 March: the day before lies in March, so March is charged (국민연금법
    # 제17조①, 국민건강보험법 제69조②); April is not.
    person = hire(date(2025, 1, 1), monthly_wage=3_000_000, loss_date=date(2026, 3, 17))
    march = line_of(small_workplace, MARCH, person)
    assert (march.pension_employee, march.health_employee) == (142_500, 107_850)
    assert march.employment_employee == 27_000
    assert any("전날이 속한 달까지" in note for note in march.trace["notes"])
    assert line_of(small_workplace, date(2026, 4, 1), person) is None


def test_a_loss_on_the_first_of_next_month_charges_the_whole_last_month(small_workplace, hire):
    person = hire(date(2025, 1, 1), monthly_wage=3_000_000, loss_date=date(2026, 4, 1))
    march = line_of(small_workplace, MARCH, person)
    assert (march.pension_employee, march.health_employee) == (142_500, 107_850)
    assert line_of(small_workplace, date(2026, 4, 1), person) is None


def test_loss_on_the_first_leaves_no_line_in_that_month(small_workplace, hire):
    person = hire(date(2025, 1, 1), loss_date=date(2026, 3, 1))
    assert line_of(small_workplace, MARCH, person) is None
    assert line_of(small_workplace, date(2026, 2, 1), person) is not None


def test_acquisition_on_the_first_and_loss_in_the_same_month_charges_health_but_not_pension(
    small_workplace, hire
):
    person = hire(date(2026, 3, 1), monthly_wage=3_000_000, loss_date=date(2026, 3, 20))
    line = line_of(small_workplace, MARCH, person)
    assert line.pension_employee == 0
    assert line.health_employee == 107_850


def test_person_hired_after_the_month_is_not_billed(small_workplace, hire):
    person = hire(date(2026, 4, 1))
    assert line_of(small_workplace, MARCH, person) is None


def test_small_workplace_new_hire_gets_80_percent_of_pension_and_employment(small_workplace, hire):
    person = hire(date(2026, 1, 1), monthly_wage=2_000_000)
    line = line_of(small_workplace, MARCH, person)
    assert (line.pension_employee, line.employment_employee) == (95_000, 18_000)
    assert line.employment_employer == 23_000  # 0.9% + 0.25% (under 150)
    assert (line.pension_subsidy_employee, line.pension_subsidy_employer) == (76_000, 76_000)
    assert (line.employment_subsidy_employee, line.employment_subsidy_employer) == (14_400, 18_400)
    assert line.subsidy_reason.startswith("두루누리 지원:")
    bill = Bill.objects.get(workplace=small_workplace, month=MARCH)
    assert bill.subsidy_total == 76_000 * 2 + 14_400 + 18_400


def test_foreign_worker_gets_the_employment_part_but_not_the_pension_part(small_workplace, hire):
    person = hire(date(2026, 1, 1), foreigner=True, visa="F-5")
    line = line_of(small_workplace, MARCH, person)
    assert line.pension_employee == 95_000
    assert (line.pension_subsidy_employee, line.pension_subsidy_employer) == (0, 0)
    assert line.employment_subsidy_employee == 14_400
    assert "국민만" in line.subsidy_reason


def test_subsidy_stops_after_36_months(small_workplace, hire):
    person = hire(date(2023, 3, 1))
    in_35th_month = line_of(small_workplace, date(2026, 2, 1), person)
    assert in_35th_month.pension_subsidy_employee > 0
    after = line_of(small_workplace, MARCH, person)
    assert after.pension_subsidy_employee == after.employment_subsidy_employee == 0
    assert "36개월" in after.subsidy_reason


@pytest.mark.parametrize(
    ("wage", "eligible"), [(2_699_999, True), (2_700_000, False), (3_000_000, False)]
)
def test_subsidy_needs_pay_under_2_7_million(small_workplace, hire, wage, eligible):
    line = line_of(small_workplace, MARCH, hire(date(2026, 1, 1), monthly_wage=wage))
    assert (line.pension_subsidy_employee > 0) is eligible
    if not eligible:
        assert "2,700,000원 이상" in line.subsidy_reason


def test_subsidy_needs_fewer_than_10_workers(hire):
    workplace = WorkplaceFactory(headcount=10, industry_code="4")
    line = line_of(workplace, MARCH, hire(date(2026, 1, 1), workplace=workplace))
    assert line.pension_subsidy_employee == line.employment_subsidy_employer == 0
    assert "10명 이상" in line.subsidy_reason


def test_subsidy_refused_to_someone_insured_elsewhere_just_before(small_workplace, hire):
    rrn = valid_rrn(date(1990, 5, 5))
    elsewhere = WorkplaceFactory()
    hire(date(2024, 1, 1), workplace=elsewhere, rrn=rrn, loss_date=date(2025, 11, 1))
    person = hire(date(2026, 1, 1), rrn=rrn)
    line = line_of(small_workplace, MARCH, person)
    assert line.pension_subsidy_employee == 0
    assert "신규가입자 아님" in line.subsidy_reason


def test_subsidy_kept_when_the_earlier_job_ended_long_before(small_workplace, hire):
    rrn = valid_rrn(date(1990, 5, 6))
    hire(date(2020, 1, 1), workplace=WorkplaceFactory(), rrn=rrn, loss_date=date(2022, 1, 1))
    line = line_of(small_workplace, MARCH, hire(date(2026, 1, 1), rrn=rrn))
    assert line.pension_subsidy_employee == 76_000


def test_hired_at_65_pays_no_unemployment_premium(small_workplace, hire):
    person = hire(date(2026, 1, 1), birth=date(1958, 1, 1), monthly_wage=2_000_000)
    line = line_of(small_workplace, MARCH, person)
    assert line.employment_employee == 0
    assert line.employment_employer == 5_000  # 고용안정 0.25% only


def test_industrial_accident_uses_the_workplace_industry_and_is_employer_only(
    small_workplace, hire
):
    line = line_of(small_workplace, MARCH, hire(date(2025, 1, 1), monthly_wage=3_000_000))
    # 건설업 35‰ + 출퇴근 0.6‰ + 임금채권 0.9‰ + 석면 (under 20 workers: exempt)
    assert line.industrial_accident_employer == 3_000_000 * 365 // 10_000 // 10 * 10


def test_unknown_industry_code_is_flagged_instead_of_guessed(hire):
    workplace = WorkplaceFactory(industry_code="72901")
    hire(date(2025, 1, 1), workplace=workplace)
    bill = bill_compute(workplace=workplace, month=MARCH)
    assert bill.industrial_accident_total == 0
    assert bill.needs_review
    assert "72901" in bill.lines.get().trace["notes"][-1]


def test_recomputing_replaces_the_lines_instead_of_adding_to_them(small_workplace, hire):
    first_person = hire(date(2025, 1, 1), monthly_wage=3_000_000)
    hire(date(2025, 6, 1))
    first = bill_compute(workplace=small_workplace, month=MARCH)
    Employee.objects.filter(pk=first_person.pk).update(monthly_wage=4_000_000)
    second = bill_compute(workplace=small_workplace, month=MARCH)
    assert second.pk == first.pk
    assert Bill.objects.filter(workplace=small_workplace).count() == 1
    assert second.lines.count() == 2
    assert second.lines.get(employee=first_person).pension_employee == 190_000
    assert second.employee_total == sum(line.employee_total for line in second.lines.all())
    events = AuditEvent.objects.filter(action="premiums.bill_compute", object_id=str(second.pk))
    assert events.count() == 2


def test_bill_totals_add_up_the_lines(small_workplace, hire: Callable[..., Employee]):
    for day in (1, 2, 3):
        hire(date(2025, 1, day), monthly_wage=1_000_000 * day)
    bill = bill_compute(workplace=small_workplace, month=MARCH)
    lines = list(bill.lines.all())
    assert bill.pension_total == sum(x.pension_employee + x.pension_employer for x in lines)
    assert bill.employer_total == sum(x.employer_total for x in lines)
    assert bill.industrial_accident_total == sum(x.industrial_accident_employer for x in lines)
