import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from certificates.models import Certificate, CertificateKind
from certificates.signing import verification_code_new
from tests.factories import UserFactory, WorkplaceFactory

pytestmark = pytest.mark.django_db


def _certificate(**overrides: object) -> Certificate:
    fields: dict[str, object] = {
        "kind": CertificateKind.WORKPLACE_ROSTER,
        "verification_code": verification_code_new(),
        "workplace": WorkplaceFactory(),
        "purpose": "입찰 제출용",
        "facts": {"members": [{"name": "김민준", "rrn": "900101-1******"}]},
        "pdf": b"%PDF-1.7",
        "pdf_sha256": "0" * 64,
        "signature": "sig",
        "issued_by": UserFactory(),
    }
    fields.update(overrides)
    return Certificate.objects.create(**fields)


def test_facts_with_a_full_resident_number_are_refused() -> None:
    with pytest.raises(ValidationError):
        _certificate(facts={"members": [{"name": "김민준", "rrn": "900101-1234567"}]})
    assert not Certificate.objects.exists()


def test_masked_facts_are_stored_and_certificates_await_their_serial() -> None:
    first = _certificate()
    second = _certificate()

    assert first.serial is None and second.serial is None
    assert Certificate.objects.get(pk=first.pk).facts["members"][0]["rrn"] == "900101-1******"
    assert bytes(Certificate.objects.get(pk=first.pk).pdf) == b"%PDF-1.7"


def test_coverage_history_must_name_an_employee() -> None:
    with pytest.raises(IntegrityError):
        _certificate(kind=CertificateKind.COVERAGE_HISTORY, employee=None)


def test_revocation_needs_a_reason() -> None:
    certificate = _certificate()
    certificate.revoked_at = certificate.issued_at

    with pytest.raises(IntegrityError):
        certificate.save()
