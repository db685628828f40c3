"""Filing forms: hire (with a live coverage preview), exit, pay change, workplace reports, and
the correction of any of them. Every submit asks for a fresh code when the last is stale."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies.codes import EI_LOSS_REASONS, NHIS_LOSS_CODES, NPS_LOSS_CODES, loss_codes_for
from filings.coverage import (
    EMPLOYMENT_TYPES,
    CoverageInput,
    contract_full_months,
    coverage_decide,
)
from filings.models import Report, ReportKind
from filings.selectors import report_get_for
from filings.services import report_correct, report_file
from portal import otp
from portal.access import Action
from portal.errors import FieldErrors, IdempotencyKeyMismatch, InvalidState
from portal.identifiers import IdentifierError, person_number_parse
from portal.models import Employee, Workplace
from portal.request_types import AuthenticatedHttpRequest
from portal.web.forms import (
    ExitForm,
    HireForm,
    PayChangeForm,
    SensitiveForm,
    WorkplaceChangeForm,
    WorkplaceClosureForm,
    WorkplaceRegistrationForm,
    agency_label,
)
from portal.web.selectors import employees_of
from portal.web.views.common import client_ip, current_or_none, fresh_code_ok, verified_required

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

FORMS: dict[str, type[SensitiveForm]] = {
    ReportKind.HIRE: HireForm,
    ReportKind.EXIT: ExitForm,
    ReportKind.PAY_CHANGE: PayChangeForm,
    ReportKind.WORKPLACE_REGISTRATION: WorkplaceRegistrationForm,
    ReportKind.WORKPLACE_CHANGE: WorkplaceChangeForm,
    ReportKind.WORKPLACE_CLOSURE: WorkplaceClosureForm,
}
TITLES: dict[str, StrPromise] = {
    ReportKind.HIRE: gettext_lazy("입사(자격취득) 신고"),
    ReportKind.EXIT: gettext_lazy("퇴사(자격상실) 신고"),
    ReportKind.PAY_CHANGE: gettext_lazy("보수월액 변경 신고"),
    ReportKind.WORKPLACE_REGISTRATION: gettext_lazy("사업장 성립(적용) 신고"),
    ReportKind.WORKPLACE_CHANGE: gettext_lazy("사업장 내용변경 신고"),
    ReportKind.WORKPLACE_CLOSURE: gettext_lazy("사업장 탈퇴(소멸) 신고"),
}


def _form_for(kind: str, workplace: Workplace, data: Any = None, initial: Any = None) -> Any:
    form = FORMS[kind](data, initial=initial)
    if hasattr(form, "set_employees"):
        form.set_employees(list(employees_of(workplace, active_only=True)))
    return form


# What a link may prefill (a discrepancy's fix): ids, dates and a wage; never a resident number.
PREFILL_FIELDS = ("employee_id", "hire_date", "last_working_day", "effective_date", "monthly_wage")


def _prefill(request: AuthenticatedHttpRequest) -> dict[str, str]:
    """Initial values from the query string of a GET (a form that was posted keeps its own)."""
    if request.method != "GET":
        return {}
    return {
        name: value[:20] for name in PREFILL_FIELDS if (value := request.GET.get(name, "").strip())
    }


def _data_of(form: Any, kind: str, workplace: Workplace) -> dict[str, Any]:
    if kind == ReportKind.WORKPLACE_CHANGE:
        return form.to_data(workplace)
    return form.to_data()


@dataclass
class Filed:
    """What filing a posted form came to: a page to answer with (the report, or a fresh-code
    prompt), or None to show the form again (with its errors); and the idempotency key the
    form carries on with."""

    response: HttpResponse | None
    key: str


def report_form_file(
    request: AuthenticatedHttpRequest,
    form: Any,
    *,
    workplace: Workplace,
    data: Callable[[], dict[str, Any]],
    key: str,
    success: str,
) -> Filed:
    """File a valid form's report once the user's code is fresh: the one way every filing page
    files. Service errors go onto the form; a replayed key with other content gets a new key."""
    fresh = fresh_code_ok(request, form)
    if isinstance(fresh, HttpResponse):
        return Filed(fresh, key)
    if not fresh:
        return Filed(None, key)
    try:
        report, _created = report_file(
            actor=request.user,
            workplace=workplace,
            data=data(),
            idempotency_key=f"portal:{key}",
            ip=client_ip(request),
        )
    except FieldErrors as exc:
        form.add_service_errors(exc)
        return Filed(None, key)
    except IdempotencyKeyMismatch:
        form.add_error(None, _("이미 제출한 양식입니다. 내용을 확인하고 다시 제출해 주세요."))
        return Filed(None, uuid.uuid4().hex)
    messages.success(request, success)
    return Filed(redirect("portal:report_detail", report_id=report.pk), key)


def _file_page(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    workplace = current_or_none(request, Action.FILE)
    if workplace is None:
        return render(request, "portal/no_workplace.html", status=403)
    key = request.POST.get("idempotency_key") or uuid.uuid4().hex
    form = _form_for(kind, workplace, request.POST or None, _prefill(request))
    if request.method == "POST" and form.is_valid():
        filed = report_form_file(
            request,
            form,
            workplace=workplace,
            data=lambda: _data_of(form, kind, workplace),
            key=key,
            success=_("신고를 접수했습니다. 기관별 처리 상황이 아래에 나타납니다."),
        )
        if filed.response is not None:
            return filed.response
        key = filed.key
    return render(
        request,
        "portal/file_form.html",
        {
            "form": form,
            "kind": kind,
            "title": TITLES[kind],
            "workplace": workplace,
            "idempotency_key": key,
            "needs_code": not otp.otp_is_fresh(request),
        },
    )


@verified_required
def hire(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _file_page(request, ReportKind.HIRE)


@verified_required
def exit_(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _file_page(request, ReportKind.EXIT)


@verified_required
def pay_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _file_page(request, ReportKind.PAY_CHANGE)


@verified_required
def workplace_registration(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _file_page(request, ReportKind.WORKPLACE_REGISTRATION)


@verified_required
def workplace_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _file_page(request, ReportKind.WORKPLACE_CHANGE)


@verified_required
def workplace_closure(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _file_page(request, ReportKind.WORKPLACE_CLOSURE)


# Live previews ----------------------------------------------------------------------------------


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.replace(",", "").strip())
    except (InvalidOperation, AttributeError):
        return None
    return number if number.is_finite() else None


def _int(value: str) -> int | None:
    number = _decimal(value)
    return int(number) if number is not None and number >= 0 else None


@verified_required
@require_POST
def hire_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Four coverage decisions for what is typed so far; nothing is stored."""
    p = request.POST
    birth: date | None = None
    note = ""
    try:
        birth = person_number_parse(p.get("rrn", "")).birth_date
    except IdentifierError:
        note = _("주민(외국인)등록번호를 입력하면 나이를 계산해 판단합니다.")
    try:
        hire_date = date.fromisoformat(p.get("hire_date", ""))
    except ValueError:
        hire_date = timezone.localdate()
    employment_type = p.get("employment_type") or "regular"
    if employment_type not in EMPLOYMENT_TYPES:
        employment_type = "regular"
    decisions: list[dict[str, Any]] = []
    if birth is not None and birth <= hire_date:
        contract_end = None
        with contextlib.suppress(ValueError):
            contract_end = date.fromisoformat(p.get("contract_end", ""))
        months = None
        if contract_end and contract_end >= hire_date:
            months = contract_full_months(hire_date, contract_end)
        coverage = coverage_decide(
            data=CoverageInput(
                birth_date=birth,
                hire_date=hire_date,
                employment_type=employment_type,
                weekly_hours=_decimal(p.get("weekly_hours", "")),
                monthly_days=_int(p.get("monthly_days", "")),
                monthly_wage=_int(p.get("monthly_wage", "")) or 0,
                nationality=(p.get("nationality") or "KR").strip().upper()[:2] or "KR",
                visa=p.get("visa", ""),
                is_representative=bool(p.get("is_representative")),
                contract_months=months,
                pension_by_request=bool(p.get("pension_by_request")),
            )
        )
        for agency, item in coverage.as_dict().items():
            decisions.append({"agency": agency, "label": agency_label(agency), **item})
    return render(request, "portal/_coverage_preview.html", {"decisions": decisions, "note": note})


