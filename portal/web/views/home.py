"""Dashboard, the workplace switcher and the payroll agent's cross-workplace board."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from filings.selectors import outages_current
from portal.access import Action, workplace_get_for, workplaces_for
from portal.models import Workplace
from portal.request_types import AuthenticatedHttpRequest
from portal.web.selectors import (
    CURRENT_KEY,
    agent_board,
    discrepancy_rows,
    reports_needing_action,
    reports_recent,
)
from portal.web.views.common import current_or_none, verified_required


@verified_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = current_or_none(request)
    if workplace is None:
        return render(request, "portal/no_workplace.html")
    scope = Workplace.objects.filter(pk=workplace.pk)  # already checked by workplace_current
    return render(
        request,
        "portal/dashboard.html",
        {
            "workplace": workplace,
            "needing_action": reports_needing_action(workplaces=scope),
            "recent": reports_recent(workplaces=scope),
            "discrepancies": discrepancy_rows(workplaces=scope),
            "outages": list(outages_current().values()),
            "today": timezone.localdate(),
        },
    )


@verified_required
@require_POST
def workplace_switch(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = workplace_get_for(
        request.user, request.POST.get("workplace", ""), action=Action.VIEW
    )
    request.session[CURRENT_KEY] = workplace.pk
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    # Pages of one workplace (a report, an employee) make no sense after switching.
    if not next_url or "/reports/" in next_url or "/employees/" in next_url:
        return redirect("portal:dashboard")
    return redirect(next_url)


@verified_required
def board(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = agent_board(request)
    return render(
        request,
        "portal/board.html",
        {
            "rows": rows,
            "attention": [r for r in rows if r.needs_attention],
            "quiet": [r for r in rows if not r.needs_attention],
            "discrepancies": discrepancy_rows(workplaces=workplaces_for(request.user)),
            "today": timezone.localdate(),
        },
    )


@verified_required
@require_POST
def board_open(request: AuthenticatedHttpRequest, workplace_id: int) -> HttpResponse:
    """From the board straight into one client's report list (or a fix's form)."""
    workplace = workplace_get_for(request.user, workplace_id, action=Action.VIEW)
    request.session[CURRENT_KEY] = workplace.pk
    # A discrepancy's fix: straight into the prefilled form, on this workplace.
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        return redirect(next_url)
    status = request.POST.get("status", "")
    url = "portal:reports"
    response = redirect(url)
    if status:
        response["Location"] += f"?status={status}"
    return response
