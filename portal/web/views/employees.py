"""Employees with masked numbers; the full number only on request, re-verified and logged."""

from __future__ import annotations

from django.contrib.auth import logout
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from filings.selectors import insurance_standing_for
from portal import otp
from portal.access import Action, can
from portal.models import Employee
from portal.request_types import AuthenticatedHttpRequest
from portal.services import PermissionDeniedError, employee_rrn_reveal
from portal.web.selectors import employees_of
from portal.web.views.common import client_ip, current_or_none, verified_required


@verified_required
def employee_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = current_or_none(request)
    if workplace is None:
        return render(request, "portal/no_workplace.html")
    page = Paginator(employees_of(workplace), 50).get_page(request.GET.get("page"))
    standing = insurance_standing_for(employee_ids=[e.pk for e in page.object_list])
    rows = [(e, standing[e.pk]) for e in page.object_list]
    return render(
        request,
        "portal/employees.html",
        {
            "workplace": workplace,
            "page": page,
            "rows": rows,
            "can_reveal": can(request.user, workplace, Action.FILE),
        },
    )


@verified_required
@require_POST
@sensitive_post_parameters("token")
def employee_rrn(request: AuthenticatedHttpRequest, employee_id: int) -> HttpResponse:
    """htmx: the full number if the last code is fresh (or one is given now), else a code prompt."""
    employee = Employee.objects.filter(pk=employee_id).select_related("workplace").first()
    if employee is None or not can(request.user, employee.workplace_id, Action.FILE):
        raise Http404
    error = ""
    if not otp.otp_is_fresh(request):
        token = request.POST.get("token", "").strip()
        if not token or not otp.otp_refresh(request, token):
            if token and otp.account_locked(request, request.user):
                response = HttpResponse(status=429)
                response["HX-Redirect"] = "/"
                logout(request)
                return response
            error = "wrong" if token else ""
            return render(
                request, "portal/_rrn_prompt.html", {"employee": employee, "error": error}
            )
    try:
        full = employee_rrn_reveal(
            user=request.user,
            employee=employee,
            ip=client_ip(request),
            reason=request.POST.get("reason", "")[:200],
        )
    except PermissionDeniedError:
        raise Http404 from None
    return render(request, "portal/_rrn_full.html", {"employee": employee, "full": full})
