import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    """Pages of signed-in users show personal data: never let a browser or proxy cache them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.setdefault("Cache-Control", "no-store")
        return response


class SessionRefreshMiddleware:
    """The idle timeout slides with use, written at most once a SESSION_REFRESH_SECONDS.

    Saving the session on every request (Django's SESSION_SAVE_EVERY_REQUEST) made every page a
    database write. Marking it modified when the last refresh is older than a minute keeps the
    30-minute idle rule (the session may end up to that minute early, never late)."""

    KEY = "_refreshed_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.every = int(getattr(settings, "SESSION_REFRESH_SECONDS", 60))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(self.KEY, 0)) >= self.every:
                session[self.KEY] = now
        return response
