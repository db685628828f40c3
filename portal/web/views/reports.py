"""Report list with filters, the detail page with its live per-agency timeline, cancel, correct."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from certificates.models import LateFilingReason, LateFilingStatement
from filings.deadlines import days_left
from filings.lateness import report_lateness
from filings.models import (
    Report,
    ReportEvent,
    ReportStatus,
    Submission,
    SubmissionStatus,
)
from filings.selectors import (
    agency_order,
    outages_for,
    report_actions_possible,
    report_agency_standing,
    report_get_for,
)
from filings.services import report_cancel
from portal.access import Action
from portal.errors import InvalidState
from portal.request_types import AuthenticatedHttpRequest
from portal.web.forms import ReportFilterForm, agency_label
from portal.web.selectors import CURRENT_KEY, reports_filtered, role_allows
from portal.web.views.common import client_ip, current_or_none, verified_required
from portal.web.views.daily_work import daily_work_extras
from portal.web.views.filing import FORMS as CORRECTION_FORMS
from portal.web.views.separation import separation_link

PAGE_SIZE = 50
OPEN_REPORT = {ReportStatus.IN_PROGRESS}
EVENT_LABELS = {
    **dict(SubmissionStatus.choices),
    **dict(ReportStatus.choices),
}


@verified_required
def report_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = current_or_none(request)
    form = ReportFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    reports = reports_filtered(request.user, workplace=workplace, filters=filters)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "portal/_report_rows.html" if request.htmx else "portal/report_list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "workplace": workplace,
            "all_scope": filters.get("scope") == "all",
        },
    )


def _timeline(report: Report) -> dict[str, Any]:
    today = timezone.localdate()
    subs = sorted(
        report.submissions.all(), key=lambda s: (s.action != "file", agency_order(s.agency))
    )
    standing = report_agency_standing(report=report, submissions=subs)
    outages = outages_for(subs)
    cards = []
    for sub in subs:
        cards.append(
            {
                "sub": sub,
                "outage": outages.get(sub.agency) if sub.status == "queued" else None,
                "days_left": days_left(sub.deadline, today) if sub.deadline else None,
                "cancellation": sub.action == Submission.Action.CANCEL,
                "standing": standing.get(sub.agency) if sub.action == "file" else None,
            }
        )
    events = list(ReportEvent.objects.filter(report=report).order_by("at", "id"))
    for event in events:
        # Labels for the template, carried on the rows it iterates.
        event.agency_label = agency_label(event.agency) if event.agency else ""  # type: ignore[attr-defined]  # template-only
        event.status_label = EVENT_LABELS.get(event.status, event.status)  # type: ignore[attr-defined]  # template-only
    live = report.status in OPEN_REPORT or any(not s.is_final for s in subs)
    return {"report": report, "cards": cards, "events": events, "live": live}


def _actions(request: HttpRequest, report: Report) -> dict[str, bool]:
    """Buttons only where the action can succeed (and the user may file here)."""
    may_file = role_allows(request, report.workplace_id, Action.FILE)
    possible = report_actions_possible(report=report, submissions=list(report.submissions.all()))
    # The monthly and annual reports and the 이직확인서 have no correction form here (API only).
    possible["can_correct"] = possible["can_correct"] and report.kind in CORRECTION_FORMS
    return {name: may_file and allowed for name, allowed in possible.items()}


@verified_required
def report_detail(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    report = report_get_for(request.user, report_id)
    # Opening a report of another client makes that client the current workplace (switcher).
    request.session[CURRENT_KEY] = report.workplace_id
    context = {
        **_timeline(report),
        **_actions(request, report),
        "lateness": report_lateness(report=report),
        "late_statements": LateFilingStatement.objects.filter(report=report),
        "late_reasons": LateFilingReason.choices,
        "may_file": role_allows(request, report.workplace_id, Action.FILE),
        **daily_work_extras(request, report),
        "separation_url": separation_link(report),
    }
    return render(request, "portal/report_detail.html", context)


@verified_required
def report_timeline(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    """The htmx poll target: re-rendered every 2 s while anything is still moving."""
    report = report_get_for(request.user, report_id)
    context = {**_timeline(report), **_actions(request, report)}
    return render(request, "portal/_timeline.html", context)


@verified_required
@require_POST
def report_cancel_view(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    report = report_get_for(request.user, report_id, action=Action.FILE)
    try:
        report_cancel(actor=request.user, report=report, ip=client_ip(request))
    except InvalidState as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("취소를 요청했습니다. 기관별 진행 상황은 아래에서 확인하세요."))
    return redirect("portal:report_detail", report_id=report.pk)
