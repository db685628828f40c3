"""근로내용확인신고 page (a daily worker's month on a calendar) and, on its report's page, the
NPS/NHIS acquisition the month calls for.

Mounted from portal.web.urls with one include line; names live in the "portal" namespace.
"""

from __future__ import annotations

import calendar
import re
import uuid
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from filings.deadlines import deadline_for, is_business_day
from filings.models import Report, ReportKind
from filings.selectors import daily_work_prompts, report_get_for
from portal import otp
from portal.access import Action
from portal.models import EmploymentType, Workplace
from portal.request_types import AuthenticatedHttpRequest
from portal.web.forms import DailyWorkForm, SensitiveForm, agency_label
from portal.web.selectors import employees_of
from portal.web.views.common import current_or_none, verified_required
from portal.web.views.filing import report_form_file

# The calendar's weeks start on Sunday, as Korean calendars do.
WEEKDAYS = [
    pgettext_lazy("weekday", "일"),
    pgettext_lazy("weekday", "월"),
    pgettext_lazy("weekday", "화"),
    pgettext_lazy("weekday", "수"),
    pgettext_lazy("weekday", "목"),
    pgettext_lazy("weekday", "금"),
    pgettext_lazy("weekday", "토"),
]
UNVERIFIED = "기준 확인 필요"
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def _last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def _month_of(text: str | None) -> date:
    """The first of the month typed (YYYY-MM); last month when it is not one."""
    matched = _MONTH.fullmatch((text or "").strip())
    return date(int(matched[1]), int(matched[2]), 1) if matched else _last_month()


def _weeks(month: date, checked: set[str]) -> list[list[dict[str, Any] | None]]:
    """The month by week, Sunday first; None for the days of the neighbouring months."""
    weeks = []
    for week in calendar.Calendar(firstweekday=6).monthdayscalendar(month.year, month.month):
        row: list[dict[str, Any] | None] = []
        for column, day in enumerate(week):
            if not day:
                row.append(None)
                continue
            on = month.replace(day=day)
            row.append(
                {
                    "day": day,
                    "checked": str(day) in checked,
                    "sunday": column == 0,
                    "saturday": column == 6,
                    "holiday": column not in (0, 6) and not is_business_day(on),
                }
            )
        weeks.append(row)
    return weeks


def _daily_workers(workplace: Workplace) -> list[Any]:
    return list(
        employees_of(workplace, active_only=True).filter(employment_type=EmploymentType.DAILY)
    )


@verified_required
def daily_work(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = current_or_none(request, Action.FILE)
    if workplace is None:
        return render(request, "portal/no_workplace.html", status=403)
    key = request.POST.get("idempotency_key") or uuid.uuid4().hex
    # "redraw" re-renders the calendar for another month without filing.
    redraw = "redraw" in request.POST
    initial: dict[str, Any] = {
        "employee_id": request.GET.get("employee_id", "")[:20],
        "month": request.GET.get("month", "")[:7] or f"{_last_month():%Y-%m}",
    }
    if redraw:  # what was typed comes back as it was, not checked yet
        initial = {
            name: value for name, value in request.POST.items() if name not in ("days", "otp_token")
        }
    form = DailyWorkForm(None if redraw else request.POST or None, initial=initial)
    workers = _daily_workers(workplace)
    form.set_employees(workers)
    if request.method == "POST" and not redraw and form.is_valid():
        filed = report_form_file(
            request,
            form,
            workplace=workplace,
            data=form.to_data,
            key=key,
            success=_("근로내용확인신고를 접수했습니다. 기관별 처리 상황이 아래에 나타납니다."),
        )
        if filed.response is not None:
            return filed.response
        key = filed.key
    month = _month_of(form["month"].value())
    checked = set(request.POST.getlist("days")) if request.method == "POST" else set()
    return render(
        request,
        "portal/daily_work_form.html",
        {
            "form": form,
            "workplace": workplace,
            "idempotency_key": key,
            "needs_code": not otp.otp_is_fresh(request),
            "month": month,
            "weekdays": WEEKDAYS,
            "weeks": _weeks(month, checked),
            "due": deadline_for(agency="employment", kind="daily_work", event_date=month),
            "has_workers": bool(workers),
        },
    )


# The acquisition a month calls for ---------------------------------------------------------------


def _prompts(report: Report) -> list[dict[str, Any]]:
    if report.kind != ReportKind.DAILY_WORK:
        return []
    return [
        {
            "agency": p.agency,
            "label": agency_label(p.agency),
            "reason": p.reason,
            "acquire_on": p.acquire_on,
            "unverified": UNVERIFIED in p.reason,
        }
        for p in daily_work_prompts(report=report)
    ]


def daily_work_extras(request: AuthenticatedHttpRequest, report: Report) -> dict[str, Any]:
    """What the report page adds for a daily_work report: the acquisition prompts and their form."""
    prompts = _prompts(report)
    if not prompts:
        return {}
    return {
        "acquisition_prompts": prompts,
        "acquire_form": SensitiveForm(),
        "acquire_key": uuid.uuid4().hex,
        "acquire_needs_code": not otp.otp_is_fresh(request),
    }


def _acquisition_data(report: Report, acquire_on: str) -> dict[str, Any]:
    """A hire of the worker already here (filings.builders._acquisition_add_prepare)."""
    data = {
        "kind": ReportKind.HIRE.value,
        "employee_id": report.employee_id,
        "hire_date": acquire_on,
        "monthly_days": report.data.get("work_days"),
        "monthly_wage": report.data.get("wages"),
    }
    hours = Decimal(str(report.data.get("total_hours") or 0))
    if hours:
        # The month's hours as a week's (a month counted as four weeks, as the 60-hour rule
        # is 15 hours a week), so the coverage decision sees what the prompt saw.
        weekly = min((hours / 4).quantize(Decimal("0.1"), rounding=ROUND_UP), Decimal(68))
        data["weekly_hours"] = str(weekly)
    return data


@verified_required
@require_POST
def daily_work_acquire(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    report = report_get_for(request.user, report_id, action=Action.FILE)
    prompts = _prompts(report)
    if not prompts:
        messages.info(
            request, _("더 낼 자격취득 신고가 없습니다. 이미 신고했거나 대상이 아닙니다.")
        )
        return redirect("portal:report_detail", report_id=report.pk)
    key = request.POST.get("idempotency_key") or uuid.uuid4().hex
    form = SensitiveForm(request.POST)
    if form.is_valid():
        filed = report_form_file(
            request,
            form,
            workplace=report.workplace,
            data=lambda: _acquisition_data(report, prompts[0]["acquire_on"]),
            key=key,
            success=_("자격취득 신고를 접수했습니다."),
        )
        if filed.response is not None:
            return filed.response
        key = filed.key
    return render(
        request,
        "portal/daily_work_acquire.html",
        {
            "report": report,
            "acquire_form": form,
            "acquisition_prompts": prompts,
            "acquire_key": key,
            "acquire_needs_code": not otp.otp_is_fresh(request),
        },
    )


urlpatterns = [
    path("file/daily-work/", daily_work, name="daily_work"),
    path(
        "reports/<int:report_id>/daily-work-acquire/",
        daily_work_acquire,
        name="daily_work_acquire",
    ),
]
