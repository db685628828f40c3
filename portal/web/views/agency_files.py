"""신고 파일 page: a workplace that delivers by the agencies' upload files gathers its ready
reports into batches, downloads each workbook for 4insure and records what 4insure answered.

Mounted from portal.web.urls with one include line; names live in the "portal" namespace.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from certificates.receipts import agency_file_receipt_pdf
from filings.agency_files import (
    AGENCY_PORTALS,
    BY_HAND_PAGE,
    XLSX,
    RowResult,
    agency_file_get,
    agency_file_open_people,
    agency_file_regenerate,
    agency_file_result_parse,
    agency_file_result_record,
    agency_file_xlsx,
    agency_files_for,
    agency_files_gather,
    agency_files_pending_for,
    agency_files_zip,
    layout_of,
    workplace_delivery_channel_set,
)
from filings.hand_outcomes import report_outcome_record, submissions_by_hand
from filings.models import AgencyFile
from filings.selectors import report_get_for
from portal.access import Action, can
from portal.errors import DomainError, FieldErrors
from portal.models import DeliveryChannel, Workplace
from portal.request_types import AuthenticatedHttpRequest
from portal.web.forms import agency_label
from portal.web.views.common import client_ip, current_or_none, verified_required


def _workplace(request: AuthenticatedHttpRequest) -> Workplace:
    workplace = current_or_none(request, Action.FILE)
    if workplace is None:
        raise Http404
    return workplace


def _agency_file(request: AuthenticatedHttpRequest, agency_file_id: int) -> AgencyFile:
    try:
        found = agency_file_get(agency_file_id=agency_file_id)
    except DomainError:
        raise Http404 from None
    if not can(request.user, found.workplace_id, Action.FILE):
        raise Http404
    return found


def _errors_to_messages(request: AuthenticatedHttpRequest, exc: DomainError) -> None:
    """A refused action as page messages: each field's rule, or the error's one sentence."""
    if isinstance(exc, FieldErrors):
        for pairs in exc.fields.values():
            for _rule, message in pairs:
                messages.error(request, message)
    else:
        messages.error(request, str(exc))


@verified_required
def agency_files_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = _workplace(request)
    batches = [
        (f, layout_of(f), AGENCY_PORTALS.get(f.agency_portal, f.agency_portal))
        for f in agency_files_for(workplace=workplace)
    ]
    return render(
        request,
        "portal/agency_files.html",
        {
            "workplace": workplace,
            "batches": batches,
            "by_hand": submissions_by_hand(workplace_id=workplace.pk),
            "pending_anywhere": len(agency_files_pending_for(actor=request.user)),
            "channels": DeliveryChannel.choices,
        },
    )


@verified_required
@require_POST
def agency_files_channel(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = _workplace(request)
    try:
        workplace_delivery_channel_set(
            actor=request.user,
            workplace=workplace,
            channel=request.POST.get("delivery_channel", ""),
            ip=client_ip(request),
        )
    except DomainError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, _("신고 방식을 바꿨습니다."))
    return redirect("portal:agency_files")


@verified_required
@require_POST
def agency_files_gather_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = _workplace(request)
    made = agency_files_gather(workplace=workplace, actor=request.user, ip=client_ip(request))
    if made:
        messages.success(request, _("신고 파일 %(n)s개를 만들었습니다.") % {"n": len(made)})
    else:
        messages.info(request, _("새로 모을 신고가 없습니다."))
    return redirect("portal:agency_files")


@verified_required
def agency_file_download(request: AuthenticatedHttpRequest, agency_file_id: int) -> HttpResponse:
    agency_file = _agency_file(request, agency_file_id)
    try:
        content, filename = agency_file_xlsx(
            agency_file=agency_file, actor=request.user, ip=client_ip(request)
        )
    except DomainError as exc:
        _errors_to_messages(request, exc)
        return redirect("portal:agency_files")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@verified_required
def agency_file_receipt(request: AuthenticatedHttpRequest, agency_file_id: int) -> HttpResponse:
    agency_file = _agency_file(request, agency_file_id)
    response = HttpResponse(
        agency_file_receipt_pdf(agency_file=agency_file), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="agency-file-{agency_file.pk}.pdf"'
    return response


@verified_required
@require_POST
def agency_file_result(request: AuthenticatedHttpRequest, agency_file_id: int) -> HttpResponse:
    """The 접수번호 alone confirms the upload; with 4insure's result file it also records each
    person's 처리완료 or 반려."""
    agency_file = _agency_file(request, agency_file_id)
    upload = request.FILES.get("file")
    try:
        rows = (
            agency_file_result_parse(
                agency_file=agency_file, content=upload.read(), filename=upload.name or ""
            )
            if upload is not None
            else _rows_by_hand(request)
        )
        counts = agency_file_result_record(
            agency_file=agency_file,
            actor=request.user,
            receipt_number=request.POST.get("receipt_number", ""),
            rows=rows,
            ip=client_ip(request),
        )
    except DomainError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(
            request,
            _("기록했습니다: 접수 %(received)s, 처리완료 %(accepted)s, 반려 %(rejected)s.")
            % counts,
        )
    return redirect("portal:agency_files")


