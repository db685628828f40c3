"""Helpers every portal view uses: the two-factor gate, the current workplace, the client IP."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, cast
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from portal import otp
from portal.access import Action
from portal.models import Workplace
from portal.request_types import AuthenticatedHttpRequest, PortalHttpRequest
from portal.web.forms import SensitiveForm
from portal.web.selectors import workplace_current

P = ParamSpec("P")


def verified_required(
    view: Callable[Concatenate[AuthenticatedHttpRequest, P], HttpResponse],
) -> Callable[Concatenate[PortalHttpRequest, P], HttpResponse]:
    """Signed in with both factors (a password-only session never reaches a portal page)."""

    @wraps(view)
    def wrapper(request: PortalHttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and otp.user_is_verified(user)):
            query = urlencode({"next": request.get_full_path()})
            response = HttpResponseRedirect(f"{reverse('portal:login')}?{query}")
            if request.htmx:
                response["HX-Redirect"] = response.url
            return response
        # Checked just above: the user is a signed-in account.
        return view(cast(AuthenticatedHttpRequest, request), *args, **kwargs)

    return wrapper


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def current_or_none(request: HttpRequest, action: Action = Action.VIEW) -> Workplace | None:
    return workplace_current(request, action=action)


def no_workplace(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/no_workplace.html", status=200)


def fresh_code_ok(request: AuthenticatedHttpRequest, form: SensitiveForm) -> bool | HttpResponse:
    """True if the last code is recent or the form carries a good one; else an error on the field.

    Returns a response when the account just got locked (the user is signed out).
    """
    if otp.otp_is_fresh(request):
        return True
    token = (form.cleaned_data.get("otp_token") or "").strip()
    if not token:
        form.add_error(
            "otp_token", _("마지막 인증 후 10분이 지났습니다. 인증 코드를 다시 입력해 주세요.")
        )
        return False
    if otp.otp_refresh(request, token):
        return True
    if otp.account_locked(request, request.user):
        logout(request)
        return render(request, "portal/locked.html", status=429)
    form.add_error("otp_token", _("인증 코드가 맞지 않거나 이미 사용한 코드입니다."))
    return False
