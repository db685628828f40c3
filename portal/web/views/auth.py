"""Sign-in in two steps (password, then TOTP or a backup code), enrolment, re-verification."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from portal import otp
from portal.request_types import AuthenticatedHttpRequest
from portal.web.forms import OtpForm


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("portal:dashboard")


class LoginView(auth_views.LoginView):
    """Step 1: the password. Success only marks the session pending; no login() yet."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        otp.pending_begin(self.request, user, next_url=self.get_redirect_url())
        if otp.totp_device_for(user) is None:
            return redirect("portal:otp_enrol")
        return redirect("portal:otp_verify")


def _locked(request: HttpRequest) -> HttpResponse:
    otp.pending_clear(request)
    return render(request, "portal/locked.html", status=429)


@sensitive_post_parameters("token")
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: a code from the authenticator app, or one backup code."""
    user = otp.pending_user(request)
    if user is None:
        return redirect("portal:login")
    if otp.totp_device_for(user) is None:
        return redirect("portal:otp_enrol")
    if otp.account_locked(request, user):
        return _locked(request)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = otp.second_factor_check(request, user=user, token=form.cleaned_data["token"])
        if device is not None:
            next_url = otp.pending_next(request)
            otp.signin_complete(request, user, device)
            return HttpResponseRedirect(_safe_next(request, next_url))
        if otp.account_locked(request, user):
            return _locked(request)
        form.add_error("token", _("인증 코드가 맞지 않거나 이미 사용한 코드입니다."))
    return render(request, "portal/otp_verify.html", {"form": form})


@sensitive_post_parameters("token")
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan the QR code, prove it with one code, receive ten backup codes once."""
    user = otp.pending_user(request)
    if user is None:
        return redirect("portal:login")
    if otp.totp_device_for(user) is not None:
        return redirect("portal:otp_verify")
    if otp.account_locked(request, user):
        return _locked(request)
    device = otp.totp_enrolment_device(user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.totp_enrol_confirm(device=device, token=form.cleaned_data["token"]):
            next_url = otp.pending_next(request)
            otp.signin_complete(request, user, device)
            codes = otp.backup_codes_issue(user=user)
            return render(
                request,
                "portal/backup_codes.html",
                {"codes": codes, "next": _safe_next(request, next_url)},
            )
        otp.second_factor_check(request, user=user, token="")  # count the failure
        if otp.account_locked(request, user):
            return _locked(request)
        form.add_error(
            "token", _("인증 코드가 맞지 않습니다. 앱에 표시된 6자리 숫자를 입력해 주세요.")
        )
    return render(
        request,
        "portal/otp_enrol.html",
        {
            "form": form,
            "qr_svg": otp.totp_qr_svg(device),
            "secret": otp.totp_secret_b32(device),
        },
    )


@login_required
@sensitive_post_parameters("token")
def otp_reverify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Fresh code for a sensitive action reached by a link (the certificates pages use it)."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.otp_refresh(request, form.cleaned_data["token"]):
            return HttpResponseRedirect(next_url)
        if otp.account_locked(request, request.user):
            logout(request)
            return render(request, "portal/locked.html", status=429)
        form.add_error("token", _("인증 코드가 맞지 않거나 이미 사용한 코드입니다."))
    return render(request, "portal/otp_reverify.html", {"form": form, "next": next_url})


@login_required
def backup_codes_renew(request: AuthenticatedHttpRequest) -> HttpResponse:
    """New set of backup codes (the old ones stop working); needs a fresh code."""
    if request.method == "POST":
        form = OtpForm(request.POST)
        if otp.otp_is_fresh(request) or (
            form.is_valid() and otp.otp_refresh(request, form.cleaned_data["token"])
        ):
            codes = otp.backup_codes_issue(user=request.user)
            return render(
                request,
                "portal/backup_codes.html",
                {"codes": codes, "next": reverse("portal:dashboard")},
            )
        if otp.account_locked(request, request.user):
            logout(request)
            return render(request, "portal/locked.html", status=429)
        form.add_error("token", _("인증 코드가 맞지 않거나 이미 사용한 코드입니다."))
    else:
        form = OtpForm()
    return render(
        request,
        "portal/account.html",
        {
            "form": form,
            "fresh": otp.otp_is_fresh(request),
            "codes_left": otp.backup_codes_left(user=request.user),
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:login")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset.html"
    email_template_name = "portal/password_reset_email.txt"
    subject_template_name = "portal/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    # Never log in after a reset: the next sign-in still asks for the second factor.
    post_reset_login = False
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"
