"""Late filings: the employer's statement of why (for reduction or exemption of the fine) and
the 의견제출서 draft built from it."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from certificates.models import LateFilingAttachment, LateFilingReason, LateFilingStatement
from certificates.render import DEFAULT_ISSUER, html_pdf_render
from filings.lateness import report_lateness
from filings.models import Report
from portal.errors import FieldErrors
from portal.services import audit_record

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
TEMPLATE = "certificates/opinion_statement.html"


def late_statement_record(
    *,
    actor: User,
    report: Report,
    reason: str,
    detail: str,
    files: list[UploadedFile],
    ip: str | None = None,
) -> LateFilingStatement:
    """Record why a late report was late, with its evidence, in one transaction."""
    errors = FieldErrors()
    if not report_lateness(report=report):
        errors.add("report", "not_late", "기한이 지난 신고가 아닙니다.")
    if reason not in LateFilingReason.values:
        errors.add("reason", "choice", "사유를 목록에서 골라 주세요.")
    detail = detail.strip()
    if not detail:
        errors.add("detail", "required", "구체적 사유를 적어 주세요.")
    elif len(detail) > 2000:
        errors.add("detail", "max_length", "구체적 사유는 2,000자 이하여야 합니다.")
    if len(files) > MAX_ATTACHMENTS:
        errors.add("files", "max_count", f"증빙은 {MAX_ATTACHMENTS}개까지 올릴 수 있습니다.")
    for upload in files:
        if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
            errors.add("files", "max_size", f"{upload.name}: 파일은 5MB 이하여야 합니다.")
        if upload.content_type not in ATTACHMENT_TYPES:
            errors.add("files", "type", f"{upload.name}: PDF, JPG, PNG만 올릴 수 있습니다.")
    errors.raise_if_any()
    with transaction.atomic():
        statement = LateFilingStatement.objects.create(
            report=report, reason=reason, detail=detail, created_by=actor
        )
        attachments = []
        for upload in files:
            content = upload.read()
            attachments.append(
                LateFilingAttachment(
                    statement=statement,
                    filename=(upload.name or "file")[:255],
                    content_type=upload.content_type or "",
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    content=content,
                )
            )
        LateFilingAttachment.objects.bulk_create(attachments)
        audit_record(
            actor=actor,
            action="report.late_statement",
            obj=report,
            workplace=report.workplace,
            ip=ip,
            data={"reason": reason, "attachments": len(attachments)},
        )
    return statement


def opinion_statement_context(*, statement: LateFilingStatement) -> dict[str, Any]:
    report = statement.report
    employee = report.employee
    return {
        "title": "의견제출서 (초안)",
        "issuer_name": DEFAULT_ISSUER,
        "issued_at": timezone.now(),
        "report": report,
        "workplace": report.workplace,
        "person": {"name": employee.name, "rrn": employee.rrn_masked} if employee else None,
        "lateness": report_lateness(report=report),
        "statement": statement,
        "attachments": list(statement.attachments.values_list("filename", flat=True)),
    }


def opinion_statement_pdf(*, statement: LateFilingStatement) -> bytes:
    context = opinion_statement_context(statement=statement)
    return html_pdf_render(html=render_to_string(TEMPLATE, context))