@verified_required
def agency_files_zip_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every workbook still to upload, of every workplace the user files for, in one zip."""
    batches = agency_files_pending_for(actor=request.user)
    if not batches:
        messages.info(request, _("올릴 신고 파일이 없습니다."))
        return redirect("portal:agency_files")
    content, filename = agency_files_zip(
        actor=request.user, agency_files=batches, ip=client_ip(request)
    )
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@verified_required
@require_POST
def agency_file_regenerate_view(
    request: AuthenticatedHttpRequest, agency_file_id: int
) -> HttpResponse:
    agency_file = _agency_file(request, agency_file_id)
    try:
        new = agency_file_regenerate(
            agency_file=agency_file, actor=request.user, ip=client_ip(request)
        )
    except DomainError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(
            request,
            _("신고 파일 #%(old)s을(를) #%(new)s(으)로 다시 만들었습니다.")
            % {"old": agency_file.pk, "new": new.pk},
        )
    return redirect("portal:agency_files")


@verified_required
@require_POST
def report_outcome_view(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    """The outcome of a report filed by hand at the agency's own site."""
    report = report_get_for(request.user, report_id, action=Action.FILE)
    try:
        report_outcome_record(
            actor=request.user,
            report=report,
            agency=request.POST.get("agency", ""),
            action=request.POST.get("action", "file"),
            status=request.POST.get("status", ""),
            receipt_number=request.POST.get("receipt_number", ""),
            message=request.POST.get("message", ""),
            ip=client_ip(request),
        )
    except DomainError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, _("기관의 처리 결과를 기록했습니다."))
    return redirect("portal:agency_files")


def _rows_by_hand(request: AuthenticatedHttpRequest) -> list[RowResult]:
    """The per-person choices of the batch page: `outcome-<report>-<agency>` is accepted or
    rejected (anything else leaves that row as it is), `message-<report>-<agency>` its note."""
    rows = []
    for name in request.POST:
        parts = name.split("-")
        value = request.POST.get(name, "")
        if len(parts) != 3 or parts[0] != "outcome" or value not in ("accepted", "rejected"):
            continue
        if not (parts[1].isascii() and parts[1].isdigit()):
            continue
        message = request.POST.get(f"message-{parts[1]}-{parts[2]}", "")[:500]
        rows.append(RowResult(int(parts[1]), parts[2], str(value), message))
    return rows


@verified_required
def agency_file_page(request: AuthenticatedHttpRequest, agency_file_id: int) -> HttpResponse:
    """One batch: its people still waiting, to record each insurance's outcome by hand."""
    agency_file = _agency_file(request, agency_file_id)
    return render(
        request,
        "portal/agency_file.html",
        {
            "agency_file": agency_file,
            "layout": layout_of(agency_file),
            "people": [
                {**person, "agencies": [(a, agency_label(a)) for a in person["agencies"]]}
                for person in agency_file_open_people(agency_file=agency_file)
            ],
            "page_size": BY_HAND_PAGE,
        },
    )


urlpatterns = [
    path("agency-files/<int:agency_file_id>/", agency_file_page, name="agency_file"),
    path("agency-files/zip", agency_files_zip_view, name="agency_files_zip"),
    path(
        "agency-files/<int:agency_file_id>/regenerate/",
        agency_file_regenerate_view,
        name="agency_file_regenerate",
    ),
    path("reports/<int:report_id>/outcome/", report_outcome_view, name="report_outcome"),
    path("agency-files/", agency_files_page, name="agency_files"),
    path("agency-files/channel/", agency_files_channel, name="agency_files_channel"),
    path("agency-files/gather/", agency_files_gather_view, name="agency_files_gather"),
    path(
        "agency-files/<int:agency_file_id>/xlsx",
        agency_file_download,
        name="agency_file_download",
    ),
    path(
        "agency-files/<int:agency_file_id>/receipt.pdf",
        agency_file_receipt,
        name="agency_file_receipt",
    ),
    path(
        "agency-files/<int:agency_file_id>/result/",
        agency_file_result,
        name="agency_file_result",
    ),
]
