"""Infrastructure tasks: the access log's daily check, and `noop` for bench/fanout.py's baseline
of Celery's own speed."""

from __future__ import annotations

from functools import lru_cache

import redis
from celery import shared_task
from django.conf import settings

from portal.access_log import access_log_alert


@lru_cache(maxsize=1)
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@shared_task(name="portal.tasks.noop", acks_late=True)
def noop(counter_key: str) -> None:
    # Counting in Redis is the cheapest way to know when a group has finished without a result
    # backend; it costs one round-trip, like the fan-out's own bookkeeping would.
    _redis().incr(counter_key)


@shared_task(name="portal.tasks.access_log_check")
def access_log_check() -> bool:
    """Beat, daily: verify the PIPA 접속기록's hash chain; a break alerts the operators."""
    return access_log_alert().intact


@shared_task(name="portal.tasks.heartbeat")
def heartbeat() -> None:
    """Beat: the worker is alive and beat schedules (read by /readyz)."""
    from portal.health import heartbeat_record

    heartbeat_record(name="worker")
