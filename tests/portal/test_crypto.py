import hashlib
from datetime import date

import pytest
from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from portal import crypto
from portal.models import Employee, Workplace
from portal.services import employee_find_by_rrn, employee_rrn_decrypt
from tests.factories import EmployeeFactory, valid_rrn

NUMBER = "9001011234568"


def test_encrypted_number_decrypts_back_to_the_same_digits() -> None:
    blob = crypto.encrypt(NUMBER, purpose="rrn")
    assert crypto.decrypt(blob, purpose="rrn") == NUMBER
    assert NUMBER.encode() not in blob


def test_same_number_encrypts_to_a_different_ciphertext_each_time() -> None:
    assert crypto.encrypt(NUMBER, purpose="rrn") != crypto.encrypt(NUMBER, purpose="rrn")


def test_ciphertext_cannot_be_decrypted_for_another_purpose() -> None:
    blob = crypto.encrypt(NUMBER, purpose="rrn")
    with pytest.raises(InvalidTag):
        crypto.decrypt(blob, purpose="bank_account")


def test_tampered_ciphertext_is_rejected() -> None:
    blob = bytearray(crypto.encrypt(NUMBER, purpose="rrn"))
    blob[-1] ^= 0x01
    with pytest.raises(InvalidTag):
        crypto.decrypt(bytes(blob), purpose="rrn")


def test_ciphertext_names_the_active_key() -> None:
    blob = crypto.encrypt(NUMBER, purpose="rrn")
    assert crypto.key_id_of(blob) == crypto.key_ring().active_id
    assert not crypto.needs_rotation(blob)


def test_blind_index_is_stable_keyed_and_distinguishes_numbers() -> None:
    index = crypto.blind_index(NUMBER, purpose="rrn")
    assert index == crypto.blind_index(NUMBER, purpose="rrn")
    assert index != crypto.blind_index("9001011234576", purpose="rrn")
    # An unkeyed hash of a 13-digit number can be brute-forced; the index must not be one.
    assert index != hashlib.sha256(NUMBER.encode()).hexdigest()
    with override_settings(BLIND_INDEX_KEY=crypto.new_key_b64()):
        assert crypto.blind_index(NUMBER, purpose="rrn") != index


def test_key_ring_refuses_a_key_of_the_wrong_length() -> None:
    with pytest.raises(ImproperlyConfigured):
        crypto.KeyRing.parse("k1:c2hvcnQ=")


@pytest.mark.django_db
def test_rotate_keys_re_encrypts_every_number_under_the_new_key(
    workplace: Workplace, capsys: pytest.CaptureFixture[str]
) -> None:
    births = [date(1961, 1, 2), date(1975, 5, 6), date(1999, 12, 31)]
    numbers = [valid_rrn(b, serial=900 + i) for i, b in enumerate(births)]
    for number in numbers:
        EmployeeFactory(workplace=workplace, rrn=number)
    old_spec = settings.FIELD_ENCRYPTION_KEYS
    new_spec = f"k-new:{crypto.new_key_b64()}"

    # Before rotation the rows cannot be read without the old key.
    with override_settings(FIELD_ENCRYPTION_KEYS=new_spec), pytest.raises(ImproperlyConfigured):
        employee_rrn_decrypt(employee=Employee.objects.first())

    with override_settings(FIELD_ENCRYPTION_KEYS=f"{new_spec},{old_spec}"):
        call_command("rotate_keys")
        assert "3건" in capsys.readouterr().out
        call_command("rotate_keys")
        assert "0건" in capsys.readouterr().out

    with override_settings(FIELD_ENCRYPTION_KEYS=new_spec):
        rows = list(Employee.objects.order_by("id"))
        assert {crypto.key_id_of(e.rrn_encrypted) for e in rows} == {"k-new"}
        assert [employee_rrn_decrypt(employee=e) for e in rows] == numbers
        # The blind index does not depend on the encryption key, so lookups keep working.
        assert employee_find_by_rrn(workplace=workplace, rrn=numbers[1]) == rows[1]
