"""A signed-in person registers a workplace in the portal and can file for it at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from filings.models import Report
from portal.models import AuditEvent, Membership, Workplace
from tests.factories import UserFactory, WorkplaceFactory

pytestmark = pytest.mark.django_db

# 사업자등록번호 with a valid check digit (portal.identifiers.brn_validate).
VALID_BRN = "220-81-62517"
FORM = {
    "name": "새봄 베이커리",
    "business_registration_number": VALID_BRN,
    "management_number": "",
    "representative_name": "김새봄",
    "headcount": "3",
    "employment_band": "under_150",
    "industry_code": "",
    "address": "서울특별시 마포구 양화로 1",
    "postcode": "04001",
    "phone": "02-123-4567",
}


def test_a_person_without_a_workplace_is_offered_to_register_one(
    verified_client: Callable[..., Client],
) -> None:
    page = verified_client(UserFactory()).get("/dashboard/")
    assert "/manage/workplaces/new/" in page.content.decode()


def test_registering_makes_the_person_owner_and_leads_to_the_registration_filing(
    verified_client: Callable[..., Client],
) -> None:
    user = UserFactory()
    client = verified_client(user)
    response = client.post("/manage/workplaces/new/", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/file/workplace-registration/"

    workplace = Workplace.objects.get(business_registration_number="2208162517")
    assert workplace.name == "새봄 베이커리"
    assert workplace.management_number == "22081625170"
    assert workplace.management_number_provisional
    assert Membership.objects.get(user=user, workplace=workplace).role == Membership.Role.OWNER
    event = AuditEvent.objects.get(action="workplace.register", workplace=workplace)
    assert event.actor_id == user.pk

    dashboard = client.get("/dashboard/").content.decode()
    assert "새봄 베이커리" in dashboard
    assert "기준 확인 필요" in dashboard  # the provisional number says so


def test_the_new_workplace_can_file_its_registration_report_at_once(
    verified_client: Callable[..., Client],
) -> None:
    client = verified_client(UserFactory())
    client.post("/manage/workplaces/new/", FORM)
    workplace = Workplace.objects.get(business_registration_number="2208162517")
    response = client.post("/file/workplace-registration/", {"effective_date": "2026-11-02"})
    assert response.status_code == 302
    report = Report.objects.get(workplace=workplace)
    assert report.kind == "workplace_registration"
    assert set(report.submissions.values_list("agency", flat=True)) == {
        "pension",
        "health",
        "employment",
        "industrial_accident",
    }


def test_an_assigned_management_number_is_kept_and_not_marked_provisional(
    verified_client: Callable[..., Client],
) -> None:
    client = verified_client(UserFactory())
    client.post("/manage/workplaces/new/", {**FORM, "management_number": "220-81-62517-2"})
    workplace = Workplace.objects.get(business_registration_number="2208162517")
    assert workplace.management_number == "22081625172"
    assert not workplace.management_number_provisional


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("business_registration_number", "220-81-62518", "검증 숫자"),
        ("business_registration_number", "1234", "10자리"),
        ("name", "  ", "사업장 명칭"),
        ("management_number", "12345", "11자리"),
        ("postcode", "0400", "5자리"),
        ("headcount", "0", "1명 이상"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_created(
    verified_client: Callable[..., Client], field: str, value: str, message: str
) -> None:
    user = UserFactory()
    response = verified_client(user).post("/manage/workplaces/new/", {**FORM, field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in e for e in errors[field])
    assert not Workplace.objects.exists()
    assert not Membership.objects.filter(user=user).exists()


def test_a_workplace_already_in_the_portal_cannot_be_claimed_again(
    verified_client: Callable[..., Client], owner: AbstractBaseUser, workplace: Workplace
) -> None:
    taken = WorkplaceFactory(
        business_registration_number="2208162517", management_number="22081625170"
    )
    stranger = UserFactory()
    response = verified_client(stranger).post("/manage/workplaces/new/", FORM)
    assert response.status_code == 200
    assert "구성원 추가" in " ".join(response.context["form"].errors["management_number"])
    assert not Membership.objects.filter(user=stranger).exists()
    taken.refresh_from_db()
    assert taken.memberships.count() == 0
    assert Workplace.objects.count() == 2  # the fixture's and the taken one; nothing new


def test_registering_needs_a_verified_sign_in(client: Client) -> None:
    response = client.get("/manage/workplaces/new/")
    assert response.status_code == 302
    assert "/?next=" in response["Location"] or "login" in response["Location"]


def test_the_form_speaks_english_when_asked(verified_client: Callable[..., Client]) -> None:
    page = verified_client(UserFactory()).get("/manage/workplaces/new/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Register a new workplace" in text
    assert "Workplace management number (if already assigned)" in text


def test_payroll_software_sees_the_new_workplace_and_that_its_number_is_provisional(
    verified_client: Callable[..., Client], api_client_for: Callable[..., Any]
) -> None:
    user = UserFactory()
    verified_client(user).post("/manage/workplaces/new/", FORM)
    listed = api_client_for(user).get("/api/v1/workplaces/").json()
    assert [(w["management_number"], w["management_number_provisional"]) for w in listed] == [
        ("22081625170", True)
    ]
