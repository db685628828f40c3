"""Sign-in lockout: per account and address, with a ceiling for the account from everywhere."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from pytest_django.fixtures import Settings

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.5"
OWNER_OFFICE = "198.51.100.7"


@pytest.fixture
def user() -> AbstractBaseUser:
    return UserFactory()


def sign_in(user: AbstractBaseUser, password: str, address: str, **meta: str) -> int:
    """One password step from `address` as a fresh browser; the answer's status code."""
    response = Client().post(
        "/",
        {"username": user.get_username(), "password": password},
        REMOTE_ADDR=address,
        **meta,
    )
    return response.status_code


def test_five_wrong_passwords_from_one_address_lock_the_account_at_that_address_only(
    user: AbstractBaseUser,
) -> None:
    statuses = [sign_in(user, "wrong-password", ATTACKER) for _ in range(5)]

    assert statuses == [200, 200, 200, 200, 429]
    assert sign_in(user, DEFAULT_PASSWORD, ATTACKER) == 429
    # The owner, elsewhere, still signs in: an attacker cannot lock them out with five tries.
    assert sign_in(user, DEFAULT_PASSWORD, OWNER_OFFICE) == 302


def test_the_account_is_locked_everywhere_after_the_ceiling_of_failures_from_many_addresses(
    settings: Settings, user: AbstractBaseUser
) -> None:
    assert settings.AXES_ACCOUNT_FAILURE_LIMIT == 50
    # 4 tries from each of 12 addresses stay under the per-address limit of 5 ...
    for n in range(12):
        for _ in range(4):
            assert sign_in(user, "wrong-password", f"192.0.2.{n + 1}") == 200
    assert sign_in(user, "wrong-password", "192.0.2.100") == 200
    # ... and the 50th failure overall locks the account from every address.
    assert sign_in(user, "wrong-password", "192.0.2.101") == 429
    assert sign_in(user, DEFAULT_PASSWORD, OWNER_OFFICE) == 429


def test_the_ceiling_follows_its_setting(settings: Settings, user: AbstractBaseUser) -> None:
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 3
    assert sign_in(user, "wrong-password", "192.0.2.1") == 200
    assert sign_in(user, "wrong-password", "192.0.2.2") == 200
    assert sign_in(user, "wrong-password", "192.0.2.3") == 429
    assert sign_in(user, DEFAULT_PASSWORD, OWNER_OFFICE) == 429


def test_a_forged_forwarded_for_header_neither_unlocks_nor_moves_the_lock(
    user: AbstractBaseUser,
) -> None:
    # No proxy is trusted by default: X-Forwarded-For is the client's word and is ignored.
    for n in range(5):
        status = sign_in(user, "wrong-password", ATTACKER, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    assert status == 429
    assert sign_in(user, DEFAULT_PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR=OWNER_OFFICE) == 429
    assert sign_in(user, DEFAULT_PASSWORD, OWNER_OFFICE) == 302


def test_behind_a_trusted_proxy_the_lock_is_keyed_by_the_address_the_proxy_saw(
    settings: Settings, user: AbstractBaseUser
) -> None:
    settings.AXES_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    # Whatever the attacker puts in front, the proxy appends the address it really saw.
    for n in range(5):
        status = sign_in(
            user,
            "wrong-password",
            proxy,
            HTTP_X_FORWARDED_FOR=f"{OWNER_OFFICE}, 10.9.9.{n}, {ATTACKER}",
        )
    assert status == 429
    assert sign_in(user, DEFAULT_PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ATTACKER) == 429
    # Everyone else comes through the same proxy and is not locked out with the attacker.
    assert sign_in(user, DEFAULT_PASSWORD, proxy, HTTP_X_FORWARDED_FOR=OWNER_OFFICE) == 302


def test_the_lockout_page_says_when_to_try_again(user: AbstractBaseUser) -> None:
    for _ in range(4):
        sign_in(user, "wrong-password", ATTACKER)
    page = Client().post(
        "/", {"username": user.get_username(), "password": "wrong"}, REMOTE_ADDR=ATTACKER
    )
    assert page.status_code == 429
    text = page.content.decode()
    assert "계정이 잠겼습니다" in text and "15분 뒤에 다시 시도해 주세요" in text
