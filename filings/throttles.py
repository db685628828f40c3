"""Per-API-key rate limit. Rate from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

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
