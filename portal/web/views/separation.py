"""이직확인서 page: for an exit that can give unemployment benefit, the wage months and days the
근로복지공단 asks for, prefilled from the portal's data (filings.separation).

Mounted from portal.web.urls with one include line; names live in the "portal" namespace.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from filings.models import Report, ReportKind
from filings.separation import BENEFIT_REASONS, separation_prefill
from portal import otp
from portal.access import Action
from portal.models import Employee, Workplace
from portal.request_types import AuthenticatedHttpRequest
from portal.web.forms import SeparationForm
from portal.web.selectors import employees_of
from portal.web.views.common import current_or_none, verified_required
from portal.web.views.filing import report_form_file


def separation_link(report: Report) -> str:
    """The 이직확인서 page for a standing exit whose EI reason can give benefit; '' otherwise."""
    data = report.data or {}
    if report.kind != ReportKind.EXIT or data.get("reason_code") not in BENEFIT_REASONS:
        return ""
    if report.cancelled_at or report.corrected_at:
        return ""
    query = {
        "employee_id": report.employee_id,
        "last_working_day": data.get("last_working_day") or "",
        "reason_code": data["reason_code"],
    }
    return f"{reverse('portal:separation')}?{urlencode(query)}"


def _initial(source: QueryDict, workplace: Workplace) -> dict[str, Any]:
    """The draft for the employee (and last working day, reason) in `source`."""
    raw_id = source.get("employee_id", "")
    employee = (
        Employee.objects.filter(pk=int(raw_id), workplace=workplace).first()
        if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 19
        else None
    )
    reason = source.get("reason_code", "")
    initial: dict[str, Any] = {"reason_code": reason if reason in BENEFIT_REASONS else ""}
    if employee is None:
        return initial
    try:
        last_day = date.fromisoformat(source.get("last_working_day", ""))
    except ValueError:
        last_day = employee.last_working_day or (timezone.localdate() - timedelta(days=1))
    initial.update(employee_id=str(employee.pk), last_working_day=last_day.isoformat())
    if employee.hire_date and last_day < employee.hire_date:
        return initial  # the filing names the problem next to the field
    draft = separation_prefill(employee=employee, last_working_day=last_day)
    initial.update(daily_hours=draft["daily_hours"], insured_days=draft["insured_days"])
    for i, month in enumerate(draft["wage_months"]):
        initial.update({f"wm{i}_{part}": month[part] for part in SeparationForm.WAGE_PARTS})
    return initial


@verified_required
def separation(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = current_or_none(request, Action.FILE)
    if workplace is None:
        return render(request, "portal/no_workplace.html", status=403)
    key = request.POST.get("idempotency_key") or uuid.uuid4().hex
    # "prefill" fills the form again for the employee and day chosen, without filing.
    refill = "prefill" in request.POST
    source = request.POST if refill else request.GET
    posted = request.POST if request.method == "POST" and not refill else None
    form = SeparationForm(posted, initial=_initial(source, workplace))
    form.set_employees(list(employees_of(workplace)))
    if posted is not None and form.is_valid():
        filed = report_form_file(
            request,
            form,
            workplace=workplace,
            data=form.to_data,
            key=key,
            success=_("이직확인서를 접수했습니다."),
        )
        if filed.response is not None:
            return filed.response
        key = filed.key
    return render(
        request,
        "portal/separation_form.html",
        {
            "form": form,
            "workplace": workplace,
            "idempotency_key": key,
            "needs_code": not otp.otp_is_fresh(request),
        },
    )


urlpatterns = [path("file/separation/", separation, name="separation")]
