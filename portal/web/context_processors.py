"""Navigation data for every portal page, computed only when a template actually uses it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.access import Action
from portal.web.selectors import CURRENT_KEY, role_allows, workplace_choices


def portal_nav(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def nav() -> dict[str, Any]:
        choices = workplace_choices(request)
        current = request.session.get(CURRENT_KEY)
        ids = {wid for wid, _ in choices}
        if current not in ids:
            current = choices[0][0] if choices else None
        return {
            "workplaces": choices,
            "current_id": current,
            "many": len(choices) > 1,
            "is_owner": bool(current and role_allows(request, current, Action.MANAGE)),
            "can_file": bool(current and role_allows(request, current, Action.FILE)),
        }

    return {"portal_nav": SimpleLazyObject(nav)}
