import time
from collections.abc import Callable
from datetime import date

import pytest
from django.contrib.auth.models import AbstractBaseUser
from rest_framework.test import APIClient

from certificates import tasks
from certificates.models import Certificate
from portal.models import AccessRecord, Employee, Workplace
from tests.certificates.helpers import accepted_report
from tests.conftest import sign_in_verified
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/certificates/"


def _coverage_body(employee: Employee, **extra: object) -> dict[str, object]:
    return {
        "kind": "coverage_history",
        "employee_id": employee.pk,
        "purpose": "금융기관 제출용",
        **extra,
    }


def test_issue_answers_201_and_the_pdf_downloads(api_client: APIClient, employee: Employee) -> None:
    accepted_report(employee, "hire", date(2026, 3, 2))

    response = api_client.post(URL, _coverage_body(employee), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    certificate = Certificate.objects.get()
    assert body["id"] == certificate.pk
    assert body["kind"] == "coverage_history"
    assert body["serial"] == certificate.serial
    assert body["verification_code"] == certificate.verification_code
    assert body["verify_url"].endswith(f"/verify/{certificate.verification_code}")
    pdf = api_client.get(body["pdf_url"], HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content == bytes(certificate.pdf)


def test_employee_of_another_workplace_is_not_found(
    api_client: APIClient, other_workplace: Workplace
) -> None:
    stranger = EmployeeFactory(workplace=other_workplace)

    response = api_client.post(URL, _coverage_body(stranger), format="json")

    assert response.status_code == 404
    assert not Certificate.objects.exists()


def test_certificate_of_another_workplace_cannot_be_downloaded(
    api_client_for: Callable[..., APIClient], employee: Employee, other_workplace: Workplace
) -> None:
    from tests.factories import MembershipFactory

    certificate_owner = MembershipFactory(workplace=employee.workplace).user
    issued = api_client_for(certificate_owner).post(URL, _coverage_body(employee), format="json")
    outsider = MembershipFactory(workplace=other_workplace).user

    response = api_client_for(outsider).get(issued.json()["pdf_url"])

    assert response.status_code == 404


def test_key_scoped_to_another_workplace_gets_404(
    api_client_for: Callable[..., APIClient],
    owner: AbstractBaseUser,
    employee: Employee,
    other_workplace: Workplace,
) -> None:
    from portal.models import Membership
    from tests.factories import MembershipFactory

    MembershipFactory(user=owner, workplace=other_workplace, role=Membership.Role.OWNER)
    client = api_client_for(owner, workplaces=[other_workplace])

    assert client.post(URL, _coverage_body(employee), format="json").status_code == 404


def test_full_number_with_an_api_key_is_refused_with_the_rule(
    api_client: APIClient, employee: Employee
) -> None:
    response = api_client.post(URL, _coverage_body(employee, full_rrn=True), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"]["full_rrn"][0]["rule"] == "certificate.full_rrn_reverify"
    assert "10분" in error["fields"]["full_rrn"][0]["message"]
    assert not Certificate.objects.exists()


def test_full_number_through_a_session_needs_a_recent_otp(
    owner: AbstractBaseUser, employee: Employee
) -> None:
    client = APIClient()
    sign_in_verified(client, owner)
    session = client.session
    session["otp_verified_at"] = int(time.time()) - 11 * 60
    session.save()
    stale = client.post(URL, _coverage_body(employee, full_rrn=True), format="json")
    session["otp_verified_at"] = int(time.time())
    session.save()

    fresh = client.post(URL, _coverage_body(employee, full_rrn=True), format="json")

    assert stale.status_code == 400
    assert fresh.status_code == 201, fresh.content
    assert AccessRecord.objects.filter(action=AccessRecord.Action.PRINT).count() == 1
    client.get(fresh.json()["pdf_url"])
    assert AccessRecord.objects.filter(action=AccessRecord.Action.DOWNLOAD).count() == 1


def test_missing_target_and_unknown_kind_are_field_errors(api_client: APIClient) -> None:
    no_employee = api_client.post(
        URL, {"kind": "coverage_history", "purpose": "확인"}, format="json"
    )
    bad_kind = api_client.post(URL, {"kind": "payslip", "purpose": "확인"}, format="json")

    assert no_employee.status_code == 400
    assert "employee_id" in no_employee.json()["error"]["fields"]
    assert bad_kind.status_code == 400
    assert "kind" in bad_kind.json()["error"]["fields"]


def test_roster_pdf_answers_202_until_the_worker_has_rendered_it(
    api_client: APIClient, workplace: Workplace, employee: Employee
) -> None:
    accepted_report(employee, "hire", date(2026, 3, 2))

    issued = api_client.post(
        URL,
        {"kind": "workplace_roster", "workplace_id": workplace.pk, "purpose": "입찰 제출용"},
        format="json",
    )

    assert issued.status_code == 201, issued.content
    pending = api_client.get(issued.json()["pdf_url"])
    assert pending.status_code == 202
    assert pending.json() == {"status": "rendering"}
    assert pending["Retry-After"]
    tasks.certificate_render(issued.json()["id"])
    ready = api_client.get(issued.json()["pdf_url"])
    assert ready.status_code == 200
    assert ready.content.startswith(b"%PDF-")


def test_unauthenticated_request_is_refused() -> None:
    assert APIClient().post(URL, {}, format="json").status_code in (401, 403)
