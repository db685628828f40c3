"""Liveness and readiness: `/healthz` answers while the process serves; `/readyz` says which
part the portal needs is down (database, Redis, the worker, the outbox), for a load balancer
and an operator alike. Both are cheap and need no login."""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.models import Heartbeat, OutboxMessage

logger = logging.getLogger(__name__)
# Beat writes the heartbeat every 15 s; three missed beats mean the worker or beat is gone.
HEARTBEAT_STALE_SECONDS = 60
# Unpublished after this long, a side effect waits on a broker or sweeper that is not running.
OUTBOX_STALE_SECONDS = 120


def heartbeat_record(*, name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _redis() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "not used (tasks run in-process)"}
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        client.close()
    return {"ok": True}


def _worker(now: Any) -> dict[str, Any]:
    beat = Heartbeat.objects.filter(name="worker").first()
    if beat is None:
        return {"ok": False, "error": "no heartbeat yet"}
    age = (now - beat.seen_at).total_seconds()
    return {"ok": age <= HEARTBEAT_STALE_SECONDS, "last_seen": beat.seen_at.isoformat()}


def _outbox(now: Any) -> dict[str, Any]:
    oldest = (
        OutboxMessage.objects.filter(published_at__isnull=True)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    age = (now - oldest).total_seconds() if oldest else 0.0
    return {"ok": age <= OUTBOX_STALE_SECONDS, "oldest_unpublished_seconds": round(age, 1)}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    checks = {"database": _database(), "redis": _redis()}
    if checks["database"]["ok"]:
        checks["worker"] = _worker(now)
        checks["outbox"] = _outbox(now)
    ready = all(c["ok"] for c in checks.values())
    if not ready:
        down = [name for name, c in checks.items() if not c["ok"]]
        logger.warning("not ready: %s", ", ".join(down))
    return JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)
