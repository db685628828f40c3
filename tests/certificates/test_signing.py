import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from certificates.signing import (
    CODE_ALPHABET,
    canonical_content,
    certificate_serial_format,
    certificate_sign,
    generate_private_key_b64,
    public_key_pem,
    signature_verify,
    verification_code_new,
    verification_code_normalize,
)

FACTS = {
    "kind": "coverage_history",
    "person": {"name": "김민준", "rrn": "900101-1******"},
    "insurances": [{"code": "pension", "rows": [{"acquired_on": "2019-03-01"}]}],
}
PDF_SHA256 = hashlib.sha256(b"%PDF-1.7 example").hexdigest()


@pytest.fixture(autouse=True)
def signing_key(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CERT_SIGNING_KEY = generate_private_key_b64()


def test_signature_round_trip_verifies() -> None:
    signature = certificate_sign(facts=FACTS, pdf_sha256=PDF_SHA256)

    assert signature_verify(facts=FACTS, pdf_sha256=PDF_SHA256, signature=signature)


def test_one_changed_character_of_the_pdf_hash_fails_verification() -> None:
    signature = certificate_sign(facts=FACTS, pdf_sha256=PDF_SHA256)
    tampered = ("0" if PDF_SHA256[0] != "0" else "1") + PDF_SHA256[1:]

    assert not signature_verify(facts=FACTS, pdf_sha256=tampered, signature=signature)


def test_changed_fact_fails_verification() -> None:
    signature = certificate_sign(facts=FACTS, pdf_sha256=PDF_SHA256)
    changed = {**FACTS, "person": {"name": "김민수", "rrn": "900101-1******"}}

    assert not signature_verify(facts=changed, pdf_sha256=PDF_SHA256, signature=signature)


def test_signature_from_another_key_fails() -> None:
    signature = certificate_sign(facts=FACTS, pdf_sha256=PDF_SHA256)
    other = Ed25519PrivateKey.generate().public_key()

    assert not signature_verify(facts=FACTS, pdf_sha256=PDF_SHA256, signature=signature, key=other)


def test_garbage_signature_is_rejected_not_raised() -> None:
    assert not signature_verify(facts=FACTS, pdf_sha256=PDF_SHA256, signature="not base64!")
    assert not signature_verify(facts=FACTS, pdf_sha256=PDF_SHA256, signature="AAAA")


def test_key_order_does_not_change_the_signed_bytes() -> None:
    reordered = dict(reversed(list(FACTS.items())))

    assert canonical_content(reordered) == canonical_content(FACTS)
    assert "김민준".encode() in canonical_content(FACTS)
    assert b", " not in canonical_content(FACTS)


def test_public_key_is_published_as_pem() -> None:
    assert public_key_pem().startswith("-----BEGIN PUBLIC KEY-----")


def test_missing_signing_key_is_a_configuration_error(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CERT_SIGNING_KEY = ""

    with pytest.raises(ImproperlyConfigured):
        certificate_sign(facts=FACTS, pdf_sha256=PDF_SHA256)


def test_verification_codes_are_grouped_unambiguous_and_unique() -> None:
    codes = {verification_code_new() for _ in range(2000)}

    assert len(codes) == 2000
    pattern = re.compile(rf"^([{CODE_ALPHABET}]{{4}}-){{3}}[{CODE_ALPHABET}]{{4}}$")
    assert all(pattern.match(code) for code in codes)
    assert not set("01OI") & set("".join(codes))


def test_typed_verification_code_is_normalised() -> None:
    assert verification_code_normalize(" abcd efgh-jkmn pqrs ") == "ABCD-EFGH-JKMN-PQRS"
    assert verification_code_normalize("ABCD-EFGH-JKMN-PQR0") is None
    assert verification_code_normalize("ABCD") is None


def test_serial_is_year_and_zero_padded_number() -> None:
    assert certificate_serial_format(number=123, year=2026) == "C-2026-000123"
    assert certificate_serial_format(number=1234567, year=2026) == "C-2026-1234567"


def test_a_signature_names_the_key_that_made_it() -> None:
    from certificates.signing import key_id, public_key

    signature = certificate_sign(facts=FACTS, pdf_sha256=PDF_SHA256)
    scheme, kid, _ = signature.split(":")
    assert (scheme, kid) == ("ed25519", key_id(public_key()))


def test_certificates_signed_before_a_key_rotation_still_verify_with_the_retired_key(
    settings,  # type: ignore[no-untyped-def]
) -> None:
    from certificates.signing import public_key, public_key_b64

    old_signature = certificate_sign(facts=FACTS, pdf_sha256=PDF_SHA256)
    retired = public_key_b64(public_key())
    settings.CERT_SIGNING_KEY = generate_private_key_b64()

    assert not signature_verify(facts=FACTS, pdf_sha256=PDF_SHA256, signature=old_signature)
    settings.CERT_VERIFY_KEYS = retired
    assert signature_verify(facts=FACTS, pdf_sha256=PDF_SHA256, signature=old_signature)
    # A retired key verifies; it never signs again.
    new_signature = certificate_sign(facts=FACTS, pdf_sha256=PDF_SHA256)
    assert new_signature.split(":")[1] != old_signature.split(":")[1]
    assert signature_verify(facts=FACTS, pdf_sha256=PDF_SHA256, signature=new_signature)


def test_signatures_from_before_key_ids_still_verify() -> None:
    legacy = certificate_sign(facts=FACTS, pdf_sha256=PDF_SHA256).split(":")[2]
    assert signature_verify(facts=FACTS, pdf_sha256=PDF_SHA256, signature=legacy)
    assert not signature_verify(facts=FACTS, pdf_sha256="0" * 64, signature=legacy)


def test_the_verify_page_publishes_a_retired_key_by_its_id(client, settings) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    from certificates.signing import key_id, public_key, public_key_b64

    old_kid, retired = key_id(public_key()), public_key_b64(public_key())
    settings.CERT_SIGNING_KEY = generate_private_key_b64()
    settings.CERT_VERIFY_KEYS = retired

    active = client.get(reverse("certificates:verify-key"))
    old = client.get(reverse("certificates:verify-key") + f"?kid={old_kid}")
    assert active.status_code == old.status_code == 200
    assert old.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert old.content != active.content
    assert (
        client.get(reverse("certificates:verify-key") + "?kid=0000000000000000").status_code == 404
    )
