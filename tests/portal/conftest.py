"""Clients signed in with both factors, as the portal and the admin require."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory


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
