from __future__ import annotations

from django.http import HttpRequest

from notifications.selectors import unread_count as _unread_count


def unread_count(request: HttpRequest) -> dict[str, int]:
    """`notifications_unread` for the header bell; one indexed count per page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_unread": 0}
    return {"notifications_unread": _unread_count(user)}
