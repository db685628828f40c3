"""Fixtures shared by every app's tests: workplaces and the people who may (or may not) touch them."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from portal.models import Employee, Membership, PayrollFirm, Workplace
from portal.services import api_key_issue
from tests.factories import (
    DelegationFactory,
    EmployeeFactory,
    MembershipFactory,
    PayrollFirmFactory,
    UserFactory,
    WorkplaceFactory,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    # The production hasher costs ~0.3 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def workplace(db: None) -> Workplace:
    return WorkplaceFactory()


@pytest.fixture
def other_workplace(db: None) -> Workplace:
    return WorkplaceFactory()


@pytest.fixture
def owner(workplace: Workplace) -> AbstractBaseUser:
    return MembershipFactory(workplace=workplace, role=Membership.Role.OWNER).user


@pytest.fixture
def hr(workplace: Workplace) -> AbstractBaseUser:
    return MembershipFactory(workplace=workplace, role=Membership.Role.HR).user


@pytest.fixture
def firm(db: None) -> PayrollFirm:
    return PayrollFirmFactory()


@pytest.fixture
def agent(workplace: Workplace, firm: PayrollFirm, owner: AbstractBaseUser) -> AbstractBaseUser:
    """Staff of `firm`, which holds a live delegation from `workplace`'s owner."""
    user = UserFactory()
    firm.members.add(user)
    DelegationFactory(firm=firm, workplace=workplace, granted_by=owner)
    return user


@pytest.fixture
def operator(db: None) -> AbstractBaseUser:
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def employee(workplace: Workplace) -> Employee:
    return EmployeeFactory(workplace=workplace, insured=True)


@pytest.fixture
def api_client_for(db: None) -> Callable[..., APIClient]:
    """APIClient authenticated with a fresh `Token` key of `user` (optionally workplace-scoped)."""

    def make(user: AbstractBaseUser, workplaces: list[Workplace] | None = None) -> APIClient:
        _, raw = api_key_issue(user=user, name="test", workplaces=workplaces)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return make


@pytest.fixture
def api_client(api_client_for: Callable[..., APIClient], owner: AbstractBaseUser) -> APIClient:
    return api_client_for(owner)


def sign_in_verified(client: Client, user: AbstractBaseUser, *, fresh: bool = True) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    if fresh:
        session["otp_verified_at"] = int(time.time())
    session.save()
    return device


@pytest.fixture
def verified_client(db: None) -> Callable[..., Client]:
    def make(user: AbstractBaseUser, *, fresh: bool = True) -> Client:
        client = Client()
        sign_in_verified(client, user, fresh=fresh)
        return client

    return make


@pytest.fixture
def admin_client(db: None) -> Client:
    """pytest-django's admin_client, but past the second factor the admin now requires."""
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client = Client()
    sign_in_verified(client, user)
    return client
