"""Domain core: workplaces, employees (resident numbers encrypted), who may act for whom, audit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmploymentBand(models.TextChoices):
    """Head-count band that sets the employer's EI 고용안정·직능개발 rate (domain-rules.md §1.3)."""

    UNDER_150 = "under_150", _("150인 미만")
    PRIORITY_150 = "priority_150", _("150인 이상 우선지원대상기업")
    FROM_150_TO_999 = "from_150_to_999", _("150인 이상 1,000인 미만")
    FROM_1000 = "from_1000", _("1,000인 이상 또는 국가·지방자치단체")


class DeliveryChannel(models.TextChoices):
    """How a workplace's reports reach the agencies."""

    API = "api", _("전자 전송(API)")
    FILE = "file", _("신고 파일(4대보험 정보연계센터 업로드)")


class Workplace(models.Model):
    name = models.CharField(_("사업장 명칭"), max_length=200)
    business_registration_number = models.CharField(_("사업자등록번호"), max_length=10)
    management_number = models.CharField(_("사업장관리번호"), max_length=11, unique=True)
    # Registered in the portal before the agencies assigned one (services.workplace_register).
    management_number_provisional = models.BooleanField(_("임시 사업장관리번호"), default=False)
    industry_code = models.CharField(_("산재보험 사업종류 코드"), max_length=10, blank=True)
    headcount = models.PositiveIntegerField(_("상시근로자 수"), default=1)
    employment_band = models.CharField(
        _("고용보험 사업주 규모"),
        max_length=20,
        choices=EmploymentBand.choices,
        default=EmploymentBand.UNDER_150,
    )
    address = models.CharField(_("소재지"), max_length=300, blank=True)
    postcode = models.CharField(_("우편번호"), max_length=5, blank=True)
    phone = models.CharField(_("전화번호"), max_length=20, blank=True)
    representative_name = models.CharField(_("대표자"), max_length=100, blank=True)
    pension_joined_on = models.DateField(_("국민연금 적용일"), null=True, blank=True)
    health_joined_on = models.DateField(_("건강보험 적용일"), null=True, blank=True)
    employment_joined_on = models.DateField(_("고용보험 성립일"), null=True, blank=True)
    industrial_accident_joined_on = models.DateField(_("산재보험 성립일"), null=True, blank=True)
    closed_on = models.DateField(_("탈퇴·소멸일"), null=True, blank=True)
    # `file`: reports are not sent over HTTP but gathered into the agencies' bulk upload files
    # (filings.agency_files), which the user uploads to 4insure and whose outcome they record.
    delivery_channel = models.CharField(
        _("신고 방식"), max_length=8, choices=DeliveryChannel.choices, default=DeliveryChannel.API
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("사업장")
        verbose_name_plural = _("사업장")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person who works at the workplace's side: the owner (사업주) or HR staff."""

    class Role(models.TextChoices):
        OWNER = "owner", _("사업주")
        HR = "hr", _("인사 담당자")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workplace = models.ForeignKey(Workplace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workplace"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.workplace} ({self.role})"


class PayrollFirm(models.Model):
    """보험사무대행기관 or 세무·노무 office whose staff act for client workplaces."""

    name = models.CharField(_("기관명"), max_length=200)
    business_registration_number = models.CharField(_("사업자등록번호"), max_length=10, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="payroll_firms", blank=True
    )

    class Meta:
        verbose_name = _("보험사무대행기관")
        verbose_name_plural = _("보험사무대행기관")

    def __str__(self) -> str:
        return self.name


class Delegation(models.Model):
    """The workplace owner's grant to a payroll firm, live between its dates until revoked."""

    firm = models.ForeignKey(PayrollFirm, on_delete=models.CASCADE, related_name="delegations")
    workplace = models.ForeignKey(Workplace, on_delete=models.CASCADE, related_name="delegations")
    starts_on = models.DateField(_("시작일"))
    ends_on = models.DateField(_("종료일"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("철회 시각"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("위임")
        verbose_name_plural = _("위임")
        indexes = [models.Index(fields=["firm", "workplace"])]

    def __str__(self) -> str:
        return f"{self.firm_id} -> {self.workplace_id} ({self.starts_on}~{self.ends_on or ''})"


class EmploymentType(models.TextChoices):
    REGULAR = "regular", _("상용(정규)")
    CONTRACT = "contract", _("기간제(계약)")
    PART_TIME = "part_time", _("단시간")
    DAILY = "daily", _("일용")


class Employee(models.Model):
    """One person's employment at one workplace. The resident number is never stored in clear."""

    workplace = models.ForeignKey(Workplace, on_delete=models.PROTECT, related_name="employees")
    name = models.CharField(_("성명"), max_length=100)
    rrn_encrypted = models.BinaryField(editable=False)
    rrn_index = models.CharField(max_length=64, editable=False)
    rrn_masked = models.CharField(_("주민(외국인)등록번호"), max_length=14, editable=False)
    is_foreigner = models.BooleanField(default=False)
    nationality = models.CharField(_("국적"), max_length=2, default="KR")
    visa = models.CharField(_("체류자격"), max_length=10, blank=True)
    birth_date = models.DateField(_("생년월일"))
    sex = models.CharField(_("성별"), max_length=1, choices=[("M", _("남")), ("F", _("여"))])
    hire_date = models.DateField(_("입사일(자격취득일)"), null=True, blank=True)
    last_working_day = models.DateField(_("마지막 근무일"), null=True, blank=True)
    loss_date = models.DateField(_("자격상실일"), null=True, blank=True)
    monthly_wage = models.PositiveBigIntegerField(_("월 보수액"), default=0)
    employment_type = models.CharField(
        _("고용형태"), max_length=10, choices=EmploymentType.choices, default=EmploymentType.REGULAR
    )
    weekly_hours = models.DecimalField(
        _("주 소정근로시간"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    monthly_days = models.PositiveSmallIntegerField(_("월 근로일수"), null=True, blank=True)
    job_code = models.CharField(_("직종부호"), max_length=3, blank=True)
    is_representative = models.BooleanField(_("대표자 여부"), default=False)
    contract_end = models.DateField(_("계약 종료일"), null=True, blank=True)
    # Snapshot of the coverage decision at hire: {"pension": {"covered": bool, "reason": str}, ...}
    coverage = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("근로자")
        verbose_name_plural = _("근로자")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workplace", "rrn_index"],
                condition=Q(loss_date__isnull=True),
                name="employee_one_active_per_workplace",
            )
        ]
        # A plain btree: db_index on a CharField adds a LIKE-pattern index no query uses.
        indexes = [models.Index(fields=["rrn_index"], name="employee_rrn_index")]

    def __str__(self) -> str:
        return f"{self.name} ({self.rrn_masked})"


class AuditEvent(models.Model):
    """Who did what to which object, when and from where; written in the change's transaction."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    workplace = models.ForeignKey(
        Workplace, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("감사 기록")
        verbose_name_plural = _("감사 기록")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class AccessRecord(models.Model):
    """PIPA 접속기록: every display or export of a full resident number (kept 2+ years).

    Append-only and hash-chained; written only by portal.access_log.access_records_append.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("조회")
        PRINT = "print", _("출력")
        DOWNLOAD = "download", _("다운로드")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="access_records")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(_("사유"), max_length=200, blank=True)
    # The hash chain (portal.access_log): position, the previous record's hash, this one's.
    seq = models.PositiveBigIntegerField(_("순번"), unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(_("해시"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("개인정보 접속기록")
        verbose_name_plural = _("개인정보 접속기록")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} employee#{self.employee_id}"


class ApiKey(models.Model):
    """A key for payroll software: shown once, stored hashed, optionally scoped to workplaces."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("이름"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    workplaces = models.ManyToManyField(Workplace, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 키")
        verbose_name_plural = _("API 키")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class OutboxMessage(models.Model):
    """A task to publish, written in the same transaction as the rows it is about.

    Published right after commit; the beat sweeper re-publishes rows left unpublished (broker down
    at commit time, process killed between commit and publish). Arguments are ids only.
    """

    task = models.CharField(max_length=100)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    publish_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(published_at__isnull=True),
                name="outbox_unpublished",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class BackupCode(models.Model):
    """One single-use second-factor backup code, stored as a salted slow hash.

    A code is "<selector>-<secret>": the selector finds the row without trying every hash, the
    secret is checked against `secret_hash` (ASVS 6.5.2: low-entropy lookup secrets hashed).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backup_codes"
    )
    selector = models.CharField(max_length=8)
    secret_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("백업 코드")
        verbose_name_plural = _("백업 코드")
        constraints = [
            models.UniqueConstraint(fields=["user", "selector"], name="backup_code_selector")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.selector}… ({'used' if self.used_at else 'unused'})"


class Heartbeat(models.Model):
    """When a background process last showed it was alive (`/readyz` reads it). Kept in the
    database, which readiness checks first anyway, so it is readable while Redis is down."""

    name = models.CharField(max_length=32, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%H:%M:%S}"
