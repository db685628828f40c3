"""Two-step sign-in: enrolment, single-use codes, lockout, reset never skipping the second factor."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import BackupCode
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, *, at: float | None = None) -> str:
    t = int(at if at is not None else time.time())
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0) if at is None else _totp_at(device, t):06d}"


def _totp_at(device: TOTPDevice, t: int) -> int:
    from django_otp.oath import TOTP

    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    generator.time = t
    return generator.token()


def password_step(client: Client, user: AbstractBaseUser) -> str:
    response = client.post("/", {"username": user.get_username(), "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return response["Location"]


def enrol(client: Client, user: AbstractBaseUser) -> tuple[TOTPDevice, list[str]]:
    assert password_step(client, user) == "/login/enrol/"
    page = client.get("/login/enrol/")
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/login/enrol/", {"token": code_for(device)})
    assert response.status_code == 200
    codes = re.findall(
        r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", response.content.decode()
    )
    device.refresh_from_db()
    return device, codes


@pytest.fixture
def user() -> AbstractBaseUser:
    return UserFactory()


def test_password_alone_does_not_sign_in(client: Client, user: AbstractBaseUser) -> None:
    password_step(client, user)
    assert "_auth_user_id" not in client.session
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/?next=")


def test_first_sign_in_requires_enrolment_with_a_qr_code_and_shows_ten_backup_codes(
    client: Client, user: AbstractBaseUser
) -> None:
    device, codes = enrol(client, user)
    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.session.get("_auth_user_id") == str(user.pk)
    assert client.get("/dashboard/").status_code == 200


def test_backup_codes_are_stored_hashed_not_in_clear(
    client: Client, user: AbstractBaseUser
) -> None:
    _, codes = enrol(client, user)
    stored = list(BackupCode.objects.filter(user=user).values_list("secret_hash", flat=True))
    assert len(stored) == 10
    secrets = {c.replace("-", "")[4:] for c in codes}
    assert all(h.startswith("pbkdf2_sha256$") for h in stored)
    assert not any(s in h for s in secrets for h in stored)


def test_a_backup_code_works_once_only(client: Client, user: AbstractBaseUser) -> None:
    _, codes = enrol(client, user)
    client.post("/logout/")
    password_step(client, user)
    assert client.post("/login/code/", {"token": codes[0]}).status_code == 302
    client.post("/logout/")
    password_step(client, user)
    response = client.post("/login/code/", {"token": codes[0]})
    assert response.status_code == 200
    assert "이미 사용한 코드" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_totp_code_cannot_be_replayed(client: Client, user: AbstractBaseUser) -> None:
    device, _ = enrol(client, user)
    client.post("/logout/")
    # The enrolment code's time step is spent: the same code right after is refused.
    password_step(client, user)
    with time_machine.travel(time.time() + 31, tick=False):
        token = code_for(device, at=time.time())
        assert client.post("/login/code/", {"token": token}).status_code == 302
        client.post("/logout/")
        password_step(client, user)
        response = client.post("/login/code/", {"token": token})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_five_wrong_codes_lock_the_account_even_with_the_right_password(
    client: Client, user: AbstractBaseUser
) -> None:
    device, _ = enrol(client, user)
    client.post("/logout/")
    password_step(client, user)
    for _ in range(4):
        assert client.post("/login/code/", {"token": "000000"}).status_code == 200
    locked = client.post("/login/code/", {"token": "000000"})
    assert locked.status_code == 429
    assert "계정이 잠겼습니다" in locked.content.decode()
    # The right password and a right code are now both refused for 15 minutes.
    again = Client().post("/", {"username": user.get_username(), "password": DEFAULT_PASSWORD})
    assert again.status_code == 429
    with time_machine.travel(time.time() + 16 * 60, tick=False):
        after = Client()
        assert password_step(after, user) == "/login/code/"


def test_wrong_passwords_and_wrong_codes_count_together(
    client: Client, user: AbstractBaseUser
) -> None:
    enrol(client, user)
    client.post("/logout/")
    for _ in range(3):
        client.post("/", {"username": user.get_username(), "password": "wrong-password"})
    password_step(client, user)
    client.post("/login/code/", {"token": "000000"})
    assert client.post("/login/code/", {"token": "000000"}).status_code == 429


def test_password_reset_never_skips_the_second_factor(
    client: Client, user: AbstractBaseUser
) -> None:
    enrol(client, user)
    client.post("/logout/")
    client.post("/password-reset/", {"email": user.email})
    link = re.search(r"http://[^/]+(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    done = client.post(
        form_url, {"new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"}
    )
    assert done.status_code == 302
    assert "_auth_user_id" not in client.session
    response = client.post("/", {"username": user.get_username(), "password": "Brand-new-pass-77"})
    assert response["Location"] == "/login/code/"
    assert client.get("/dashboard/").status_code == 302


def test_the_admin_asks_for_the_second_factor(client: Client) -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)  # password only
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/?next=")


def test_the_admin_opens_after_both_factors(client: Client) -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    enrol(client, staff)
    assert client.get("/admin/").status_code == 200


def test_sensitive_action_asks_for_a_fresh_code_after_ten_minutes(
    client: Client, user: AbstractBaseUser
) -> None:
    device, _ = enrol(client, user)
    start = time.time()
    with time_machine.travel(start + 11 * 60, tick=False):
        response = client.get("/account/")
        assert 'name="token"' in response.content.decode()
        refused = client.post("/account/verify/?next=/account/", {"token": "123456"})
        assert refused.status_code == 200
    # A wrong code throttles the device for a second; the right one a little later passes.
    with time_machine.travel(start + 11 * 60 + 5, tick=False):
        token = code_for(device, at=time.time())
        ok = client.post("/account/verify/", {"token": token, "next": "/account/"})
        assert ok.status_code == 302 and ok["Location"] == "/account/"
        assert 'name="token"' not in client.get("/account/").content.decode()


def test_idle_session_expires_after_thirty_minutes(
    settings, client: Client, user: AbstractBaseUser
) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    enrol(client, user)
    assert client.session.get_expiry_age() == 30 * 60
    session_key = client.session.session_key
    with time_machine.travel(time.time() + 31 * 60, tick=False):
        # The cache copy carries a real-time TTL of the same 30 minutes; faked time cannot age
        # it, so drop it as Redis would and let the database copy's expiry decide.
        cache.delete(f"django.contrib.sessions.cached_db{session_key}")
        assert client.get("/dashboard/").status_code == 302


def test_use_slides_the_idle_timeout_without_writing_the_session_on_every_page(
    client: Client, user: AbstractBaseUser
) -> None:
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    enrol(client, user)
    start = time.time()
    session_key = client.session.session_key
    with time_machine.travel(start + 20 * 60, tick=False):
        assert client.get("/dashboard/").status_code == 200  # refreshed: 30 minutes from here
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/dashboard/").status_code == 200  # within the minute: no write
        assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    with time_machine.travel(start + 45 * 60, tick=False):
        cache.delete(f"django.contrib.sessions.cached_db{session_key}")
        assert Session.objects.filter(session_key=session_key).exists()
        assert client.get("/dashboard/").status_code == 200  # 25 idle minutes: still signed in
