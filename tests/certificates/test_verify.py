import hashlib
from datetime import date

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from certificates.models import Certificate, CertificateKind
from certificates.services import certificate_issue, certificate_revoke, certificate_verify_pdf
from certificates.signing import signature_verify
from portal.models import Employee
from portal.services import employee_rrn_decrypt
from tests.certificates.helpers import accepted_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(owner: AbstractBaseUser, employee: Employee) -> Certificate:
    accepted_report(employee, "hire", date(2026, 3, 2))
    return certificate_issue(
        actor=owner,
        kind=CertificateKind.COVERAGE_HISTORY,
        employee=employee,
        purpose="비자·체류 연장용",
    )


def _upload(client: Client, code: str, pdf: bytes) -> str:
    response = client.post(
        f"/verify/{code}", {"pdf": SimpleUploadedFile("c.pdf", pdf, "application/pdf")}
    )
    assert response.status_code == 200
    return response.content.decode()


def test_signature_verifies_with_the_key_published_at_verify_key(
    client: Client, certificate: Certificate
) -> None:
    response = client.get("/verify/key")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    key = load_pem_public_key(response.content)
    digest = hashlib.sha256(bytes(certificate.pdf)).hexdigest()
    assert signature_verify(
        facts=certificate.facts,
        pdf_sha256=digest,
        signature=certificate.signature,
        key=key,  # type: ignore[arg-type]
    )


def test_verify_page_needs_no_login_and_shows_the_masked_facts(
    client: Client, certificate: Certificate, employee: Employee
) -> None:
    page = client.get(f"/verify/{certificate.verification_code}").content.decode()

    assert 'data-status="valid"' in page
    assert employee.name in page and employee.rrn_masked in page
    assert employee.workplace.management_number in page
    assert employee_rrn_decrypt(employee=employee)[6:] not in page


def test_code_typed_in_lowercase_without_hyphens_is_found(
    client: Client, certificate: Certificate
) -> None:
    typed = certificate.verification_code.replace("-", "").lower()

    assert 'data-status="valid"' in client.get(f"/verify/{typed}").content.decode()


def test_unknown_code_says_so(client: Client) -> None:
    page = client.get("/verify/ABCD-EFGH-JKMN-PQRS").content.decode()

    assert 'data-status="unknown"' in page
    assert "발급된 증명서가 없습니다" in page


def test_revoked_certificate_shows_as_revoked_with_its_reason(
    client: Client, certificate: Certificate, operator: AbstractBaseUser
) -> None:
    certificate_revoke(actor=operator, certificate=certificate, reason="잘못된 용도로 발급")

    page = client.get(f"/verify/{certificate.verification_code}").content.decode()

    assert 'data-status="revoked"' in page
    assert "잘못된 용도로 발급" in page
    assert 'data-verdict="revoked"' in _upload(
        client, certificate.verification_code, bytes(certificate.pdf)
    )


def test_uploading_the_issued_pdf_confirms_it(client: Client, certificate: Certificate) -> None:
    page = _upload(client, certificate.verification_code, bytes(certificate.pdf))

    assert 'data-verdict="valid"' in page
    assert "원본과 정확히 같은 파일" in page


def test_pdf_with_one_changed_byte_is_refused(client: Client, certificate: Certificate) -> None:
    pdf = bytearray(certificate.pdf)
    middle = len(pdf) // 2
    pdf[middle] ^= 0x01

    page = _upload(client, certificate.verification_code, bytes(pdf))

    assert 'data-verdict="mismatch"' in page
    assert 'data-verdict="valid"' not in page


def test_pdf_of_another_certificate_does_not_match_this_code(
    certificate: Certificate, owner: AbstractBaseUser, employee: Employee
) -> None:
    other = certificate_issue(
        actor=owner, kind=CertificateKind.COVERAGE_HISTORY, employee=employee, purpose="기타"
    )

    status, _ = certificate_verify_pdf(code=certificate.verification_code, pdf_bytes=other.pdf)

    assert status == "mismatch"


def test_facts_edited_in_the_database_no_longer_verify(
    client: Client, certificate: Certificate
) -> None:
    facts = {**certificate.facts, "purpose": "위조"}
    Certificate.objects.filter(pk=certificate.pk).update(facts=facts)

    status, _ = certificate_verify_pdf(
        code=certificate.verification_code, pdf_bytes=bytes(certificate.pdf)
    )

    assert status == "mismatch"
    assert (
        'data-status="mismatch"'
        in client.get(f"/verify/{certificate.verification_code}").content.decode()
    )
