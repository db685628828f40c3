"""API-side scoping: portal.access plus the key's own workplace scope."""

from __future__ import annotations

from django.http import Http404
from rest_framework.request import Request

from portal.access import Action, workplace_get_for
from portal.models import ApiKey, Workplace


def key_scope_ids(request: Request) -> set[int] | None:
    key = request.auth
    if not isinstance(key, ApiKey):
        return None
    ids = set(key.workplaces.values_list("id", flat=True))
    return ids or None


def api_workplace(request: Request, workplace_id: int | str, *, action: Action) -> Workplace:
    # The key's scope is checked in the same query as the workplace and the caller's role.
    key = request.auth
    if not isinstance(key, ApiKey):
        return workplace_get_for(request.user, workplace_id, action=action)
    return workplace_get_for(
        request.user,
        workplace_id,
        action=action,
        api_key_id=key.pk,
        found=getattr(key, "found_workplace", None),  # read with the key (portal.api_auth)
    )


def api_check_scope(request: Request, workplace_id: int) -> None:
    scope = key_scope_ids(request)
    if scope is not None and workplace_id not in scope:
        raise Http404
