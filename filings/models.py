"""Reports, one Submission per agency, every attempt's raw exchange, the timeline and the outbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.registry import agency_choices
from portal.models import Employee, Workplace


class ReportKind(models.TextChoices):
    HIRE = "hire", _("자격취득")
    EXIT = "exit", _("자격상실")
    WORKPLACE_REGISTRATION = "workplace_registration", _("사업장 성립(적용)신고")
    WORKPLACE_CHANGE = "workplace_change", _("사업장 내용변경")
    WORKPLACE_CLOSURE = "workplace_closure", _("사업장 탈퇴(소멸)")
    PAY_CHANGE = "pay_change", _("보수월액 변경")
    SEPARATION = "separation", _("이직확인서")
    DAILY_WORK = "daily_work", _("근로내용확인신고")
    ANNUAL_WAGE = "annual_wage", _("보수총액신고")


class ReportStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("처리 중")
    COMPLETED = "completed", _("처리 완료")
    REJECTED = "rejected", _("반려 있음")
    FAILED = "failed", _("전송 실패")
    CANCELLED = "cancelled", _("취소됨")
    SUPERSEDED = "superseded", _("정정됨")
    NOT_REQUIRED = "not_required", _("신고 대상 없음")


# Above this many ids a lookup sends them as one JSON parameter (see id_list).
MANY_IDS = 1000


def id_list(pks: Iterable[int]) -> list[int] | RawSQL:
    """Ids for a `pk__in`/`*_id__in` lookup. A long list goes as one JSON parameter read by
    json_array_elements_text: the ORM would send one parameter per id, which for a 4insure
    result file's 40,000 rows costs more than the statement's own work. The ORM has no
    array-parameter lookup, hence the SQL text."""
    ids = list(pks)
    if len(ids) <= MANY_IDS:
        return ids
    return RawSQL("SELECT value::bigint FROM json_array_elements_text(%s::json)", [json.dumps(ids)])


class TouchingQuerySet(models.QuerySet):
    """`auto_now` only works through save(); the services change state with conditional
    UPDATEs, so those stamp `updated_at` here (the sweeper and the alerts read it)."""

    def update(self, **kwargs: Any) -> int:
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)


class Report(models.Model):
    # Its lookups use the (workplace, -filed_at) index; one of its own would only cost writes.
    workplace = models.ForeignKey(
        Workplace, on_delete=models.PROTECT, related_name="reports", db_index=False
    )
    employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    kind = models.CharField(_("신고 종류"), max_length=32, choices=ReportKind.choices)
    status = models.CharField(
        _("상태"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.IN_PROGRESS
    )
    event_date = models.DateField(_("사유 발생일"))
    # Kind-specific fields (no resident number: that lives encrypted on Employee).
    data = models.JSONField(default=dict)
    coverage = models.JSONField(default=dict, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(default=timezone.now, db_index=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    revision = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Set when a correction was filed; the report reads "정정됨" only once every agency that
    # held it accepted the cancellation (filings.status).
    corrected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TouchingQuerySet.as_manager()

    class Meta:
        verbose_name = _("신고")
        verbose_name_plural = _("신고")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["filed_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="report_idempotency_key_per_user",
            )
        ]
        indexes = [
            models.Index(fields=["workplace", "-filed_at"]),
            models.Index(fields=["workplace", "status"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued", _("대기")
    SENDING = "sending", _("전송 중")
    RECEIVED = "received", _("접수")
    ACCEPTED = "accepted", _("처리완료")
    REJECTED = "rejected", _("반려")
    FAILED = "failed", _("전송 실패")
    CANCELLED = "cancelled", _("취소")
    MANUAL = "manual", _("수동 처리")


FINAL_STATUSES = frozenset(
    {
        SubmissionStatus.ACCEPTED,
        SubmissionStatus.REJECTED,
        SubmissionStatus.FAILED,
        SubmissionStatus.CANCELLED,
        SubmissionStatus.MANUAL,
    }
)


class Submission(models.Model):
    """One report (or its cancellation) at one agency: the unit that is sent, retried, polled."""

    class Action(models.TextChoices):
        FILE = "file", _("신고")
        CANCEL = "cancel", _("취소 신고")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Found through the (report, agency, action) unique index: four fewer index writes a filing.
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="submissions", db_index=False
    )
    agency = models.CharField(_("기관"), max_length=32, choices=agency_choices)
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.FILE)
    status = models.CharField(
        _("상태"),
        max_length=10,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.QUEUED,
    )
    receipt_number = models.CharField(_("접수번호"), max_length=64, blank=True)
    result_code = models.CharField(max_length=16, blank=True)
    result_message = models.CharField(_("기관 메시지"), max_length=500, blank=True)
    deadline = models.DateField(_("신고 기한"), null=True, blank=True)
    deadline_rule = models.CharField(max_length=300, blank=True)
    attempts_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # True once a send may have reached the agency without us seeing the answer: the next try
    # must first ask the agency by our reference (never blindly re-send).
    uncertain = models.BooleanField(default=False)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # When the agency's 접수번호 was first recorded: the filing date for deadlines and receipts.
    received_at = models.DateTimeField(_("접수 시각"), null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TouchingQuerySet.as_manager()

    class Meta:
        verbose_name = _("기관별 신고")
        verbose_name_plural = _("기관별 신고")
        ordering = ["report_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "agency", "action"], name="submission_one_per_agency_action"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_agency_display()} {self.get_action_display()} #{self.report_id}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class InsuredPeriod(models.Model):
    """One stretch of coverage of a person at one workplace and agency (자격 이력).

    Written only by filings.periods: when an agency accepts an acquisition, a loss or the
    cancellation of one, or by an import of history. Nothing else opens or closes a period.
    """

    class Source(models.TextChoices):
        FILED = "filed", _("포털 신고")
        IMPORTED = "imported", _("가져온 이력")

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="insured_periods", db_index=False
    )
    # Looked up through the (workplace, agency) index: one of its own would only cost writes.
    workplace = models.ForeignKey(
        Workplace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    agency = models.CharField(_("기관"), max_length=32, choices=agency_choices)
    acquired_on = models.DateField(_("취득일"))
    lost_on = models.DateField(_("상실일"), null=True, blank=True)
    acquisition_code = models.CharField(_("취득부호"), max_length=8, blank=True)
    loss_code = models.CharField(_("상실부호"), max_length=8, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.FILED)
    # The acquisition's report is acquired_by's (one column fewer to write and check).
    acquired_by = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lost_by = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("자격 이력")
        verbose_name_plural = _("자격 이력")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "agency", "acquired_on"], name="period_one_per_acquisition"
            )
        ]
        indexes = [models.Index(fields=["workplace", "agency"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.agency} {self.acquired_on}~{self.lost_on or ''}"


class DiscrepancyKind(models.TextChoices):
    MISSING_ACQUISITION = "missing_acquisition", _("일부 기관 자격취득 누락")
    ACQUISITION_DATE_MISMATCH = "acquisition_date_mismatch", _("기관별 취득일 불일치")
    LOSS_PARTIAL = "loss_partial", _("일부 기관만 자격상실")
    LOSS_DATE_MISMATCH = "loss_date_mismatch", _("기관별 상실일 불일치")
    PAY_CHANGE_PARTIAL = "pay_change_partial", _("일부 기관만 보수월액 변경")


class DiscrepancyCheckDue(models.Model):
    """A person whose agencies must be compared again: marked in the transaction that recorded
    an answer or an import, checked in batches by the beat sweeper, which then clears the mark
    (unless it was set again meanwhile)."""

    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.employee_id} @ {self.marked_at:%H:%M:%S}"


class Discrepancy(models.Model):
    """What the agencies disagree on about one person (기관 간 불일치), and the report that fixes it.

    Written only by filings.consistency: opened when a check finds it, resolved (never deleted)
    when a later check no longer does. At most one open row per person and kind.
    """

    workplace = models.ForeignKey(Workplace, on_delete=models.CASCADE, related_name="+")
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("불일치 종류"), max_length=32, choices=DiscrepancyKind.choices)
    agencies = models.JSONField(_("고칠 기관"), default=list)
    detail = models.CharField(_("내용"), max_length=500)
    # The report to file: {"kind": "hire"|"exit"|"pay_change", "employee_id", "agencies", ...}
    suggested_report = models.JSONField(default=dict)
    opened_at = models.DateTimeField(_("발견 시각"), default=timezone.now)
    resolved_at = models.DateTimeField(_("해소 시각"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("알림 시각"), null=True, blank=True)

    class Meta:
        verbose_name = _("기관 간 불일치")
        verbose_name_plural = _("기관 간 불일치")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="discrepancy_one_open_per_employee_kind",
            )
        ]
        indexes = [
            models.Index(
                fields=["workplace"],
                condition=Q(resolved_at__isnull=True),
                name="discrepancy_open_by_workplace",
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.kind} {self.agencies}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class SubmissionAttempt(models.Model):
    """One HTTP exchange with an agency, stored raw (request redacted of resident numbers)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attempts")
    kind = models.CharField(max_length=8, default="send")  # send | query
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    method = models.CharField(max_length=8, blank=True)
    url = models.CharField(max_length=500, blank=True)
    request_body = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    outcome = models.CharField(max_length=16)

    class Meta:
        verbose_name = _("전송 시도")
        verbose_name_plural = _("전송 시도")
        ordering = ["submission_id", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.outcome} ({self.duration_ms} ms)"


