"""Infrastructure tasks. `noop` exists for bench/fanout.py's baseline of Celery's own speed."""

from __future__ import annotations

from functools import lru_cache

import redis
from celery import shared_task
from django.conf import settings


@lru_cache(maxsize=1)
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@shared_task(name="portal.tasks.noop", acks_late=True)
def noop(counter_key: str) -> None:
    # Counting in Redis is the cheapest way to know when a group has finished without a result
    # backend; it costs one round-trip, like the fan-out's own bookkeeping would.
    _redis().incr(counter_key)
