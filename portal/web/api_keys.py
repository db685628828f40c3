"""Portal pages for software integration: API keys, webhooks, bulk upload (CSV/XLSX).

Mounted from portal.web.urls with one include line; names live in the "portal" namespace.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from filings.bulk import (
    COLUMNS,
    MAX_ROWS,
    bulk_errors,
    bulk_file_start,
    bulk_template,
    bulk_validate,
)
from filings.models import BulkUpload, WebhookDelivery, WebhookEndpoint
from filings.webhooks import webhook_create, webhook_disable, webhook_test_send
from portal.access import Action, workplaces_for
from portal.errors import FieldErrors
from portal.models import ApiKey, PayrollFirm, Workplace
from portal.request_types import AuthenticatedHttpRequest
from portal.services import api_key_issue, api_key_revoke
from portal.web.views.common import client_ip, current_or_none, verified_required


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("키 이름"), max_length=100)
    workplaces = forms.ModelMultipleChoiceField(
        label=gettext_lazy("사용할 사업장(비우면 접근 가능한 모든 사업장)"),
        queryset=Workplace.objects.none(),  # the user's own, set per form
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["workplaces"])
        field.queryset = workplaces_for(user).order_by("name")


@verified_required
def api_keys(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None, user=request.user)
    new_key = None
    if request.method == "POST" and form.is_valid():
        key, raw = api_key_issue(
            user=request.user,
            name=form.cleaned_data["name"],
            workplaces=list(form.cleaned_data["workplaces"]) or None,
        )
        new_key = {"name": key.name, "raw": raw}
        form = ApiKeyForm(user=request.user)
    keys = (
        ApiKey.objects.filter(user=request.user)
        .prefetch_related("workplaces")
        .order_by("revoked_at", "-created_at")
    )
    return render(request, "api/keys.html", {"keys": keys, "form": form, "new_key": new_key})


@verified_required
@require_POST
def api_key_revoke_view(request: AuthenticatedHttpRequest, key_id: int) -> HttpResponse:
    key = ApiKey.objects.filter(pk=key_id, user=request.user).first()
    if key is None:
        raise Http404
    api_key_revoke(user=request.user, key=key)
    messages.success(request, _("API 키를 폐기했습니다. 이 키로 오는 요청은 이제 거절됩니다."))
    return redirect("portal:api_keys")


class WebhookForm(forms.Form):
    target = forms.ChoiceField(label=gettext_lazy("받을 신고"))
    url = forms.URLField(label=gettext_lazy("수신 URL"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=gettext_lazy("설명"), max_length=200, required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["target"]).choices = choices


def _webhook_targets(request: AuthenticatedHttpRequest) -> list[tuple[str, str]]:
    choices = []
    workplace = current_or_none(request, Action.MANAGE)
    if workplace is not None:
        choices.append((f"w:{workplace.pk}", _("사업장: %(name)s") % {"name": workplace.name}))
    for firm in PayrollFirm.objects.filter(members=request.user).order_by("name"):
        choices.append(
            (f"f:{firm.pk}", _("대행기관: %(name)s (위임받은 모든 사업장)") % {"name": firm.name})
        )
    return choices


def _my_endpoints(request: AuthenticatedHttpRequest) -> QuerySet[WebhookEndpoint]:
    workplace = current_or_none(request, Action.MANAGE)
    firms = PayrollFirm.objects.filter(members=request.user).values("id")
    qs = WebhookEndpoint.objects.filter(firm_id__in=firms)
    if workplace is not None:
        qs = qs | WebhookEndpoint.objects.filter(workplace=workplace)
    return qs.select_related("workplace", "firm").order_by("disabled_at", "-created_at")


@verified_required
def webhooks(request: AuthenticatedHttpRequest) -> HttpResponse:
    choices = _webhook_targets(request)
    form = WebhookForm(request.POST or None, choices=choices)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        kind, _sep, pk = form.cleaned_data["target"].partition(":")
        workplace, firm = None, None
        if kind == "w":
            workplace = current_or_none(request, Action.MANAGE)
        else:
            firm = PayrollFirm.objects.filter(pk=pk, members=request.user).first()
        if workplace is None and firm is None:
            raise Http404
        try:
            endpoint, secret = webhook_create(
                actor=request.user,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                workplace=workplace,
                firm=firm,
            )
        except FieldErrors as exc:
            for _field, pairs in exc.fields.items():
                for _rule, message in pairs:
                    form.add_error("url", message)
        else:
            new_secret = {"url": endpoint.url, "secret": secret}
            form = WebhookForm(choices=choices)
    return render(
        request,
        "api/webhooks.html",
        {
            "endpoints": _my_endpoints(request),
            "form": form,
            "can_register": bool(choices),
            "new_secret": new_secret,
        },
    )


def _endpoint(request: AuthenticatedHttpRequest, endpoint_id: int) -> WebhookEndpoint:
    endpoint = _my_endpoints(request).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


@verified_required
def webhook_detail(request: AuthenticatedHttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    return render(request, "api/webhook_detail.html", {"endpoint": endpoint, "page": page})


@verified_required
@require_POST
def webhook_test(request: AuthenticatedHttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    if endpoint.disabled_at is None:
        webhook_test_send(actor=request.user, endpoint=endpoint)
        messages.success(
            request, _("시험 이벤트를 보냈습니다. 아래 전달 기록에서 결과를 확인하세요.")
        )
    return redirect("portal:webhook_detail", endpoint_id=endpoint.pk)


@verified_required
@require_POST
def webhook_disable_view(request: AuthenticatedHttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    webhook_disable(actor=request.user, endpoint=endpoint)
    messages.success(request, _("웹훅을 해제했습니다."))
    return redirect("portal:webhooks")


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV 또는 XLSX 파일"),
        help_text=gettext_lazy("양식의 한글 머리글을 그대로 두세요. 최대 10,000행."),
    )


def _filing_workplace(request: AuthenticatedHttpRequest) -> Workplace:
    workplace = current_or_none(request, Action.FILE)
    if workplace is None:
        raise Http404
    return workplace


@verified_required
def bulk_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = _filing_workplace(request)
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            upload, reused = bulk_validate(
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
                messages.info(
                    request, _("같은 파일을 이미 올렸습니다. 이전 검증·신고 결과를 보여 드립니다.")
                )
            return redirect("portal:bulk_detail", upload_id=upload.pk)
    # Hire and exit files only: history imports have their own page (portal.web.views.history).
    uploads = BulkUpload.objects.filter(workplace=workplace, kind__in=list(COLUMNS)).order_by(
        "-created_at"
    )[:20]
    return render(
        request,
        "api/bulk_upload.html",
        {
            "workplace": workplace,
            "form": form,
            "uploads": uploads,
            "max_rows": MAX_ROWS,
            "hire_headers": [c.header for c in COLUMNS["hire"]],
            "exit_headers": [c.header for c in COLUMNS["exit"]],
        },
    )


@verified_required
def bulk_template_download(request: AuthenticatedHttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in COLUMNS or fmt not in ("csv", "xlsx"):
        raise Http404
    content, filename, content_type = bulk_template(kind=kind, fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename)


def _upload(request: AuthenticatedHttpRequest, upload_id: int) -> BulkUpload:
    workplaces = workplaces_for(request.user, action=Action.FILE)
    upload = BulkUpload.objects.filter(
        pk=upload_id, workplace__in=workplaces, kind__in=list(COLUMNS)
    ).first()
    if upload is None:
        raise Http404
    return upload


@verified_required
def bulk_detail(request: AuthenticatedHttpRequest, upload_id: int) -> HttpResponse:
    upload = _upload(request, upload_id)
    errors = bulk_errors(upload)
    page = Paginator(errors, 200).get_page(request.GET.get("page"))
    return render(request, "api/bulk_detail.html", {"upload": upload, "page": page})


@verified_required
def bulk_progress(request: AuthenticatedHttpRequest, upload_id: int) -> HttpResponse:
    upload = _upload(request, upload_id)
    return render(request, "api/_bulk_progress.html", {"upload": upload})


@verified_required
@require_POST
def bulk_file_view(request: AuthenticatedHttpRequest, upload_id: int) -> HttpResponse:
    upload = _upload(request, upload_id)
    if bulk_file_start(actor=request.user, upload=upload, ip=client_ip(request)):
        messages.success(
            request, _("오류 없는 %(n)s건을 신고하고 있습니다.") % {"n": f"{upload.valid_rows:,}"}
        )
    return redirect("portal:bulk_detail", upload_id=upload.pk)


urlpatterns = [
    path("developer/keys/", api_keys, name="api_keys"),
    path("developer/keys/<int:key_id>/revoke/", api_key_revoke_view, name="api_key_revoke"),
    path("developer/webhooks/", webhooks, name="webhooks"),
    path("developer/webhooks/<int:endpoint_id>/", webhook_detail, name="webhook_detail"),
    path("developer/webhooks/<int:endpoint_id>/test/", webhook_test, name="webhook_test"),
    path(
        "developer/webhooks/<int:endpoint_id>/disable/",
        webhook_disable_view,
        name="webhook_disable",
    ),
    path("file/bulk/", bulk_upload, name="bulk_upload"),
    path(
        "file/bulk/template/<str:kind>.<str:fmt>",
        bulk_template_download,
        name="bulk_template",
    ),
    path("file/bulk/<int:upload_id>/", bulk_detail, name="bulk_detail"),
    path("file/bulk/<int:upload_id>/progress/", bulk_progress, name="bulk_progress"),
    path("file/bulk/<int:upload_id>/file/", bulk_file_view, name="bulk_file"),
]
