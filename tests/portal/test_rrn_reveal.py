import pytest
from django.contrib.auth.models import AbstractBaseUser

from portal.models import AccessRecord, Employee, Membership
from portal.services import PermissionDeniedError, employee_rrn_decrypt, employee_rrn_reveal
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["owner", "hr", "agent"])
def test_revealing_a_full_number_returns_it_and_leaves_an_access_record(
    who: str, employee: Employee, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    digits = employee_rrn_decrypt(employee=employee)

    shown = employee_rrn_reveal(user=user, employee=employee, ip="203.0.113.7", reason="취득신고")

    assert shown == f"{digits[:6]}-{digits[6:]}"
    record = AccessRecord.objects.get()
    assert (record.user, record.employee, record.ip, record.action, record.reason) == (
        user,
        employee,
        "203.0.113.7",
        AccessRecord.Action.VIEW,
        "취득신고",
    )


def test_hr_of_another_workplace_cannot_reveal_and_leaves_no_record(employee: Employee) -> None:
    outsider = MembershipFactory(role=Membership.Role.HR).user
    with pytest.raises(PermissionDeniedError):
        employee_rrn_reveal(user=outsider, employee=employee, ip=None)
    assert not AccessRecord.objects.exists()


def test_operator_cannot_reveal_a_full_number(
    employee: Employee, operator: AbstractBaseUser
) -> None:
    with pytest.raises(PermissionDeniedError):
        employee_rrn_reveal(user=operator, employee=employee, ip=None)
    assert not AccessRecord.objects.exists()


def test_each_reveal_is_recorded_separately(employee: Employee, owner: AbstractBaseUser) -> None:
    employee_rrn_reveal(user=owner, employee=employee, ip=None)
    employee_rrn_reveal(user=owner, employee=employee, ip=None, action=AccessRecord.Action.PRINT)
    assert sorted(AccessRecord.objects.values_list("action", flat=True)) == ["print", "view"]
