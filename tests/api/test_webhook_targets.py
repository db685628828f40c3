"""Webhook targets: only the public internet, checked at registration and again before each send."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from pytest_django.fixtures import Settings

from filings import webhooks
from filings.models import WebhookDelivery, WebhookEndpoint
from filings.webhooks import (
    webhook_create,
    webhook_deliver,
    webhook_deliveries_due,
    webhook_test_send,
)
from portal.api.errors import api_exception_handler
from portal.errors import FieldErrors
from portal.models import Workplace
from tests.api.conftest import Receiver

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"
HANGUL = re.compile(r"[가-힣]")


class FakeDns:
    """getaddrinfo for made-up names; anything else resolves as usual (IP literals, localhost)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.lookups: list[str] = []
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        self.lookups.append(str(host))
        if host in self.names:
            address = self.names[host]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
        return self.real(host, port, *args, **kwargs)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDns]:
    fake = FakeDns()
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", fake)
    yield fake


@pytest.fixture
def production(settings: Settings) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.251/hook",
        "https://240.0.0.1/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::5]/hook",
        "https://[ff02::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::]/hook",
    ],
)
def test_registering_a_webhook_to_a_non_public_address_is_refused_naming_the_url(
    production: None, owner: AbstractBaseUser, workplace: Workplace, url: str
) -> None:
    with pytest.raises(FieldErrors) as caught:
        webhook_create(actor=owner, url=url, workplace=workplace)

    (rule, message), *_ = caught.value.fields["url"]
    assert rule == "private_address"
    assert HANGUL.search(message)
    assert not WebhookEndpoint.objects.exists()


def test_a_name_that_resolves_to_an_internal_address_is_refused_too(
    production: None, dns: FakeDns, owner: AbstractBaseUser, workplace: Workplace
) -> None:
    dns.names["hooks.intranet.example"] = "10.20.30.40"
    with pytest.raises(FieldErrors) as caught:
        webhook_create(actor=owner, url="https://hooks.intranet.example/in", workplace=workplace)
    assert caught.value.fields["url"][0][0] == "private_address"


def test_only_https_to_a_public_address_is_accepted(
    production: None, dns: FakeDns, owner: AbstractBaseUser, workplace: Workplace
) -> None:
    dns.names["hooks.example.com"] = PUBLIC
    endpoint, secret = webhook_create(
        actor=owner, url="https://hooks.example.com/in", workplace=workplace
    )
    assert endpoint.pk and secret.startswith("whsec_")

    for url, rule in [
        ("http://hooks.example.com/in", "https_required"),
        ("ftp://hooks.example.com/in", "scheme"),
        ("https://hooks.example.com:99999/in", "invalid_url"),
    ]:
        with pytest.raises(FieldErrors) as caught:
            webhook_create(actor=owner, url=url, workplace=workplace)
        assert caught.value.fields["url"][0][0] == rule, url


def test_the_refusal_is_a_400_in_the_api_error_shape(
    production: None, owner: AbstractBaseUser, workplace: Workplace
) -> None:
    with pytest.raises(FieldErrors) as caught:
        webhook_create(actor=owner, url="https://127.0.0.1/hook", workplace=workplace)

    response = api_exception_handler(caught.value, {})

    assert response is not None and response.status_code == 400
    error = response.data["error"]
    assert error["code"] == "validation_error"
    (field_error,) = error["fields"]["url"]
    assert field_error["rule"] == "private_address" and HANGUL.search(field_error["message"])


def test_the_portal_form_shows_the_refusal_next_to_the_url(
    production: None,
    verified_client: Callable[..., Client],
    owner: AbstractBaseUser,
    workplace: Workplace,
) -> None:
    response = verified_client(owner).post(
        "/developer/webhooks/", {"target": f"w:{workplace.pk}", "url": "https://10.0.0.8/hook"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "공인 인터넷 주소가 아닌 곳" in page
    assert "whsec_" not in page
    assert not WebhookEndpoint.objects.exists()


def test_a_name_rebound_to_an_internal_address_after_registration_is_not_sent_and_fails_at_once(
    production: None,
    dns: FakeDns,
    receiver: Receiver,
    settings: Settings,
    owner: AbstractBaseUser,
    workplace: Workplace,
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False  # the receiver fixture allows loopback
    dns.names["hooks.example.com"] = PUBLIC
    port = receiver.url.split(":")[2].split("/")[0]
    endpoint, _ = webhook_create(
        actor=owner, url=f"https://hooks.example.com:{port}/hooks", workplace=workplace
    )
    # DNS rebinding: the same name now points at the portal's own machine.
    dns.names["hooks.example.com"] = "127.0.0.1"
    delivery = webhook_test_send(actor=owner, endpoint=endpoint)

    assert webhook_deliver(delivery_id=delivery.pk) == "refused"

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.next_attempt_at is None and delivery.attempts == 1
    assert delivery.last_error.startswith("전송 거부:")
    assert "공인 인터넷 주소가 아닌 곳" in delivery.last_error
    assert receiver.received == []
    # Not picked up again by the sweeper.
    assert delivery.pk not in webhook_deliveries_due()


def test_a_delivery_goes_to_the_address_that_was_checked_with_the_name_in_host_and_tls(
    production: None,
    dns: FakeDns,
    monkeypatch: pytest.MonkeyPatch,
    owner: AbstractBaseUser,
    workplace: Workplace,
) -> None:
    dns.names["hooks.example.com"] = PUBLIC
    endpoint, _ = webhook_create(
        actor=owner, url="https://hooks.example.com/in?x=1", workplace=workplace
    )
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    monkeypatch.setattr(
        webhooks, "_client", lambda: httpx.Client(transport=httpx.MockTransport(answer))
    )
    dns.lookups.clear()
    delivery = webhook_test_send(actor=owner, endpoint=endpoint)

    assert webhook_deliver(delivery_id=delivery.pk) == "delivered"

    # One lookup, checked, and the connection made to that very address: a second answer from
    # DNS cannot redirect the request.
    assert dns.lookups == ["hooks.example.com"]
    (request,) = sent
    assert request.url.host == PUBLIC and request.url.path == "/in" and request.url.query == b"x=1"
    assert request.headers["Host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["X-Portal-Event"] == "ping"


def test_an_unresolvable_name_at_delivery_is_retried_like_any_network_failure(
    production: None, dns: FakeDns, owner: AbstractBaseUser, workplace: Workplace
) -> None:
    dns.names["hooks.example.com"] = PUBLIC
    endpoint, _ = webhook_create(
        actor=owner, url="https://hooks.example.com/in", workplace=workplace
    )
    del dns.names["hooks.example.com"]
    dns.real = _no_such_host
    delivery = webhook_test_send(actor=owner, endpoint=endpoint)

    assert webhook_deliver(delivery_id=delivery.pk) == "retry"

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.next_attempt_at


def _no_such_host(*args: Any, **kwargs: Any) -> list[Any]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_loopback_receivers_are_allowed_where_private_targets_are(
    receiver: Receiver, owner: AbstractBaseUser, workplace: Workplace
) -> None:
    # Development and the tests' own receivers: WEBHOOK_ALLOW_PRIVATE_TARGETS (default DEBUG).
    endpoint, _ = webhook_create(actor=owner, url=receiver.url, workplace=workplace)
    delivery = webhook_test_send(actor=owner, endpoint=endpoint)
    assert webhook_deliver(delivery_id=delivery.pk) == "delivered"
    assert len(receiver.received) == 1
