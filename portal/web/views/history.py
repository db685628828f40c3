"""History import page (가입 이력 가져오기): check a file first, then import it in one go.

Mounted from portal.web.urls with one include line; names live in the "portal" namespace.
"""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from filings.bulk import MAX_ROWS, bulk_errors
from filings.history import (
    KIND,
    history_columns,
    history_import,
    history_template,
    history_validate,
)
from filings.models import BulkUpload
from portal.access import Action, workplaces_for
from portal.errors import FieldErrors, InvalidState
from portal.models import Workplace
from portal.request_types import AuthenticatedHttpRequest
from portal.web.views.common import client_ip, current_or_none, verified_required


class HistoryUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV 또는 XLSX 파일"),
        help_text=gettext_lazy("양식의 한글 머리글을 그대로 두세요. 최대 10,000행."),
    )


def _workplace(request: AuthenticatedHttpRequest) -> Workplace:
    workplace = current_or_none(request, Action.FILE)
    if workplace is None:
        raise Http404
    return workplace


def _upload(request: AuthenticatedHttpRequest, upload_id: int) -> BulkUpload:
    workplaces = workplaces_for(request.user, action=Action.FILE)
    upload = BulkUpload.objects.filter(pk=upload_id, kind=KIND, workplace__in=workplaces).first()
    if upload is None:
        raise Http404
    return upload


def _page(
    request: AuthenticatedHttpRequest,
    workplace: Workplace,
    form: HistoryUploadForm,
    upload: BulkUpload | None = None,
) -> HttpResponse:
    errors = Paginator(bulk_errors(upload) if upload else [], 200).get_page(request.GET.get("page"))
    uploads = BulkUpload.objects.filter(workplace=workplace, kind=KIND).order_by("-created_at")
    return render(
        request,
        "portal/history_import.html",
        {
            "workplace": workplace,
            "form": form,
            "upload": upload,
            "errors": errors,
            "can_import": upload is not None
            and upload.status == BulkUpload.Status.VALIDATED
            and upload.total_rows > 0
            and upload.error_rows == 0,
            "uploads": uploads[:10],
            "headers": [c.header for c in history_columns()],
            "max_rows": MAX_ROWS,
        },
    )


@verified_required
def history_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = _workplace(request)
    form = HistoryUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            upload, reused = history_validate(
                actor=request.user,
                workplace=workplace,
                content=upload_file.read(),
                filename=upload_file.name or "",
                ip=client_ip(request),
            )
        except FieldErrors as exc:
            for _field, pairs in exc.fields.items():
                for _rule, message in pairs:
                    form.add_error("file", message)
        else:
            if reused:
                messages.info(request, _("같은 파일을 이미 올렸습니다. 이전 결과를 보여 드립니다."))
            return redirect("portal:history_detail", upload_id=upload.pk)
    return _page(request, workplace, form)


@verified_required
def history_detail(request: AuthenticatedHttpRequest, upload_id: int) -> HttpResponse:
    upload = _upload(request, upload_id)
    return _page(request, upload.workplace, HistoryUploadForm(), upload)


@verified_required
@require_POST
def history_import_view(request: AuthenticatedHttpRequest, upload_id: int) -> HttpResponse:
    upload = _upload(request, upload_id)
    try:
        upload = history_import(actor=request.user, upload=upload, ip=client_ip(request))
    except InvalidState as exc:
        messages.error(request, exc.message)
    else:
        if upload.status != BulkUpload.Status.DONE:
            messages.error(
                request, _("검사한 뒤 이력이 바뀌어 가져오지 않았습니다. 아래 오류를 보세요.")
            )
            return redirect("portal:history_detail", upload_id=upload.pk)
        messages.success(
            request,
            _("%(n)s명의 가입 이력을 가져왔습니다.") % {"n": f"{upload.filed_rows:,}"},
        )
    return redirect("portal:history_detail", upload_id=upload.pk)


@verified_required
def history_template_download(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    content, filename, content_type = history_template(fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


urlpatterns = [
    path("employees/history/", history_upload, name="history_import"),
    path(
        "employees/history/template.<str:fmt>",
        history_template_download,
        name="history_template",
    ),
    path("employees/history/<int:upload_id>/", history_detail, name="history_detail"),
    path(
        "employees/history/<int:upload_id>/import/",
        history_import_view,
        name="history_import_run",
    ),
]
