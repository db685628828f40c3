"""보수총액신고 page: the year's drafts per person, edited month by month, filed all at once (or,
on any error, not at all, the errors shown on their row and month).

Mounted from portal.web.urls with one include line; names live in the "portal" namespace.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from filings.annual_wage import FIRST_YEAR, annual_wage_prefill
from filings.deadlines import deadline_for
from filings.models import Report, ReportKind, ReportStatus
from filings.services import annual_wage_reports_file
from portal import otp
from portal.access import Action
from portal.errors import FieldErrors
from portal.models import Workplace
from portal.request_types import AuthenticatedHttpRequest
from portal.web.forms import AnnualWageForm, agency_label
from portal.web.views.common import client_ip, current_or_none, fresh_code_ok, verified_required

YEARS_SHOWN = 6
_PERSON = re.compile(r"people\[(\d+)\]\.(.+)")
_MONTH = re.compile(r"months\[(\d+)\]\..+")


def _year(raw: str | None) -> int:
    """The year asked for, last year by default (the report is due in March)."""
    this_year = timezone.localdate().year
    year = int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) == 4 else this_year - 1
    return year if FIRST_YEAR <= year <= this_year else this_year - 1


def _filed(workplace: Workplace, year: int) -> dict[int, int]:
    """employee id -> their report of `year` already filed (and not refused or withdrawn)."""
    return dict(
        Report.objects.filter(
            workplace=workplace,
            kind=ReportKind.ANNUAL_WAGE,
            data__year=year,
            status__in=[ReportStatus.IN_PROGRESS, ReportStatus.COMPLETED],
        ).values_list("employee_id", "pk")
    )


def _errors_by_row(
    exc: FieldErrors, people: list[dict[str, Any]]
) -> tuple[dict[Any, list[tuple[str, str]]], list[str]]:
    """people[i].<field> -> (employee id, field) or, for a month, (employee id, month), each with
    (the service's field name, message); anything else is for the whole page."""
    by_row: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    page: list[str] = []
    for key, items in exc.fields.items():
        matched = _PERSON.fullmatch(key)
        if matched is None or int(matched[1]) >= len(people):
            page.extend(message for _rule, message in items)
            continue
        person = people[int(matched[1])]
        rest = matched[2]
        month = _MONTH.fullmatch(rest)
        if month and int(month[1]) < len(person["months"]):
            where: tuple[int, str] = (
                person["employee_id"],
                person["months"][int(month[1])]["month"],
            )
        else:
            where = (person["employee_id"], "total" if rest == "total_wages" else "row")
        by_row[where].extend((key, message) for _rule, message in items)
    return by_row, page


def _int(text: str) -> int | None:
    text = text.replace(",", "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 16 else None


def _rows(
    drafts: list[dict[str, Any]],
    form: AnnualWageForm,
    errors: dict[Any, list[tuple[str, str]]],
    filed: dict[int, int],
) -> list[dict[str, Any]]:
    posted = form.is_bound
    included = form.included()
    rows = []
    for draft in drafts:
        pk = draft["employee_id"]
        months = []
        for m in draft["months"]:
            value = form.value_of(draft, m["month"]) if posted else f"{m['wages']}"
            months.append(
                {
                    "month": m["month"],
                    "label": int(m["month"][5:]),
                    "value": value,
                    "errors": errors.get((pk, m["month"]), []),
                }
            )
        months_sum = sum(_int(m["value"]) or 0 for m in months)
        drafted_sum = sum(m["wages"] for m in draft["months"])
        # A draft's total differs from its months' sum when an exit report gave the year's total.
        total = form.data.get(f"t-{pk}", "") if posted else ""
        if not posted and draft["total_wages"] != drafted_sum:
            total = f"{draft['total_wages']}"
        rows.append(
            {
                "draft": draft,
                "agencies": " · ".join(agency_label(a) for a in draft["agencies"]),
                "included": str(pk) in included if posted else pk not in filed,
                "filed_id": filed.get(pk),
                "months": months,
                "months_sum": months_sum,
                "total": total,
                "total_errors": errors.get((pk, "total"), []),
                "row_errors": errors.get((pk, "row"), []),
            }
        )
    return rows


def _deadlines(year: int) -> list[Any]:
    return [
        deadline_for(agency=agency, kind="annual_wage", event_date=date(year, 12, 31))
        for agency in ("health", "employment")
    ]


@verified_required
def annual_wage(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = current_or_none(request, Action.FILE)
    if workplace is None:
        return render(request, "portal/no_workplace.html", status=403)
    year = _year(request.POST.get("year") or request.GET.get("year"))
    drafts = annual_wage_prefill(workplace=workplace, year=year)
    posted: QueryDict | None = request.POST if request.method == "POST" else None
    form = AnnualWageForm(posted, initial={"year": year})
    errors: dict[Any, list[tuple[str, str]]] = {}
    # "recalc" shows the sums of what was typed without filing.
    if posted is not None and "recalc" not in posted and form.is_valid():
        fresh = fresh_code_ok(request, form)
        if isinstance(fresh, HttpResponse):
            return fresh
        if fresh:
            people = form.people(drafts)
            try:
                reports = annual_wage_reports_file(
                    actor=request.user,
                    workplace=workplace,
                    year=year,
                    people=people,
                    ip=client_ip(request),
                )
            except FieldErrors as exc:
                errors, page_errors = _errors_by_row(exc, people)
                for message in page_errors:
                    form.add_error(None, message)
                form.add_error(None, _("오류가 있어 아무것도 신고하지 않았습니다."))
            else:
                count = len(reports)
                messages.success(
                    request,
                    ngettext(
                        "%(n)s명의 보수총액신고를 접수했습니다.",
                        "%(n)s명의 보수총액신고를 접수했습니다.",
                        count,
                    )
                    % {"n": count},
                )
                return redirect(f"{reverse('portal:reports')}?kind={ReportKind.ANNUAL_WAGE.value}")
    this_year = timezone.localdate().year
    return render(
        request,
        "portal/annual_wage.html",
        {
            "workplace": workplace,
            "form": form,
            "year": year,
            "years": range(this_year, max(FIRST_YEAR, this_year - YEARS_SHOWN) - 1, -1),
            "rows": _rows(drafts, form, errors, _filed(workplace, year)),
            "deadlines": _deadlines(year),
            "needs_code": not otp.otp_is_fresh(request),
        },
    )


urlpatterns = [path("file/annual-wage/", annual_wage, name="annual_wage")]
