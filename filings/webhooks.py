"""Webhooks: every submission status change POSTed, signed, to the URLs a workplace or firm set.

Signature: header `X-Portal-Signature: t=<unix>,v1=<hex>` where hex is
HMAC-SHA256(secret, f"{t}.".encode() + body). Deliveries are rows (WebhookDelivery) written in a
transaction with an outbox message; a failed POST stores `next_attempt_at` (exponential backoff
with jitter) and the beat sweeper picks it up when due, for 24 hours. Payloads carry ids,
statuses and receipt numbers only, never a resident number.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from filings.models import Submission, WebhookDelivery, WebhookEndpoint
from portal import crypto
from portal.access import firms_acting_for
from portal.errors import FieldErrors
from portal.models import PayrollFirm, Workplace
from portal.outbox import outbox_enqueue_many, task_publish
from portal.services import audit_record

logger = logging.getLogger(__name__)
DELIVER_TASK = "filings.tasks.webhook_deliver"
SECRET_PURPOSE = "webhook_secret"  # noqa: S105  (an encryption purpose label, not a secret)
SIGNATURE_HEADER = "X-Portal-Signature"
GIVE_UP_AFTER = timedelta(hours=24)
RETRY_BASE_SECONDS = 10.0
RETRY_CAP_SECONDS = 3600.0
LEASE_SECONDS = 60.0
EVENT_STATUS_CHANGED = "submission.status_changed"
EVENT_PING = "ping"


def webhook_sign(*, secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_verify(*, secret: str, body: bytes, header: str, tolerance_seconds: int = 300) -> bool:
    """What a receiver does; used by our tests and shown in the docs."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > tolerance_seconds:
        return False
    expected = webhook_sign(secret=secret, body=body, timestamp=timestamp)
    return hmac.compare_digest(expected, header)


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", settings.DEBUG))


# Refusals that no retry can change; an unresolvable host may be a passing DNS failure.
REFUSED_RULES = frozenset({"invalid_url", "scheme", "https_required", "private_address"})


def webhook_address_refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Private, loopback, link-local, multicast, reserved or unspecified: not the public internet.

    is_global alone lets multicast through, hence every flag; an IPv4 address written as IPv6
    (::ffff:a.b.c.d) is judged as the IPv4 address it reaches.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return webhook_address_refused(address.ipv4_mapped)
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def webhook_url_check(url: str) -> list[str]:
    """Refuse URLs that would make us call into our own network (SSRF).

    Returns the addresses the host resolves to, all public, for the caller to connect to (so a
    second lookup cannot swap in another); empty where private targets are allowed (development).
    """
    errors = FieldErrors()
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        errors.add("url", "invalid_url", "URL의 포트 번호가 올바르지 않습니다.")
        raise errors from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        errors.add("url", "scheme", "http(s):// 로 시작하는 URL이어야 합니다.")
        errors.raise_if_any()
    if _allow_private():
        return []
    if parts.scheme != "https":
        errors.add("url", "https_required", "웹훅 URL은 https여야 합니다.")
    addresses: list[str] = []
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        errors.add("url", "unresolvable", "호스트 이름을 찾을 수 없습니다.")
        infos = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if webhook_address_refused(address):
            errors.add(
                "url",
                "private_address",
                "공인 인터넷 주소가 아닌 곳(내부망, 루프백, 링크 로컬, 멀티캐스트 등)으로는 "
                "보낼 수 없습니다.",
            )
            break
        if str(address) not in addresses:
            addresses.append(str(address))
    errors.raise_if_any()
    return addresses


def webhook_create(
    *,
    actor: User,
    url: str,
    workplace: Workplace | None = None,
    firm: PayrollFirm | None = None,
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """Register a URL; the signing secret is returned once (kept encrypted for signing)."""
    webhook_url_check(url)
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            workplace=workplace,
            firm=firm,
            url=url,
            description=description[:200],
            secret_encrypted=crypto.encrypt(secret, purpose=SECRET_PURPOSE),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="webhook.create",
            obj=endpoint,
            workplace=workplace,
            data={"url": url},
        )
    return endpoint, secret


def webhook_disable(*, actor: User, endpoint: WebhookEndpoint) -> None:
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(
            disabled_at=timezone.now()
        )
        audit_record(
            actor=actor, action="webhook.disable", obj=endpoint, workplace=endpoint.workplace
        )


def endpoints_for_workplace(workplace_id: int) -> list[WebhookEndpoint]:
    """Live endpoints of the workplace itself and of payroll firms it currently delegates to."""
    return list(
        WebhookEndpoint.objects.filter(
            Q(workplace_id=workplace_id) | Q(firm_id__in=firms_acting_for(workplace_id)),
            disabled_at__isnull=True,
        )
    )


def submission_payload(submission: Submission, status: str) -> dict[str, Any]:
    report = submission.report
    return {
        "report_id": report.pk,
        "report_kind": report.kind,
        "report_status": report.status,
        "workplace_id": report.workplace_id,
        "employee_id": report.employee_id,
        "submission_id": submission.pk,
        "agency": submission.agency,
        "action": submission.action,
        "status": status or submission.status,
        "receipt_number": submission.receipt_number,
        "result_code": submission.result_code,
        "result_message": submission.result_message,
        "deadline": submission.deadline.isoformat() if submission.deadline else None,
    }


