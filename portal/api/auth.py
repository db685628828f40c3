"""`Authorization: Token <key>` for payroll software; keys are stored hashed (portal.ApiKey)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from portal.models import ApiKey
from portal.services import api_key_hash


def _key_with_user(key_hash: str) -> ApiKey | None:
    """The live key with its user and whether it is limited to some workplaces, in one query
    (most keys are not, and then no request needs to read a scope)."""
    return (
        ApiKey.objects.select_related("user")
        .annotate(scoped=Exists(ApiKey.workplaces.through.objects.filter(apikey_id=OuterRef("pk"))))
        .filter(key_hash=key_hash, revoked_at__isnull=True)
        .first()
    )


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization 헤더 형식은 'Token <키>'입니다.")
        raw = header[1].decode(errors="replace")
        key = _key_with_user(api_key_hash(raw))
        if key is None or not key.user.is_active:
            raise exceptions.AuthenticationFailed("API 키가 올바르지 않거나 폐기되었습니다.")
        now = timezone.now()
        # Write last-used at most once a minute: a hot key must not turn every read into a write.
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
