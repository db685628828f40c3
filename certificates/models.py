"""Issued certificates: the signed facts, the exact PDF that was handed out, and revocation."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A 13-digit resident/foreigner number, with or without the hyphen, not inside a longer number.
_FULL_RRN = re.compile(r"(?<!\d)\d{6}-?[1-8]\d{6}(?!\d)")


def _contains_full_rrn(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_FULL_RRN.search(value))
    if isinstance(value, dict):
        return any(_contains_full_rrn(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_contains_full_rrn(v) for v in value)
    return False


class CertificateKind(models.TextChoices):
    COVERAGE_HISTORY = "coverage_history", _("4대 사회보험 가입내역 확인서")
    WORKPLACE_ROSTER = "workplace_roster", _("사업장 가입자 명부")


class Certificate(models.Model):
    kind = models.CharField(_("증명서 종류"), max_length=20, choices=CertificateKind.choices)
    # Derived from the primary key after insert (signing.certificate_serial_format), hence null.
    serial = models.CharField(_("발급번호"), max_length=20, unique=True, null=True, blank=True)
    verification_code = models.CharField(_("진위확인 번호"), max_length=19, unique=True)
    workplace = models.ForeignKey(
        "portal.Workplace", on_delete=models.PROTECT, related_name="certificates"
    )
    employee = models.ForeignKey(
        "portal.Employee",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    purpose = models.CharField(_("용도"), max_length=100, blank=True)
    full_rrn = models.BooleanField(_("주민등록번호 전체 표시"), default=False)
    # What was certified, as signed. Masked identifiers only: the verify page shows these.
    facts = models.JSONField(_("증명 내용"))
    pdf = models.BinaryField(_("PDF"), editable=False)
    pdf_sha256 = models.CharField(max_length=64, editable=False)
    signature = models.CharField(_("전자서명"), max_length=128, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("발급일시"), default=timezone.now, db_index=True)
    # Rosters render in a worker after the row exists: null until the signed PDF is stored.
    rendered_at = models.DateTimeField(_("PDF 생성일시"), null=True, blank=True)
    # Lease of the worker rendering it; a stale lease (dead worker) may be taken over.
    render_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Kept for the 접속기록 a worker writes when it prints full numbers on the requester's behalf.
    requested_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("폐기일시"), null=True, blank=True)
    revoked_reason = models.CharField(_("폐기 사유"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("증명서")
        verbose_name_plural = _("증명서")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="coverage_history") | Q(employee__isnull=False),
                name="certificate_coverage_history_has_employee",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="certificate_revocation_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["workplace", "-issued_at"])]

    def __str__(self) -> str:
        return f"{self.serial or '(미발급)'} {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Facts are shown on the public verify page; a full number there would leak to anyone
        # holding the code, so refuse it here whatever service wrote it.
        if _contains_full_rrn(self.facts):
            raise ValidationError(_("증명 내용에 마스킹되지 않은 주민등록번호가 있습니다."))
        super().save(*args, **kwargs)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_rendered(self) -> bool:
        return self.rendered_at is not None


class LateFilingReason(models.TextChoices):
    DISASTER = "disaster", _("천재지변")
    ADMIN_ERROR = "admin_error", _("행정착오")
    UNREACHABLE = "unreachable", _("근로자 연락두절")
    OTHER = "other", _("기타")


class LateFilingStatement(models.Model):
    """Why a report was filed late, recorded by the employer for reduction or exemption of the
    fine; the basis of a 의견제출서 draft (sent within the 사전통지 period)."""

    report = models.ForeignKey(
        "filings.Report", on_delete=models.CASCADE, related_name="late_statements"
    )
    reason = models.CharField(_("사유"), max_length=16, choices=LateFilingReason.choices)
    detail = models.TextField(_("구체적 사유"), max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("기한 경과 사유")
        verbose_name_plural = _("기한 경과 사유")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.report_id} {self.get_reason_display()}"


class LateFilingAttachment(models.Model):
    """Evidence for a statement (a doctor's note, a returned letter); kept in the database so it
    commits or rolls back with the statement."""

    statement = models.ForeignKey(
        LateFilingStatement, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()

    def __str__(self) -> str:
        return self.filename