def _enqueue(endpoints: list[WebhookEndpoint], event_type: str, data: dict[str, Any]) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(endpoint=e, event_type=event_type, payload={}, next_attempt_at=now)
                for e in endpoints
            ]
        )
        for d in deliveries:
            # The event id is part of the signed body, so receivers can drop duplicates.
            d.payload = {
                "id": str(d.event_id),
                "type": event_type,
                "created": now.isoformat(),
                "data": data,
            }
        WebhookDelivery.objects.bulk_update(deliveries, ["payload"])
        outbox_enqueue_many(task=DELIVER_TASK, args_list=[[d.pk] for d in deliveries])
    return [d.pk for d in deliveries]


def webhook_enqueue_for_submission(
    *, submission_id: int, status: str, endpoints: list[WebhookEndpoint] | None = None
) -> list[int]:
    """Called by filings on every status change, inside its transaction; cheap when nobody
    listens. Callers that already know the workplace's endpoints pass them in."""
    if endpoints is not None and not endpoints:
        return []
    submission = Submission.objects.select_related("report").filter(pk=submission_id).first()
    if submission is None:
        return []
    if endpoints is None:
        endpoints = endpoints_for_workplace(submission.report.workplace_id)
    if not endpoints:
        return []
    return _enqueue(endpoints, EVENT_STATUS_CHANGED, submission_payload(submission, status))


def webhook_test_send(*, actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    data = {"message": "포털에서 보낸 시험 이벤트입니다.", "endpoint_id": endpoint.pk}
    (delivery_id,) = _enqueue([endpoint], EVENT_PING, data)
    return WebhookDelivery.objects.get(pk=delivery_id)


def backoff_seconds(attempts: int) -> float:
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _post_pinned(
    client: httpx.Client, url: str, addresses: list[str], *, content: bytes, headers: dict[str, str]
) -> httpx.Response:
    """POST to one of the addresses checked just before, not to a fresh lookup of the host name
    (DNS rebinding); the Host header and TLS (SNI and certificate) still use the name."""
    if not addresses:
        return client.post(url, content=content, headers=headers)
    target = httpx.URL(url)
    host = target.raw_host.decode("ascii")
    host_header = (f"[{host}]" if ":" in host else host) + (
        f":{target.port}" if target.port else ""
    )
    last: httpx.ConnectError | None = None
    for address in addresses:
        try:
            return client.post(
                target.copy_with(host=address),
                content=content,
                headers={**headers, "Host": host_header},
                extensions={"sni_hostname": host},
            )
        except httpx.ConnectError as exc:
            last = exc
    assert last is not None
    raise last


def _client() -> httpx.Client:
    timeout = httpx.Timeout(
        float(getattr(settings, "WEBHOOK_READ_TIMEOUT", 10.0)),
        connect=float(getattr(settings, "WEBHOOK_CONNECT_TIMEOUT", 3.0)),
    )
    return httpx.Client(timeout=timeout, follow_redirects=False)


def webhook_deliver(*, delivery_id: int) -> str:
    """Claim one due delivery, POST it once, record the outcome."""
    now = timezone.now()
    claimable = (
        Q(status=WebhookDelivery.Status.PENDING)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1)))
        & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(seconds=LEASE_SECONDS)))
    )
    if not WebhookDelivery.objects.filter(claimable, pk=delivery_id).update(claimed_at=now):
        return "not_claimed"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_at=now)
    if endpoint.disabled_at is not None:
        mine.update(status=WebhookDelivery.Status.FAILED, last_error="웹훅이 해제되었습니다.")
        return "disabled"
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    secret = crypto.decrypt(endpoint.secret_encrypted, purpose=SECRET_PURPOSE)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "sabo-portal-webhooks/1",
        SIGNATURE_HEADER: webhook_sign(secret=secret, body=body, timestamp=int(time.time())),
        "X-Portal-Event": delivery.event_type,
        "X-Portal-Delivery": str(delivery.event_id),
    }
    status_code: int | None = None
    error = ""
    started = time.monotonic()
    refused = False
    try:
        # Checked again before every send: the name may resolve elsewhere since registration.
        addresses = webhook_url_check(endpoint.url)
        with _client() as client:
            response = _post_pinned(client, endpoint.url, addresses, content=body, headers=headers)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except FieldErrors as exc:
        found = [pair for pairs in exc.fields.values() for pair in pairs]
        refused = any(rule in REFUSED_RULES for rule, _message in found)
        reason = " ".join(message for _rule, message in found)
        error = (f"전송 거부: {reason}" if refused else reason)[:500]
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration = int((time.monotonic() - started) * 1000)
    attempts = delivery.attempts + 1
    fields: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": status_code,
        "last_error": error,
        "last_duration_ms": duration,
        "claimed_at": None,
    }
    if refused:
        # Nothing was sent, and retrying cannot make the address public: failed at once.
        mine.update(**fields, status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
        return "refused"
    if not error:
        mine.update(**fields, status=WebhookDelivery.Status.DELIVERED, delivered_at=timezone.now())
        return "delivered"
    retry_at = timezone.now() + timedelta(seconds=backoff_seconds(attempts))
    if retry_at - delivery.created_at > GIVE_UP_AFTER:
        mine.update(**fields, status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
        return "gave_up"
    mine.update(**fields, next_attempt_at=retry_at)
    return "retry"


def webhook_deliveries_due(*, limit: int = 500) -> list[int]:
    now = timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(seconds=LEASE_SECONDS)),
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


def webhook_sweep() -> int:
    count = 0
    for delivery_id in webhook_deliveries_due():
        count += task_publish(task=DELIVER_TASK, args=[delivery_id])
    return count
