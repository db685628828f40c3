from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from portal.access import Role, role_for, workplaces_for
from portal.identifiers import brn_validate, person_number_parse
from portal.models import (
    AuditEvent,
    Delegation,
    Employee,
    Membership,
    PayrollFirm,
    Workplace,
)
from portal.services import employee_rrn_decrypt
from tests.factories import MembershipFactory, UserFactory, WorkplaceFactory

pytestmark = pytest.mark.django_db
DEMO_PASSWORD = "demo-pass-2026!"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def workplace_ids_seen_with(token: str) -> list[int]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/workplaces/")
    assert response.status_code == 200
    return [row["id"] for row in response.json()]


def test_issued_api_token_authenticates_as_the_user() -> None:
    membership = MembershipFactory()
    token = run("issue_api_token", membership.user.username, "--name", "급여프로그램").strip()
    assert workplace_ids_seen_with(token) == [membership.workplace_id]


def test_issued_api_token_can_be_scoped_to_some_workplaces() -> None:
    user = UserFactory()
    first, second = WorkplaceFactory(), WorkplaceFactory()
    for wp in (first, second):
        MembershipFactory(user=user, workplace=wp)
    token = run("issue_api_token", user.username, "--workplace", str(second.pk)).strip()
    assert workplace_ids_seen_with(token) == [second.pk]


def test_token_is_not_issued_for_a_workplace_the_user_cannot_see() -> None:
    user = MembershipFactory().user
    stranger = WorkplaceFactory()
    with pytest.raises(CommandError, match="접근할 수 없는 사업장"):
        run("issue_api_token", user.username, "--workplace", str(stranger.pk))


def test_token_is_not_issued_for_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="nobody-here"):
        run("issue_api_token", "nobody-here")


def demo_state() -> dict[str, object]:
    return {
        "users": sorted(get_user_model().objects.values_list("username", "password")),
        "workplaces": Workplace.objects.count(),
        "memberships": Membership.objects.count(),
        "firms": PayrollFirm.objects.count(),
        "delegations": Delegation.objects.count(),
        "employees": sorted(Employee.objects.values_list("id", "rrn_index", "updated_at")),
        "audit": AuditEvent.objects.count(),
    }


def test_load_demo_twice_changes_nothing_the_second_time() -> None:
    first_output = run("load_demo")
    before = demo_state()
    assert run("load_demo") == first_output
    assert demo_state() == before


def test_demo_logins_have_the_promised_roles() -> None:
    output = run("load_demo")
    assert DEMO_PASSWORD in output
    users = {u.username: u for u in get_user_model().objects.all()}
    for name in ("employer", "hr", "agent", "operator"):
        assert name in output
        assert users[name].check_password(DEMO_PASSWORD)

    owned = Workplace.objects.filter(memberships__user=users["employer"])
    assert owned.count() == 2
    assert {role_for(users["employer"], w) for w in owned} == {Role.OWNER}
    assert [role_for(users["hr"], w) for w in workplaces_for(users["hr"])] == [Role.HR]
    agent_sees = list(workplaces_for(users["agent"]))
    assert len(agent_sees) == 3
    assert {role_for(users["agent"], w) for w in agent_sees} == {Role.AGENT}
    assert users["operator"].is_staff and users["operator"].is_superuser


def test_demo_workplaces_and_employees_carry_valid_numbers_and_coverage() -> None:
    run("load_demo")
    for workplace in Workplace.objects.all():
        assert brn_validate(workplace.business_registration_number)
        assert workplace.management_number == workplace.business_registration_number + "0"
        employees = list(workplace.employees.all())
        assert len(employees) >= 4
        for employee in employees:
            number = person_number_parse(employee_rrn_decrypt(employee=employee))
            assert number.masked == employee.rrn_masked
            assert employee.employment_type == "regular" and employee.weekly_hours == 40
            assert employee.hire_date and employee.monthly_wage > 0
            assert set(employee.coverage) == {
                "pension",
                "health",
                "employment",
                "industrial_accident",
            }


def test_demo_employer_passes_the_password_step_and_is_sent_to_enrol_a_second_factor(
    client: Client,
) -> None:
    run("load_demo")
    response = client.post("/", {"username": "employer", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/enrol/")
    # Not signed in yet: only the second factor completes the login.
    assert not client.session.get("_auth_user_id")
