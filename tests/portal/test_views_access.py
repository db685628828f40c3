"""Every portal page reaches data only through portal.access: other workplaces are 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from filings.models import Report, Submission
from portal.models import AccessRecord, Employee, PayrollFirm, Workplace
from tests.factories import DelegationFactory, EmployeeFactory, UserFactory, WorkplaceFactory

pytestmark = pytest.mark.django_db


def report_at(workplace: Workplace, **kw: object) -> Report:
    return Report.objects.create(
        workplace=workplace, kind="pay_change", event_date=date(2026, 3, 1), data={}, **kw
    )


def test_agent_cannot_open_a_third_workplaces_report_by_url(
    verified_client: Callable[..., Client], agent: AbstractBaseUser, workplace: Workplace
) -> None:
    third = WorkplaceFactory()
    mine, theirs = report_at(workplace), report_at(third)
    client = verified_client(agent)
    assert client.get(f"/reports/{mine.pk}/").status_code == 200
    assert client.get(f"/reports/{theirs.pk}/").status_code == 404
    assert client.get(f"/reports/{theirs.pk}/timeline/").status_code == 404
    assert client.post(f"/reports/{theirs.pk}/cancel/").status_code == 404
    assert client.get(f"/reports/{theirs.pk}/correct/").status_code == 404


def test_switching_to_a_workplace_without_a_grant_is_404(
    verified_client: Callable[..., Client], agent: AbstractBaseUser
) -> None:
    third = WorkplaceFactory()
    response = verified_client(agent).post("/workplace/switch/", {"workplace": third.pk})
    assert response.status_code == 404


def test_revoked_delegation_hides_the_workplace_from_the_agent(
    verified_client: Callable[..., Client],
    agent: AbstractBaseUser,
    owner: AbstractBaseUser,
    workplace: Workplace,
    firm: PayrollFirm,
) -> None:
    report = report_at(workplace)
    owner_client = verified_client(owner)
    delegation = firm.delegations.get(workplace=workplace)
    assert owner_client.post(f"/manage/delegations/{delegation.pk}/revoke/").status_code == 302
    assert verified_client(agent).get(f"/reports/{report.pk}/").status_code == 404


def test_only_the_owner_manages_delegations_and_members(
    verified_client: Callable[..., Client], hr: AbstractBaseUser, owner: AbstractBaseUser
) -> None:
    assert verified_client(hr).get("/manage/delegations/").status_code == 404
    assert verified_client(hr).get("/manage/members/").status_code == 404
    assert verified_client(owner).get("/manage/delegations/").status_code == 200
    assert verified_client(owner).get("/manage/members/").status_code == 200


def test_owner_grants_a_delegation_by_the_firms_registration_number(
    verified_client: Callable[..., Client], owner: AbstractBaseUser, workplace: Workplace
) -> None:
    from tests.factories import PayrollFirmFactory

    firm = PayrollFirmFactory()
    staff = UserFactory()
    firm.members.add(staff)
    response = verified_client(owner).post(
        "/manage/delegations/",
        {"firm_brn": firm.business_registration_number, "starts_on": "2026-01-01"},
    )
    assert response.status_code == 302
    page = verified_client(staff).get("/dashboard/")
    assert workplace.name in page.content.decode()


def test_employees_page_masks_numbers_and_reveal_is_logged(
    verified_client: Callable[..., Client], owner: AbstractBaseUser, employee: Employee
) -> None:
    client = verified_client(owner)
    page = client.get("/employees/").content.decode()
    assert employee.rrn_masked in page
    assert "전체 번호 보기" in page
    full = client.post(f"/employees/{employee.pk}/rrn/", HTTP_HX_REQUEST="true")
    assert full.status_code == 200
    assert employee.rrn_masked[:8] in full.content.decode()
    assert "*" not in full.content.decode().split('data-testid="rrn-full">')[1][:14]
    assert AccessRecord.objects.filter(user=owner, employee=employee).count() == 1


def test_revealing_a_number_with_a_stale_code_asks_for_a_new_one_and_logs_nothing(
    verified_client: Callable[..., Client], owner: AbstractBaseUser, employee: Employee
) -> None:
    client = verified_client(owner, fresh=False)
    response = client.post(f"/employees/{employee.pk}/rrn/", HTTP_HX_REQUEST="true")
    assert 'name="token"' in response.content.decode()
    assert "rrn-full" not in response.content.decode()
    assert not AccessRecord.objects.exists()


def test_nobody_reveals_a_number_of_another_workplace(
    verified_client: Callable[..., Client], owner: AbstractBaseUser
) -> None:
    stranger = EmployeeFactory(workplace=WorkplaceFactory())
    response = verified_client(owner).post(f"/employees/{stranger.pk}/rrn/")
    assert response.status_code == 404
    assert not AccessRecord.objects.exists()


def test_a_password_only_session_reaches_no_portal_page(
    client: Client, owner: AbstractBaseUser
) -> None:
    client.force_login(owner)
    for url in ("/dashboard/", "/reports/", "/file/hire/", "/employees/", "/board/"):
        assert client.get(url).status_code == 302, url


def test_agent_board_lists_every_delegated_workplace_with_what_needs_attention(
    verified_client: Callable[..., Client],
    agent: AbstractBaseUser,
    firm: PayrollFirm,
    owner: AbstractBaseUser,
    workplace: Workplace,
) -> None:
    second = WorkplaceFactory(name="둘째상사")
    DelegationFactory(firm=firm, workplace=second, granted_by=owner)
    rejected = report_at(second, status="rejected")
    Submission.objects.create(report=rejected, agency="pension", status="rejected")
    page = verified_client(agent).get("/board/").content.decode()
    assert workplace.name in page and "둘째상사" in page
    assert page.index("둘째상사") < page.index(workplace.name)


def test_the_board_counts_a_refused_cancellation_of_a_corrected_report_but_not_its_old_filing(
    verified_client: Callable[..., Client],
    agent: AbstractBaseUser,
    workplace: Workplace,
) -> None:
    from portal.web.selectors import agent_board

    old = report_at(workplace, status="superseded")
    # The old filing's refusal was answered by the correction; the refused cancellation was
    # not: the agency still holds what was to be cancelled.
    Submission.objects.create(report=old, agency="pension", status="rejected")
    Submission.objects.create(report=old, agency="health", status="rejected", action="cancel")
    Submission.objects.create(report=old, agency="employment", status="failed", action="cancel")
    client = verified_client(agent)
    request = client.get("/board/").wsgi_request
    (row,) = [r for r in agent_board(request) if r.workplace_id == workplace.pk]
    assert (row.rejected, row.failed) == (1, 1)
    assert row.needs_attention


def test_the_owner_adds_hr_staff_and_an_unknown_id_is_refused_next_to_the_field(
    verified_client, owner, workplace
):
    from portal.access import Role, role_for
    from portal.models import AuditEvent
    from tests.factories import UserFactory

    client = verified_client(owner)
    newcomer = UserFactory(username="new-hr")
    response = client.post("/manage/members/", {"username": "nobody-here"})
    assert response.status_code == 200
    assert "이 아이디의 사용자가 없습니다." in response.content.decode()
    assert client.post("/manage/members/", {"username": "new-hr"}).status_code == 302
    assert role_for(newcomer, workplace) == Role.HR
    assert AuditEvent.objects.filter(action="membership.add", actor=owner).exists()
