"""Request types for type checking: what the middleware and the sign-in gates guarantee.

Nothing here changes a request at run time; the classes only tell mypy what is already true:

- every portal request went through django_htmx's HtmxMiddleware, which sets `request.htmx`;
- a view behind `verified_required` or `login_required` runs for a signed-in account only, so
  its `request.user` is a `User`, never the anonymous visitor.

(The API's counterpart is portal.api.access.api_caller, which checks at run time.)
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class PortalHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(PortalHttpRequest):
    user: User
