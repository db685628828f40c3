from datetime import date

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from certificates.models import Certificate, CertificateKind
from certificates.services import certificate_issue
from portal.models import Employee
from tests.certificates.helpers import accepted_report
from tests.conftest import sign_in_verified

pytestmark = pytest.mark.django_db


def _logged_in(client: Client, user: AbstractBaseUser, *, fresh: bool = True) -> Client:
    sign_in_verified(client, user, fresh=fresh)
    return client


def test_owner_requests_lists_and_downloads_a_certificate(
    client: Client, owner: AbstractBaseUser, employee: Employee
) -> None:
    accepted_report(employee, "hire", date(2026, 3, 2))
    _logged_in(client, owner)

    response = client.post(
        "/certificates/new/",
        {
            "kind": "coverage_history",
            "workplace": employee.workplace_id,
            "employee": employee.pk,
            "purpose": "other",
            "purpose_other": "어린이집 제출용",
        },
    )

    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.purpose == "어린이집 제출용"
    listing = client.get("/certificates/").content.decode()
    assert certificate.serial in listing and employee.name in listing
    download = client.get(f"/certificates/{certificate.pk}/pdf")
    assert download["Content-Type"] == "application/pdf"
    assert download.content == bytes(certificate.pdf)


def test_full_number_without_recent_otp_is_refused_on_the_form(
    client: Client, owner: AbstractBaseUser, employee: Employee
) -> None:
    _logged_in(client, owner, fresh=False)

    response = client.post(
        "/certificates/new/",
        {
            "kind": "coverage_history",
            "workplace": employee.workplace_id,
            "employee": employee.pk,
            "purpose": "금융기관 제출용",
            "full_rrn": "on",
        },
    )

    assert response.status_code == 200
    assert "OTP" in response.content.decode()
    assert not Certificate.objects.exists()


def test_pages_need_a_login(client: Client) -> None:
    assert client.get("/certificates/").status_code == 302
    assert client.get("/certificates/new/").status_code == 302


def test_operator_revokes_from_the_portal_but_owner_cannot(
    client: Client, owner: AbstractBaseUser, operator: AbstractBaseUser, employee: Employee
) -> None:
    certificate = certificate_issue(
        actor=owner, kind=CertificateKind.COVERAGE_HISTORY, employee=employee, purpose="확인"
    )
    url = f"/certificates/{certificate.pk}/revoke"

    assert _logged_in(client, owner).post(url, {"reason": "필요 없음"}).status_code == 404
    assert _logged_in(client, operator).post(url, {"reason": "본인 요청"}).status_code == 302

    certificate.refresh_from_db()
    assert certificate.revoked_reason == "본인 요청"


def test_operator_revokes_in_the_admin_with_a_reason(
    client: Client, owner: AbstractBaseUser, operator: AbstractBaseUser, employee: Employee
) -> None:
    certificate = certificate_issue(
        actor=owner, kind=CertificateKind.COVERAGE_HISTORY, employee=employee, purpose="확인"
    )
    _logged_in(client, operator)
    device = TOTPDevice.objects.create(user=operator, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # what the two-step sign-in leaves
    session.save()
    url = "/admin/certificates/certificate/"
    selection = {"action": "revoke_selected", "_selected_action": [certificate.pk]}

    asked = client.post(url, selection)
    done = client.post(url, {**selection, "apply": "1", "reason": "발급 오류"})

    assert "폐기 사유" in asked.content.decode()
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.revoked_reason == "발급 오류"
