"""Per-API-key rate limit. Rate from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"].

DRF's SimpleRateThrottle keeps a list of every request time in the window and reads and writes it
whole on each request, so a busy key (a payroll program filing hundreds a minute) pays more per
request the busier it is. This counts instead: one counter per key and window, and the previous
window weighted by how much of it still lies within the last `duration` seconds (a sliding
window, approximated). One Redis round trip per request, whatever the rate.
"""

from __future__ import annotations

import logging
from functools import cache

import redis
from django.conf import settings
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from portal.models import ApiKey

logger = logging.getLogger(__name__)

DEFAULT_RATE = "1000/min"


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Keyed on the ApiKey id, so one program's burst never slows another key's calls."""

    scope = "api_key"
    # Set in SimpleRateThrottle.__init__ from the rate (parse_rate); read only once a rate is set.
    num_requests: int
    duration: int
    retry_after: float

    def get_rate(self) -> str:
        rates = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES") or {}
        return rates.get(self.scope) or DEFAULT_RATE

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None  # browser sessions are limited by the portal's own rules
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

    def allow_request(self, request: Request, view: object) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window, into = divmod(now, self.duration)
        current, previous = window_hits(
            current=f"{key}:{int(window)}",
            previous=f"{key}:{int(window) - 1}",
            ttl=2 * self.duration + 1,
        )
        self.retry_after = self.duration - into
        weight = 1 - into / self.duration
        return current + previous * weight <= self.num_requests

    def wait(self) -> float:
        return max(1.0, getattr(self, "retry_after", self.duration))


@cache
def _redis(url: str) -> redis.Redis:
    # One client per process and URL: redis-py clients are thread-safe and keep a pool.
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def window_hits(*, current: str, previous: str, ttl: int) -> tuple[int, int]:
    """Count one hit in `current`; return (hits in current, hits in previous)."""
    if settings.REDIS_URL:
        # The cache's key prefix too: deployments sharing one Redis keep their counters apart.
        prefix = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:throttle:"
        try:
            with _redis(settings.REDIS_URL).pipeline(transaction=False) as pipe:
                pipe.incr(prefix + current)
                pipe.expire(prefix + current, ttl)
                pipe.get(prefix + previous)
                hits, _, before = pipe.execute()
        except redis.RedisError:
            # Fail open: a filing is safe without Redis (the outbox publishes later).
            logger.warning("rate limit skipped: Redis unavailable", exc_info=True)
            return 0, 0
        return int(hits), int(before or 0)
    # Without Redis (the embedded mode): Django's local-memory cache, add else incr.
    backend = caches["default"]
    if backend.add(current, 1, ttl):
        hits = 1
    else:
        try:
            hits = backend.incr(current)
        except ValueError:  # expired between the two calls
            backend.add(current, 1, ttl)
            hits = 1
    return int(hits), int(backend.get(previous) or 0)