@verified_required
@require_POST
def exit_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The loss date and the code each agency will receive, from the plain-Korean reason."""
    workplace = current_or_none(request, Action.FILE)
    p = request.POST
    employee = None
    if (
        workplace is not None
        and p.get("employee_id", "").isascii()
        and p.get("employee_id", "").isdigit()
    ):
        employee = Employee.objects.filter(pk=int(p["employee_id"]), workplace=workplace).first()
    loss_date = None
    with contextlib.suppress(ValueError):
        loss_date = date.fromisoformat(p.get("last_working_day", "")) + timedelta(days=1)
    rows: list[dict[str, Any]] = []
    reason = p.get("reason_code", "")
    if reason in EI_LOSS_REASONS:
        codes = loss_codes_for(reason)
        names = {
            "pension": NPS_LOSS_CODES.get(codes["pension"], ""),
            "health": NHIS_LOSS_CODES.get(codes["health"], ""),
            "employment": EI_LOSS_REASONS[reason],
            "industrial_accident": EI_LOSS_REASONS[reason],
        }
        coverage = (employee.coverage if employee else {}) or {}
        for agency, code in codes.items():
            covered = coverage.get(agency, {}).get("covered", True) if coverage else True
            rows.append(
                {
                    "label": agency_label(agency),
                    "code": code,
                    "name": names[agency],
                    "covered": covered,
                }
            )
    return render(
        request,
        "portal/_exit_preview.html",
        {"rows": rows, "loss_date": loss_date, "employee": employee},
    )


# Correction -------------------------------------------------------------------------------------


def _initial_from(report: Report) -> dict[str, Any]:
    data = dict(report.data or {})
    if report.kind == ReportKind.HIRE and (employee := report.employee) is not None:
        data.update(name=employee.name, nationality=employee.nationality, visa=employee.visa)
    if report.kind == ReportKind.EXIT:
        data["employee_id"] = str(report.employee_id or "")
    if report.kind == ReportKind.WORKPLACE_CHANGE:
        data.update(data.pop("changes", {}) or {})
    return data


@verified_required
def report_correct_view(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    report = report_get_for(request.user, report_id, action=Action.FILE)
    if report.kind == ReportKind.WORKPLACE_REGISTRATION:
        messages.error(request, _("성립 신고는 정정할 수 없습니다. 취소 후 다시 신고해 주세요."))
        return redirect("portal:report_detail", report_id=report.pk)
    if report.kind not in FORMS:  # no correction form (the monthly and annual reports)
        raise Http404
    initial = _initial_from(report) | _prefill(request)
    form = _form_for(report.kind, report.workplace, request.POST or None, initial)
    if report.kind == ReportKind.EXIT and report.employee_id:
        form.set_employees([report.employee])
    if request.method == "POST" and form.is_valid():
        fresh = fresh_code_ok(request, form)
        if isinstance(fresh, HttpResponse):
            return fresh
        if fresh:
            try:
                new = report_correct(
                    actor=request.user,
                    report=report,
                    data=_data_of(form, report.kind, report.workplace),
                    ip=client_ip(request),
                )
            except FieldErrors as exc:
                form.add_service_errors(exc)
            except InvalidState as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("정정 신고를 접수했습니다."))
                return redirect("portal:report_detail", report_id=new.pk)
    return render(
        request,
        "portal/file_form.html",
        {
            "form": form,
            "kind": report.kind,
            "title": _("정정: %(title)s") % {"title": TITLES[report.kind]},
            "workplace": report.workplace,
            "correcting": report,
            "needs_code": not otp.otp_is_fresh(request),
        },
    )
