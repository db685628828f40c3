"""Sign-in lockout (django-axes): per account and address, with a ceiling per account.

axes compares one failure count with one limit. Its count is keyed here by username and client
address (AXES_LOCKOUT_PARAMETERS), so that someone who knows a username cannot lock its owner out
everywhere with AXES_FAILURE_LIMIT wrong tries. This handler adds the account's failures from all
addresses together against AXES_ACCOUNT_FAILURE_LIMIT, so that guessing spread over many
addresses still stops. Both counts forget failures older than the cool-off.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def lockout_client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind AXES_TRUSTED_PROXY_COUNT proxies the address the outermost one saw.

    Each proxy appends the address it was called from to X-Forwarded-For, so only the last N
    entries are ours; anything further left is what the client claimed and is never used.
    """
    hops = int(getattr(settings, "AXES_TRUSTED_PROXY_COUNT", 0))
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            try:
                return str(ipaddress.ip_address(forwarded[-hops]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")


def account_failures(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """Failures for the account named in the request, from every address, within the cool-off."""
    username = get_client_username(request, credentials)
    if not username:
        return 0
    attempts = AccessAttempt.objects.filter(username=username)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return int(attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0)


def _over_ceiling(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    return account_failures(request, credentials) >= int(settings.AXES_ACCOUNT_FAILURE_LIMIT)


def _locks_at_failure() -> bool:
    return bool(getattr(settings, "AXES_LOCK_OUT_AT_FAILURE", True))


class AccountCeilingHandler(AxesDatabaseHandler):
    """axes' database handler, also locked when the account's ceiling is reached."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return _locks_at_failure() and _over_ceiling(request, credentials)

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        # The failure that reaches the ceiling answers with the lockout page, as the 5th does.
        if (
            request is None
            or getattr(request, "axes_locked_out", False)
            or not _locks_at_failure()
            or self.is_whitelisted(request, credentials)
            or not _over_ceiling(request, credentials)
        ):
            return
        request.axes_locked_out = True  # type: ignore[attr-defined]  # axes' request attributes
        request.axes_credentials = credentials  # type: ignore[attr-defined]
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        )
