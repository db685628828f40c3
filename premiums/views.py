"""Portal pages: a workplace's monthly bill (with exports) and the premium quote form."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.access import Action, workplace_get_for, workplaces_for
from portal.errors import FieldErrors
from portal.request_types import AuthenticatedHttpRequest
from premiums.billing import month_parse, months_before
from premiums.forms import QuoteForm
from premiums.models import Bill
from premiums.rates import RateBook
from premiums.selectors import bill_lines, bill_summary, line_trace, premium_quote_for
from premiums.services import bill_compute, bill_ensure

EXPORT_COLUMNS: list[tuple[str, str]] = [
    ("성명", "name"),
    ("보수월액", "monthly_wage"),
    ("기준소득월액", "pension_base"),
    ("국민연금 근로자", "pension_employee"),
    ("국민연금 사업주", "pension_employer"),
    ("건강보험 근로자", "health_employee"),
    ("건강보험 사업주", "health_employer"),
    ("장기요양 근로자", "long_term_care_employee"),
    ("장기요양 사업주", "long_term_care_employer"),
    ("고용보험 근로자", "employment_employee"),
    ("고용보험 사업주", "employment_employer"),
    ("산재보험 사업주", "industrial_accident_employer"),
    ("근로자 합계", "employee_total"),
    ("사업주 합계", "employer_total"),
    ("두루누리 국민연금 지원(근로자)", "pension_subsidy_employee"),
    ("두루누리 국민연금 지원(사업주)", "pension_subsidy_employer"),
    ("두루누리 고용보험 지원(근로자)", "employment_subsidy_employee"),
    ("두루누리 고용보험 지원(사업주)", "employment_subsidy_employer"),
    ("두루누리 지원 사유", "subsidy_reason"),
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _month_or_404(month: str) -> date:
    first_day = month_parse(month)
    if first_day is None:
        raise Http404
    return first_day


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@login_required
@require_safe
def bill_current(request: HttpRequest, workplace_id: int) -> HttpResponse:
    workplace_get_for(request.user, workplace_id, action=Action.VIEW)
    month = timezone.localdate().replace(day=1)
    return redirect("premiums:bill", workplace_id=workplace_id, month=f"{month:%Y-%m}")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def bill_detail(request: AuthenticatedHttpRequest, workplace_id: int, month: str) -> HttpResponse:
    workplace = workplace_get_for(request.user, workplace_id, action=Action.VIEW)
    first_day = _month_or_404(month)
    around = {
        "previous": f"{months_before(first_day, 1):%Y-%m}",
        "next": f"{months_before(first_day, -1):%Y-%m}",
    }
    try:
        if request.method == "POST":
            bill_compute(workplace=workplace, month=first_day, actor=request.user, ip=_ip(request))
            messages.success(request, _("보험료를 다시 계산했습니다."))
            return redirect("premiums:bill", workplace_id=workplace.pk, month=month)
        bill = bill_ensure(workplace=workplace, month=first_day, actor=request.user)
    except FieldErrors as exc:
        return render(
            request,
            "premiums/bill.html",
            {"workplace": workplace, "month": first_day, "errors": exc.messages(), **around},
            status=400,
        )
    rates = RateBook.from_db()
    lines = bill_lines(bill=bill)
    rows = [
        {"line": line, "trace": line_trace(line=line, month=first_day, rates=rates)}
        for line in lines
    ]
    context: dict[str, Any] = {
        "workplace": workplace,
        "month": first_day,
        "bill": bill,
        "rows": rows,
        "summary": bill_summary(bill=bill),
        "stale": bill.schedule_version != rates.version,
        **around,
    }
    return render(request, "premiums/bill.html", context)


def _export_rows(bill: Bill) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for line in bill_lines(bill=bill):
        row = []
        for _label, attr in EXPORT_COLUMNS:
            value = line.employee.name if attr == "name" else getattr(line, attr)
            if isinstance(value, str) and value.startswith(_FORMULA_START):
                # A name like "=HYPERLINK(...)" must stay text in a spreadsheet.
                value = "'" + value
            row.append(value)
        rows.append(row)
    return rows


def _export_bill(
    request: AuthenticatedHttpRequest, workplace_id: int, month: str
) -> tuple[Bill, str]:
    workplace = workplace_get_for(request.user, workplace_id, action=Action.VIEW)
    first_day = _month_or_404(month)
    try:
        bill = bill_ensure(workplace=workplace, month=first_day, actor=request.user)
    except FieldErrors as exc:
        raise Http404 from exc
    return bill, f"premiums-{workplace.management_number}-{first_day:%Y-%m}"


@login_required
@require_safe
def bill_csv(request: AuthenticatedHttpRequest, workplace_id: int, month: str) -> HttpResponse:
    bill, stem = _export_bill(request, workplace_id, month)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for label, _attr in EXPORT_COLUMNS])
    writer.writerows(_export_rows(bill))
    # BOM so spreadsheet programs open the Korean headers as UTF-8.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response


@login_required
@require_safe
def bill_xlsx(request: AuthenticatedHttpRequest, workplace_id: int, month: str) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    bill, stem = _export_bill(request, workplace_id, month)
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook opens on one worksheet
    sheet.title = f"{bill.month:%Y-%m}"
    sheet.append([label for label, _attr in EXPORT_COLUMNS])
    for row in _export_rows(bill):
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2, min_col=2, max_col=len(EXPORT_COLUMNS) - 1):
        for cell in cells:
            cell.number_format = "#,##0"
    sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response


@login_required
@require_safe
def quote(request: HttpRequest) -> HttpResponse:
    workplaces = workplaces_for(request.user, action=Action.VIEW)
    form = QuoteForm(request.GET or None, workplaces=workplaces)
    result = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = premium_quote_for(
                monthly_wage=data["monthly_wage"],
                month=data["month"],
                workplace=data.get("workplace"),
                birth_date=data.get("birth_date"),
                hire_date=data.get("hire_date"),
                employment_band=data.get("employment_band") or None,
            )
        except FieldErrors as exc:
            for field, errors in exc.messages().items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
    return render(request, "premiums/quote.html", {"form": form, "result": result})