class ReportEvent(models.Model):
    """The per-agency timeline shown in the portal and the API."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(default=timezone.now)
    agency = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.agency} {self.status}"


class IdempotencyRecord(models.Model):
    """One POST's Idempotency-Key: the first answer, replayed for 24 h to the same caller.

    `status_code` is null while the first request is still running (a concurrent retry gets 409).
    `owner` is "apikey:<id>" or "user:<id>", so two keys never see each other's answers.
    """

    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.method} {self.path} [{self.key}]"


class WebhookEndpoint(models.Model):
    """A URL that receives every submission status change of a workplace (or of a firm's clients)."""

    workplace = models.ForeignKey(
        Workplace, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    firm = models.ForeignKey(
        "portal.PayrollFirm", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    url = models.URLField(_("수신 URL"), max_length=500)
    description = models.CharField(_("설명"), max_length=200, blank=True)
    # Encrypted with portal.crypto: we must sign with it, so it cannot be a one-way hash.
    secret_encrypted = models.BinaryField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("웹훅")
        verbose_name_plural = _("웹훅")
        constraints = [
            models.CheckConstraint(
                condition=Q(workplace__isnull=False) | Q(firm__isnull=False),
                name="webhook_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event to one endpoint; retried with backoff until delivered or 24 h have passed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("대기")
        DELIVERED = "delivered", _("전달됨")
        FAILED = "failed", _("포기(24시간 초과)")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.endpoint_id} ({self.status})"


class BulkUpload(models.Model):
    """One uploaded CSV/XLSX of hire or exit rows: validated first, filed on request."""

    class Status(models.TextChoices):
        VALIDATED = "validated", _("검증 완료")
        FILING = "filing", _("신고 중")
        DONE = "done", _("신고 완료")

    workplace = models.ForeignKey(Workplace, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=8)  # hire | exit
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALIDATED)
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    filed_rows = models.PositiveIntegerField(default=0)
    failed_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    filing_started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workplace", "sha256"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.kind}, {self.total_rows})"


class BulkRow(models.Model):
    """One row of an upload. The input (with the resident number) is kept encrypted only."""

    class Status(models.TextChoices):
        INVALID = "invalid", _("오류")
        VALID = "valid", _("신고 가능")
        FILED = "filed", _("신고됨")
        FAILED = "failed", _("신고 실패")

    upload = models.ForeignKey(BulkUpload, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    name = models.CharField(max_length=100, blank=True)
    rrn_masked = models.CharField(max_length=14, blank=True)
    data_encrypted = models.BinaryField()
    status = models.CharField(max_length=8, choices=Status.choices)
    # [{"column": "입사일", "field": "hire_date", "rule": "date_format", "message": "..."}]
    errors = models.JSONField(default=list, blank=True)
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["upload_id", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "row_number"], name="bulk_row_unique")
        ]
        indexes = [models.Index(fields=["upload", "status"])]

    def __str__(self) -> str:
        return f"{self.upload_id}:{self.row_number} {self.status}"


class AgencyFile(models.Model):
    """One batch of ready submissions in an agency portal's bulk upload layout (e.g. 4insure
    자격취득신고), for a workplace whose delivery channel is `file`. The workbook is built on
    each download from the encrypted employees and never stored."""

    workplace = models.ForeignKey(Workplace, on_delete=models.PROTECT, related_name="+")
    layout = models.CharField(_("양식"), max_length=40)  # e.g. 4insure_acquisition
    layout_version = models.PositiveSmallIntegerField(_("양식 버전"))
    agency_portal = models.CharField(_("신고 사이트"), max_length=16, default="4insure")
    row_count = models.PositiveIntegerField(_("인원"), default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    downloaded_at = models.DateTimeField(_("내려받은 시각"), null=True, blank=True)
    # Set when the user records the 접수번호 4insure gave the upload: only then is it filed.
    confirmed_at = models.DateTimeField(_("접수 확인 시각"), null=True, blank=True)
    receipt_number = models.CharField(_("접수번호"), max_length=64, blank=True)
    # Set when the user had the batch made again: its open rows moved to that batch.
    replaced_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        verbose_name=_("다시 만든 파일"),
    )

    class Meta:
        verbose_name = _("신고 파일")
        verbose_name_plural = _("신고 파일")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workplace", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.layout} v{self.layout_version} ({self.row_count})"


class AgencyFileRow(models.Model):
    """A submission's place in a batch. One-to-one: a submission is in at most one batch."""

    agency_file = models.ForeignKey(AgencyFile, on_delete=models.CASCADE, related_name="entries")
    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="agency_file_row"
    )

    class Meta:
        verbose_name = _("신고 파일 행")
        verbose_name_plural = _("신고 파일 행")

    def __str__(self) -> str:
        return f"{self.agency_file_id}: {self.submission_id}"


class AgencyOutage(models.Model):
    """An agency the portal stopped sending to after repeated transient failures (an open
    circuit breaker): its queued submissions wait, and a harmless status query probes it now
    and then. The row exists only while the agency is out (filings.circuits)."""

    agency = models.CharField(_("기관"), max_length=32, primary_key=True, choices=agency_choices)
    opened_at = models.DateTimeField(_("장애 시작"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("마지막 시도"), default=timezone.now)
    probe_at = models.DateTimeField(_("다음 시도"))
    probes = models.PositiveIntegerField(default=0)
    last_error = models.CharField(_("마지막 오류"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("기관 장애")
        verbose_name_plural = _("기관 장애")

    def __str__(self) -> str:
        return f"{self.agency} since {self.opened_at:%Y-%m-%d %H:%M}"
