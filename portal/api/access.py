"""The API's view of portal.access: the caller and, for an API key, the key's workplace scope."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from portal.access import Action, api_key_reaches, workplace_get_for
from portal.models import ApiKey, Workplace


def api_caller(request: Request) -> User:
    """The signed-in caller. The default permission (IsAuthenticated) has already turned anyone
    else away; the check here only makes that visible to the type checker."""
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated
    return user


def _key_id(request: Request) -> int | None:
    """The API key whose workplace scope applies, if the request came with a scoped key (the
    authentication read whether it is scoped; a key without that mark is treated as scoped)."""
    key = request.auth
    if isinstance(key, ApiKey) and getattr(key, "scoped", True):
        return key.pk
    return None


def api_workplace(request: Request, workplace_id: int | str, *, action: Action) -> Workplace:
    return workplace_get_for(request.user, workplace_id, action=action, api_key_id=_key_id(request))


def api_reaches(request: Request, workplace_id: int) -> bool:
    """Whether the request's API key (if scoped) covers the workplace."""
    key_id = _key_id(request)
    return key_id is None or api_key_reaches(key_id=key_id, workplace_id=workplace_id)


def api_check_scope(request: Request, workplace_id: int) -> None:
    if not api_reaches(request, workplace_id):
        raise Http404
