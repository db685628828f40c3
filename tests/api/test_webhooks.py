"""Webhooks: signed POSTs of every submission status change, retried, logged, testable."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from filings.models import WebhookDelivery
from filings.services import report_file
from filings.webhooks import (
    webhook_create,
    webhook_deliver,
    webhook_enqueue_for_submission,
    webhook_test_send,
    webhook_verify,
)
from portal.errors import FieldErrors
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db


def _verify_like_a_receiver(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The documented recipe, written out independently of our signing code."""
    parts = dict(p.split("=", 1) for p in headers["x-portal-signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_status_change_reaches_the_receiver_signed_and_without_the_resident_number(
    receiver, owner, workplace
):
    endpoint, secret = webhook_create(actor=owner, url=receiver.url, workplace=workplace)
    body = hire_body()
    report, _ = report_file(actor=owner, workplace=workplace, data=body)
    submission = report.submissions.get(agency="health")
    (delivery_id,) = webhook_enqueue_for_submission(submission_id=submission.pk, status="accepted")

    assert webhook_deliver(delivery_id=delivery_id) == "delivered"

    headers, raw = receiver.received[-1]
    assert _verify_like_a_receiver(secret, headers, raw)
    assert webhook_verify(secret=secret, body=raw, header=headers["x-portal-signature"])
    assert not webhook_verify(secret="whsec_wrong", body=raw, header=headers["x-portal-signature"])
    payload = json.loads(raw)
    assert payload["type"] == "submission.status_changed"
    assert payload["data"]["report_id"] == report.pk
    assert payload["data"]["agency"] == "health"
    assert payload["data"]["status"] == "accepted"
    assert headers["x-portal-delivery"] == payload["id"]
    assert body["employee"]["rrn"] not in raw.decode()
    assert body["employee"]["rrn"][:6] not in raw.decode()
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.status == "delivered" and delivery.last_status_code == 200


def test_a_failing_receiver_is_retried_later_and_given_up_after_24_hours(
    receiver, owner, workplace
):
    receiver.status = 503
    endpoint, _ = webhook_create(actor=owner, url=receiver.url, workplace=workplace)
    delivery = webhook_test_send(actor=owner, endpoint=endpoint)

    assert webhook_deliver(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status_code == 503
    assert delivery.next_attempt_at > timezone.now()
    # Not due yet: a second worker cannot send it early.
    assert webhook_deliver(delivery_id=delivery.pk) == "not_claimed"

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert webhook_deliver(delivery_id=delivery.pk) == "gave_up"
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 2
    assert len(receiver.received) == 2


def test_a_payroll_firm_endpoint_hears_about_its_client_workplaces(
    receiver, agent, firm, owner, workplace
):
    webhook_create(actor=agent, url=receiver.url, firm=firm)
    report, _ = report_file(actor=owner, workplace=workplace, data=hire_body())
    ids = webhook_enqueue_for_submission(
        submission_id=report.submissions.first().pk, status="received"
    )
    assert len(ids) == 1


def test_nobody_listening_writes_nothing(owner, workplace):
    report, _ = report_file(actor=owner, workplace=workplace, data=hire_body())
    assert (
        webhook_enqueue_for_submission(
            submission_id=report.submissions.first().pk, status="received"
        )
        == []
    )
    assert not WebhookDelivery.objects.exists()


def test_internal_addresses_are_refused_unless_allowed(settings, owner, workplace):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(FieldErrors) as caught:
        webhook_create(actor=owner, url="https://127.0.0.1/hook", workplace=workplace)
    assert caught.value.fields["url"][0][0] == "private_address"


def test_the_portal_shows_the_delivery_log_and_sends_a_test_event(
    receiver, verified_client, owner, workplace
):
    client = verified_client(owner)
    response = client.post(
        "/developer/webhooks/", {"target": f"w:{workplace.pk}", "url": receiver.url}
    )
    assert response.status_code == 200
    assert "whsec_" in response.content.decode()
    endpoint = workplace_endpoint = None
    from filings.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get(workplace=workplace)
    workplace_endpoint = endpoint
    response = client.post(f"/developer/webhooks/{workplace_endpoint.pk}/test/")
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event_type="ping")
    webhook_deliver(delivery_id=delivery.pk)
    page = client.get(f"/developer/webhooks/{endpoint.pk}/").content.decode()
    assert "ping" in page and "HTTP 200" in page
