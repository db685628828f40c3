"""Second factor: TOTP enrolment and checks, hashed backup codes, freshness for sensitive actions.

Sign-in is two steps. The password step only remembers a *pending* user in the session; Django's
login() runs after the second factor, so no page (nor the admin) ever sees a user who passed the
password alone, and axes' reset-on-success only fires once both factors passed.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model, login
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.middleware import is_verified as otp_device_verified
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import BackupCode
from portal.request_types import AuthenticatedHttpRequest

PENDING_KEY = "pre2fa"
VERIFIED_AT_KEY = "otp_verified_at"
PENDING_MAX_AGE = 5 * 60
FRESH_SECONDS = 10 * 60
BACKUP_CODE_COUNT = 10
# No 0/o/1/l/i: codes are read off paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_BACKUP_ITERATIONS = 120_000


# Pending sign-in (password passed, second factor not yet) --------------------------------------


def pending_begin(request: HttpRequest, user: User, *, next_url: str = "") -> None:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "uid": user.pk,
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "at": int(time.time()),
        "next": next_url,
    }


def pending_next(request: HttpRequest) -> str:
    return (request.session.get(PENDING_KEY) or {}).get("next", "")


def pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        return None
    user = get_user_model().objects.filter(pk=pending["uid"], is_active=True).first()
    if user is not None:
        # What authenticate() would have set; login() reads it back (signin_complete).
        user.backend = pending["backend"]  # type: ignore[attr-defined]  # ad hoc, as Django does
    return user


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def signin_complete(request: HttpRequest, user: User, device: TOTPDevice) -> None:
    """Both factors passed: real login, device bound to the session, freshness stamped."""
    pending_clear(request)
    login(request, user, backend=getattr(user, "backend", None))
    otp_login(request, device)
    verified_mark(request)


# Devices ----------------------------------------------------------------------------------------


def totp_device_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def totp_enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device shown as a QR code until the user proves they scanned it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, micro=False).svg_inline(scale=4, border=2)


def totp_secret_b32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_enrol_confirm(*, device: TOTPDevice, token: str) -> bool:
    if not _token_shape_ok(token) or not device.verify_token(token.strip()):
        return False
    TOTPDevice.objects.filter(user=device.user, confirmed=False).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def _token_shape_ok(token: str) -> bool:
    return bool(token) and len(token.strip()) <= 20


# Backup codes -----------------------------------------------------------------------------------


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def _hash(secret: str) -> str:
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(secret, hasher.salt(), iterations=_BACKUP_ITERATIONS)


def backup_codes_issue(*, user: User) -> list[str]:
    """Replace the user's backup codes with ten new ones; the plain codes exist only here."""
    codes: list[str] = []
    rows: list[BackupCode] = []
    selectors: set[str] = set()
    while len(rows) < BACKUP_CODE_COUNT:
        selector = _random(4)
        if selector in selectors:
            continue
        selectors.add(selector)
        secret = _random(8)
        codes.append(f"{selector}-{secret[:4]}-{secret[4:]}")
        rows.append(BackupCode(user=user, selector=selector, secret_hash=_hash(secret)))
    with transaction.atomic():
        BackupCode.objects.filter(user=user).delete()
        BackupCode.objects.bulk_create(rows)
    return codes


def backup_codes_left(*, user: User) -> int:
    return BackupCode.objects.filter(user=user, used_at__isnull=True).count()


def backup_code_use(*, user: User, code: str) -> bool:
    """True once per code: the row is marked used by a conditional update (no double spend)."""
    cleaned = "".join(c for c in code.lower() if c.isalnum())
    if len(cleaned) != 12:
        return False
    selector, secret = cleaned[:4], cleaned[4:]
    row = BackupCode.objects.filter(user=user, selector=selector, used_at__isnull=True).first()
    if row is None or not PBKDF2PasswordHasher().verify(secret, row.secret_hash):
        return False
    return bool(
        BackupCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now())
    )


# Verification with lockout ----------------------------------------------------------------------


def _looks_like_backup(token: str) -> bool:
    return len("".join(c for c in token if c.isalnum())) == 12


def second_factor_check(request: HttpRequest, *, user: User, token: str) -> TOTPDevice | None:
    """Check a TOTP or backup code; a failure counts towards the account lockout (axes)."""
    device = totp_device_for(user)
    token = (token or "").strip()
    ok = False
    if device is not None and _token_shape_ok(token):
        if _looks_like_backup(token):
            ok = backup_code_use(user=user, code=token)
        else:
            # verify_token refuses an already used time step (last_t) and throttles guessing.
            ok = device.verify_token(token.replace(" ", ""))
    if ok:
        return device
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username()},
        request=request,
    )
    return None


def account_locked(request: HttpRequest, user: User) -> bool:
    return AxesProxyHandler.is_locked(request, credentials={"username": user.get_username()})


def user_is_verified(user: User | AnonymousUser) -> bool:
    """Signed in with both factors: OTPMiddleware bound a device to this session's user."""
    return user.is_authenticated and bool(otp_device_verified(user))


# Freshness for sensitive actions ----------------------------------------------------------------


def verified_mark(request: HttpRequest) -> None:
    request.session[VERIFIED_AT_KEY] = int(time.time())


def otp_is_fresh(request: HttpRequest) -> bool:
    at = request.session.get(VERIFIED_AT_KEY)
    return at is not None and time.time() - float(at) < FRESH_SECONDS


def otp_refresh(request: AuthenticatedHttpRequest, token: str) -> bool:
    """Re-verify a signed-in user for a sensitive action; True stamps the session fresh."""
    if second_factor_check(request, user=request.user, token=token) is None:
        return False
    verified_mark(request)
    return True


def otp_fresh_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For GET-reachable sensitive pages: send the user to re-enter a code, then come back."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not otp_is_fresh(request):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('portal:otp_reverify')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper


# Admin guard ------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _admin_prefix(script_prefix: str) -> str:
    # reverse() costs ~0.1 ms; the answer only changes with the script prefix (the cache key).
    return reverse("admin:index")


class AdminSecondFactorMiddleware:
    """The admin is reached only through the portal's two-step sign-in (never password alone)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin = request.path.startswith(_admin_prefix(get_script_prefix()))
        if admin and not user_is_verified(request.user):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('portal:login')}?{query}")
        return self.get_response(request)
