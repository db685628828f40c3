"""`Authorization: Token <key>` for payroll software; keys are stored hashed (portal.ApiKey)."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from portal.access import role_row_sql, workplace_role_from_row
from portal.models import ApiKey
from portal.prepared import model_columns, prepared_fetchone
from portal.services import api_key_hash


@cache
def _key_lookup_sql() -> tuple[list[str], list[str], str]:
    """The key and its user in one plain statement; column lists come from the models, so they
    follow migrations. Every API request runs it, and the ORM's select_related compile costs
    more CPU than the query itself."""
    user_model = get_user_model()
    key_names, key_cols = model_columns(ApiKey, "k")
    user_names, user_cols = model_columns(user_model, "u")
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {key_cols}, {user_cols} FROM {quote(ApiKey._meta.db_table)} k "  # noqa: S608
        f"JOIN {quote(user_model._meta.db_table)} u "
        f"ON u.{quote(user_model._meta.pk.column)} = k.{quote('user_id')} "
        f"WHERE k.{quote('key_hash')} = %(hash)s AND k.{quote('revoked_at')} IS NULL"
    )
    return key_names, user_names, sql


@cache
def _key_and_workplace_sql() -> tuple[list[str], str]:
    """The same lookup, plus the workplace the request names and the key's role on it (the
    statement portal.access runs, scoped to the key): one round trip instead of two."""
    _, _, sql = _key_lookup_sql()
    names, role_sql = role_row_sql(user="k.user_id", key="k.id")
    select, where = sql.split(" WHERE ", 1)
    head, tail = select.split(" FROM ", 1)
    return names, (
        f"{head}, wr.* FROM {tail} LEFT JOIN LATERAL ({role_sql}) wr ON TRUE WHERE {where}"
    )


def _workplace_in_path(request) -> int | None:  # type: ignore[no-untyped-def]
    context = getattr(request, "parser_context", None) or {}
    raw = (context.get("kwargs") or {}).get("workplace_id")
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2**63 else None


def _key_with_user(key_hash: str, workplace_pk: int | None = None) -> ApiKey | None:
    """The live key with its user; with `workplace_pk`, also that workplace and the key's role
    on it, kept on the key as `found_workplace` for portal.api_access."""
    key_names, user_names, sql = _key_lookup_sql()
    workplace_names: list[str] = []
    if workplace_pk is None:
        row = prepared_fetchone(name="api_key_with_user", sql=sql, params={"hash": key_hash})
    else:
        params = {"hash": key_hash, "pk": workplace_pk, "today": timezone.localdate()}
        workplace_names, both = _key_and_workplace_sql()
        row = prepared_fetchone(name="api_key_with_workplace", sql=both, params=params)
    if row is None:
        return None
    split, end = len(key_names), len(key_names) + len(user_names)
    key = ApiKey.from_db(DEFAULT_DB_ALIAS, key_names, row[:split])
    key.user = get_user_model().from_db(DEFAULT_DB_ALIAS, user_names, row[split:end])
    if workplace_pk is not None:
        key.found_workplace = (  # type: ignore[attr-defined]
            workplace_pk,
            *workplace_role_from_row(key.user, workplace_names, row[end:]),
        )
    return key


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):  # type: ignore[no-untyped-def]
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization 헤더 형식은 'Token <키>'입니다.")
        raw = header[1].decode(errors="replace")
        # Most API paths name a workplace: it is read along with the key (portal.api_access).
        key = _key_with_user(api_key_hash(raw), _workplace_in_path(request))
        if key is None or not key.user.is_active:
            raise exceptions.AuthenticationFailed("API 키가 올바르지 않거나 폐기되었습니다.")
        now = timezone.now()
        # Write last-used at most once a minute: a hot key must not turn every read into a write.
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key.user, key

    def authenticate_header(self, request) -> str:  # type: ignore[no-untyped-def]
        return self.keyword
