from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.request import Request


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class AuthenticatedRequest(Request):
    user: User


def f(r: AuthenticatedRequest, h: AuthenticatedHttpRequest) -> None:
    reveal_type(r.user)
    reveal_type(h.user)


def g(r: Request) -> User:
    u = r.user
    if not u.is_authenticated:
        raise ValueError
    reveal_type(u)
    return u
