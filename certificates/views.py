"""Portal pages (login) to request, list, download and revoke; public verification pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.registry import insurance_labels
from certificates.forms import CertificateRequestForm, RevokeForm, VerifyUploadForm
from certificates.late_filings import late_statement_record, opinion_statement_pdf
from certificates.models import CertificateKind, LateFilingStatement
from certificates.receipts import report_receipt_pdf, separation_pdf
from certificates.render import TITLES
from certificates.selectors import (
    certificate_by_code,
    certificate_get_for,
    certificate_status,
    certificates_for,
)
from certificates.services import (
    TEMPLATES,
    certificate_issue,
    certificate_pdf_fetch,
    certificate_revoke,
    certificate_verify_pdf,
)
from certificates.signing import public_key_pem, verification_code_normalize
from filings.selectors import report_get_for
from portal.access import Action
from portal.errors import FieldErrors
from portal.otp import otp_is_fresh
from portal.request_types import AuthenticatedHttpRequest
from portal.services import PermissionDeniedError

VERDICTS = {
    "valid": gettext_lazy("발급된 원본과 정확히 같은 파일입니다."),
    "revoked": gettext_lazy("폐기된 증명서입니다. 효력이 없습니다."),
    "unknown": gettext_lazy("해당 진위확인 번호로 발급된 증명서가 없습니다."),
    "mismatch": gettext_lazy("발급된 원본과 다른 파일입니다. 내용이 바뀌었거나 다른 문서입니다."),
}


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@login_required
def certificate_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    certificates = certificates_for(request.user)[:200]
    return render(
        request,
        "certificates/page_list.html",
        {"certificates": certificates, "revoke_form": RevokeForm()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def certificate_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CertificateRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            certificate = certificate_issue(
                actor=request.user,
                kind=data["kind"],
                employee=data.get("employee"),
                workplace=data["workplace"],
                purpose=data["purpose"],
                full_rrn=data["full_rrn"],
                reverified=data["full_rrn"] and otp_is_fresh(request),
                ip=_ip(request),
            )
        except FieldErrors as exc:
            for field, errors in exc.messages().items():
                name = {"employee_id": "employee", "workplace_id": "workplace"}.get(field, field)
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
        except PermissionDeniedError:
            raise Http404 from None
        else:
            if certificate.is_rendered:
                messages.success(request, _("증명서를 발급했습니다. 내려받을 수 있습니다."))
            else:
                messages.info(request, _("증명서를 발급했습니다. PDF를 만드는 중입니다."))
            return redirect("certificates:list")
    return render(request, "certificates/page_request.html", {"form": form})


@login_required
@require_GET
def certificate_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    certificate = certificate_get_for(request.user, pk, action=Action.VIEW)
    if not certificate.is_rendered:
        messages.info(request, _("PDF를 만드는 중입니다. 잠시 후 다시 시도해 주세요."))
        return redirect("certificates:list")
    try:
        pdf = certificate_pdf_fetch(user=request.user, certificate=certificate, ip=_ip(request))
    except PermissionDeniedError:
        raise Http404 from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate.serial}.pdf"'
    return response


@login_required
def report_receipt(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    """접수증 PDF of a report the user may see."""
    report = report_get_for(request.user, report_id)
    response = HttpResponse(report_receipt_pdf(report=report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{report.pk}.pdf"'
    return response


@login_required
def separation_print(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    """The 이직확인서 of a separation report, printable."""
    report = report_get_for(request.user, report_id)
    if report.kind != "separation":
        raise Http404
    response = HttpResponse(separation_pdf(report=report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="separation-{report.pk}.pdf"'
    return response


@login_required
@require_POST
def late_statement(request: AuthenticatedHttpRequest, report_id: int) -> HttpResponse:
    """Record why a report was late (with evidence) for the 의견제출서."""
    report = report_get_for(request.user, report_id, action=Action.FILE)
    try:
        late_statement_record(
            actor=request.user,
            report=report,
            reason=request.POST.get("reason", ""),
            detail=request.POST.get("detail", ""),
            files=request.FILES.getlist("files"),
            ip=_ip(request),
        )
    except FieldErrors as exc:
        for pairs in exc.fields.values():
            for _rule, message in pairs:
                messages.error(request, message)
    else:
        messages.success(request, _("사유를 기록했습니다. 의견제출서 초안을 내려받을 수 있습니다."))
    return redirect("portal:report_detail", report_id=report.pk)


@login_required
def late_statement_pdf(request: AuthenticatedHttpRequest, statement_id: int) -> HttpResponse:
    statement = LateFilingStatement.objects.filter(pk=statement_id).first()
    if statement is None:
        raise Http404
    report = report_get_for(request.user, statement.report_id)  # 404 where the user may not
    statement.report = report
    pdf = opinion_statement_pdf(statement=statement)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="opinion-{report.pk}.pdf"'
    return response


@login_required
@require_POST
def certificate_revoke_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    certificate = certificate_get_for(request.user, pk, action=Action.VIEW)
    if not request.user.is_staff:
        raise Http404
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("폐기 사유를 입력해 주세요."))
        return redirect("certificates:list")
    certificate_revoke(
        actor=request.user,
        certificate=certificate,
        reason=form.cleaned_data["reason"],
        ip=_ip(request),
    )
    messages.success(
        request, _("증명서 %(serial)s을(를) 폐기했습니다.") % {"serial": certificate.serial}
    )
    return redirect("certificates:list")


@require_GET
def verify_key(request: HttpRequest) -> HttpResponse:
    """The active public key, or with ?kid= the key a given certificate names in its signature."""
    try:
        pem = public_key_pem(request.GET.get("kid") or None)
    except KeyError:
        return HttpResponse("unknown key id", status=404, content_type="text/plain; charset=utf-8")
    return HttpResponse(pem, content_type="text/plain; charset=utf-8")


@require_GET
def verify_lookup(request: HttpRequest) -> HttpResponse:
    code = verification_code_normalize(request.GET.get("code", ""))
    if code:
        return redirect("certificates:verify", code=code)
    return render(
        request, "certificates/page_verify_lookup.html", {"typed": request.GET.get("code")}
    )


def _display_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """Stored facts plus Korean insurance labels, for the public page."""
    shown = dict(facts)
    shown["insurances"] = [
        {**item, "label": insurance_labels().get(item.get("code", ""), item.get("code", ""))}
        for item in facts.get("insurances", [])
    ]
    shown["columns"] = list(insurance_labels().values())
    shown["members"] = [
        {**m, "cells": [(m.get("coverage") or {}).get(code) for code in insurance_labels()]}
        for m in facts.get("members", [])
    ]
    return shown


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding the code (printed on the paper, in the QR) may check it."""
    certificate = certificate_by_code(code)
    status = certificate_status(certificate)
    form = VerifyUploadForm(request.POST or None, request.FILES or None)
    verdict = None
    if request.method == "POST" and form.is_valid():
        verdict, _found = certificate_verify_pdf(code=code, pdf_bytes=form.cleaned_data["pdf"])
    context = {
        "code": code,
        "certificate": certificate,
        "status": status,
        "form": form,
        "verdict": verdict,
        "verdict_message": VERDICTS.get(verdict or ""),
        "facts": _display_facts(certificate.facts) if certificate else None,
        "title": TITLES[TEMPLATES[CertificateKind(certificate.kind)]] if certificate else "",
    }
    return render(request, "certificates/page_verify.html", context, status=200)
