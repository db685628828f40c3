"""Portal pages: notification centre, preferences, a workplace's deadline board and draft events."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.forms import DraftEventForm, PreferenceForm
from notifications.models import DraftEvent
from portal.access import Action, can, workplace_get_for
from portal.request_types import AuthenticatedHttpRequest


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@login_required
def centre(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/centre.html", {"page": page})


@login_required
@require_POST
def read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=request.user)
    return redirect("notifications:centre")


@login_required
@require_POST
def open_one(request: AuthenticatedHttpRequest, notification_id: int) -> HttpResponse:
    found = services.notification_mark_read(user=request.user, notification_id=notification_id)
    if found is None:
        raise Http404
    if found.url and url_has_allowed_host_and_scheme(
        found.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(found.url)
    return redirect("notifications:centre")


@login_required
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = selectors.preference_for(request.user)
    form = PreferenceForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.preference_update(
            user=request.user,
            email=form.cleaned_data["email"],
            in_portal=form.cleaned_data["in_portal"],
            digest=form.cleaned_data["digest"],
        )
        messages.success(request, _("알림 설정을 저장했습니다."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@login_required
def deadlines(request: AuthenticatedHttpRequest, workplace_id: int) -> HttpResponse:
    workplace = workplace_get_for(request.user, workplace_id, action=Action.VIEW)
    may_file = can(request.user, workplace, Action.FILE)
    form = DraftEventForm(request.POST or None)
    new_rows: list[selectors.DeadlineRow] = []
    today = timezone.localdate()
    if request.method == "POST":
        if not may_file:
            raise Http404
        if form.is_valid():
            draft = services.draft_event_create(
                actor=request.user,
                workplace=workplace,
                kind=form.cleaned_data["kind"],
                event_date=form.cleaned_data["event_date"],
                employee_name=form.cleaned_data["employee_name"],
                ip=_ip(request),
            )
            new_rows = selectors.draft_rows(draft, today=today, closures=selectors.closure_dates())
            form = DraftEventForm()
    rows = selectors.workplace_deadlines(workplace_id=workplace.pk, today=today)
    context = {
        "workplace": workplace,
        "rows": rows,
        "new_rows": new_rows,
        "form": form,
        "may_file": may_file,
    }
    return render(request, "notifications/deadlines.html", context)


@login_required
@require_POST
def draft_cancel(request: AuthenticatedHttpRequest, draft_id: int) -> HttpResponse:
    draft = get_object_or_404(DraftEvent, pk=draft_id)
    workplace_get_for(request.user, draft.workplace_id, action=Action.FILE)
    services.draft_event_cancel(actor=request.user, draft=draft, ip=_ip(request))
    messages.success(request, _("입사·퇴사 예정 건을 취소했습니다."))
    return redirect("notifications:deadlines", workplace_id=draft.workplace_id)
