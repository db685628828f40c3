from datetime import date

import pytest
from django.test import Client

from portal.models import Workplace
from tests.factories import EmployeeFactory, valid_rrn

pytestmark = pytest.mark.django_db
URL = "/admin/portal/employee/"


def found(admin_client: Client, term: str) -> list[str]:
    response = admin_client.get(URL, {"q": term})
    assert response.status_code == 200
    return [e.name for e in response.context["cl"].result_list]


def test_admin_finds_an_employee_by_the_exact_full_number(
    admin_client: Client, workplace: Workplace
) -> None:
    number = valid_rrn(date(1987, 8, 15), serial=8150)
    EmployeeFactory(workplace=workplace, rrn=number, name="광복동")
    EmployeeFactory(workplace=workplace, name="다른사람")

    assert found(admin_client, number) == ["광복동"]
    assert found(admin_client, f"{number[:6]}-{number[6:]}") == ["광복동"]


def test_admin_number_search_is_exact_not_partial(
    admin_client: Client, workplace: Workplace
) -> None:
    number = valid_rrn(date(1987, 8, 15), serial=8150)
    EmployeeFactory(workplace=workplace, rrn=number, name="광복동")

    assert found(admin_client, valid_rrn(date(1987, 8, 15), serial=8151)) == []
    assert found(admin_client, number[:6]) == []


def test_admin_still_searches_by_name(admin_client: Client, workplace: Workplace) -> None:
    EmployeeFactory(workplace=workplace, name="광복동")
    EmployeeFactory(workplace=workplace, name="다른사람")
    assert found(admin_client, "광복") == ["광복동"]


def test_admin_employee_page_shows_only_the_masked_number(
    admin_client: Client, workplace: Workplace
) -> None:
    number = valid_rrn(date(1987, 8, 15), serial=8150)
    employee = EmployeeFactory(workplace=workplace, rrn=number, name="광복동")
    page = admin_client.get(f"{URL}{employee.pk}/change/").content.decode()
    assert "870815-1******" in page
    assert number not in page and number[6:] not in page
