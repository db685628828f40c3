"""factory-boy factories for the domain core, with generators of valid Korean identifiers."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from filings.coverage import CoverageInput, coverage_decide
from portal import services
from portal.identifiers import brn_check_digit, rrn_check_digit
from portal.models import (
    Delegation,
    Employee,
    EmploymentType,
    Membership,
    PayrollFirm,
    Workplace,
)

DEFAULT_PASSWORD = "test-pass-2026!"

# Gender/century digit for (century, sex, foreigner); see portal.identifiers._GENDER_DIGIT.
_GENDER = {
    (1800, "M", False): "9",
    (1800, "F", False): "0",
    (1900, "M", False): "1",
    (1900, "F", False): "2",
    (2000, "M", False): "3",
    (2000, "F", False): "4",
    (1900, "M", True): "5",
    (1900, "F", True): "6",
    (2000, "M", True): "7",
    (2000, "F", True): "8",
}
_serials = itertools.count(1)


def valid_rrn(
    birth: date, sex: str = "M", foreigner: bool = False, serial: int | None = None
) -> str:
    """13 digits with a correct check digit; `serial` (0..99999) defaults to a fresh one."""
    century = birth.year // 100 * 100
    gender = _GENDER.get((century, sex, foreigner))
    if gender is None:
        raise ValueError(f"no gender digit for {birth} sex={sex} foreigner={foreigner}")
    number = serial if serial is not None else next(_serials)
    head = f"{birth:%y%m%d}{gender}{number % 100_000:05d}"
    return head + str(rrn_check_digit(head))


def valid_brn(n: int) -> str:
    """The n-th distinct valid 사업자등록번호 (10 digits, type digits 81 = 법인)."""
    head = f"{101 + (n // 9999) % 899:03d}81{n % 9999 + 1:04d}"
    return head + str(brn_check_digit(head))


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.django.Password(DEFAULT_PASSWORD)


class WorkplaceFactory(DjangoModelFactory):
    class Meta:
        model = Workplace

    name = factory.Sequence(lambda n: f"테스트상사 {n}호점")
    business_registration_number = factory.Sequence(valid_brn)
    management_number = factory.LazyAttribute(lambda o: o.business_registration_number + "0")
    headcount = 5
    industry_code = "72901"
    representative_name = "홍길동"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workplace = factory.SubFactory(WorkplaceFactory)
    role = Membership.Role.OWNER


class PayrollFirmFactory(DjangoModelFactory):
    class Meta:
        model = PayrollFirm
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"한빛노무법인 {n}")
    business_registration_number = factory.Sequence(lambda n: valid_brn(500_000 + n))

    @factory.post_generation
    def members(self, create: bool, extracted: list[Any] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.members.add(*extracted)


class DelegationFactory(DjangoModelFactory):
    """Live by default: started 30 days ago, open-ended, not revoked."""

    class Meta:
        model = Delegation

    firm = factory.SubFactory(PayrollFirmFactory)
    workplace = factory.SubFactory(WorkplaceFactory)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    ends_on = None
    revoked_at = None
    granted_by = factory.SubFactory(UserFactory)


def _coverage(o: Any) -> dict[str, dict[str, object]]:
    data = CoverageInput(
        birth_date=o.birth,
        hire_date=o.hire_date or timezone.localdate(),
        employment_type=o.employment_type,
        weekly_hours=o.weekly_hours,
        monthly_days=None,
        monthly_wage=o.monthly_wage,
        nationality=o.nationality,
        visa=o.visa,
        is_representative=False,
    )
    return coverage_decide(data=data).as_dict()


def insured_periods_record(employee: Employee) -> None:
    from filings.models import InsuredPeriod

    assert employee.hire_date is not None
    InsuredPeriod.objects.bulk_create(
        InsuredPeriod(
            employee=employee,
            workplace=employee.workplace,
            agency=agency,
            acquired_on=employee.hire_date,
            lost_on=employee.loss_date,
            source=InsuredPeriod.Source.IMPORTED,
        )
        for agency in ("pension", "health", "employment", "industrial_accident")
        if (employee.coverage or {}).get(agency, {}).get("covered", True)
    )


class EmployeeFactory(DjangoModelFactory):
    """Created through portal.services.employee_create, so the number is encrypted and indexed.

    Pass `birth`, `sex`, `foreigner` (or a ready `rrn`); birth_date/sex/is_foreigner come from it.
    """

    class Meta:
        model = Employee
        skip_postgeneration_save = True

    class Params:
        birth = factory.Sequence(lambda n: date(1960 + n % 45, 1 + n % 12, 1 + n % 28))
        sex = "M"
        foreigner = False

    actor = None
    workplace = factory.SubFactory(WorkplaceFactory)
    name = factory.Sequence(lambda n: f"김근로{n}")
    rrn = factory.LazyAttribute(lambda o: valid_rrn(o.birth, sex=o.sex, foreigner=o.foreigner))
    nationality = factory.LazyAttribute(lambda o: "VN" if o.foreigner else "KR")
    visa = factory.LazyAttribute(lambda o: "E-9" if o.foreigner else "")
    hire_date = date(2026, 3, 2)
    monthly_wage = 3_000_000
    employment_type = EmploymentType.REGULAR
    weekly_hours = Decimal("40")
    coverage = factory.LazyAttribute(_coverage)

    @classmethod
    def _create(cls, model_class: type[Employee], *args: Any, **kwargs: Any) -> Employee:
        return services.employee_create(**kwargs)

    @factory.post_generation
    def insured(obj: Employee, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        """By default the agencies hold the person insured from the hire date (to the loss
        date), at each agency their coverage names, as a history import would record it;
        `insured=False` for someone no agency has accepted yet."""
        if create and extracted is not False and obj.hire_date is not None:
            insured_periods_record(obj)

    @classmethod
    def _build(cls, model_class: type[Employee], *args: Any, **kwargs: Any) -> Employee:
        kwargs.pop("actor", None)
        rrn = kwargs.pop("rrn")
        employee = model_class(**kwargs)
        services.employee_set_rrn(employee=employee, rrn=rrn)
        return employee
