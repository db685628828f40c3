"""Per-API-key rate limit. Rate from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"].

DRF's SimpleRateThrottle keeps a list of every request time in the window and reads and writes it
whole on each request, so a busy key (a payroll program filing hundreds a minute) pays more per
request the busier it is. This counts instead: one counter per key and window, and the previous
window weighted by how much of it still lies within the last `duration` seconds (a sliding
window, approximated). One Redis round trip per request, whatever the rate.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from portal.cache import redis_round_trip
from portal.models import ApiKey

DEFAULT_RATE = "1000/min"


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Keyed on the ApiKey id, so one program's burst never slows another key's calls."""

    scope = "api_key"

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


def window_hits(*, current: str, previous: str, ttl: int) -> tuple[int, int]:
    """Count one hit in `current`; return (hits in current, hits in previous)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        now_key = backend.make_and_validate_key(current)
        then_key = backend.make_and_validate_key(previous)
        client = backend._cache.get_client(now_key, write=True)
        hits, _, before = redis_round_trip(
            client, ("INCR", now_key), ("EXPIRE", now_key, ttl), ("GET", then_key)
        )
        return int(hits), int(before or 0)
    # Other backends (the embedded mode's local memory): add, else incr.
    if backend.add(current, 1, ttl):
        hits = 1
    else:
        try:
            hits = backend.incr(current)
        except ValueError:  # expired between the two calls
            backend.add(current, 1, ttl)
            hits = 1
    return int(hits), int(backend.get(previous) or 0)
