"""Rate schedule rows (editable in the admin) and stored monthly bills."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from premiums.rates import AMOUNT_KINDS, RATIO_KINDS, RateBook, rate_book_invalidate


class RateKind(models.TextChoices):
    PENSION_RATE = "pension_rate", _("국민연금 요율 (근로자·사업주 각각)")
    PENSION_BASE_LOWER = "pension_base_lower", _("국민연금 기준소득월액 하한")
    PENSION_BASE_UPPER = "pension_base_upper", _("국민연금 기준소득월액 상한")
    HEALTH_RATE = "health_rate", _("건강보험 요율 (합계)")
    HEALTH_PREMIUM_CAP = "health_premium_cap", _("건강보험 월 보험료 상한 (합계)")
    HEALTH_PREMIUM_FLOOR = "health_premium_floor", _("건강보험 월 보험료 하한 (합계)")
    LTC_RATIO = "ltc_ratio", _("장기요양보험료 / 건강보험료 비율")
    EI_UNEMPLOYMENT_EMPLOYEE = "ei_unemployment_employee", _("고용보험 실업급여 근로자")
    EI_UNEMPLOYMENT_EMPLOYER = "ei_unemployment_employer", _("고용보험 실업급여 사업주")
    EI_STABILITY_EMPLOYER = "ei_stability_employer", _("고용보험 고용안정·직업능력개발 (규모별)")
    IACI_INDUSTRY = "iaci_industry", _("산재보험 사업종류별 요율")
    IACI_COMMUTING = "iaci_commuting", _("산재보험 출퇴근재해 요율")
    IACI_WAGE_CLAIM = "iaci_wage_claim", _("임금채권부담금")
    IACI_ASBESTOS = "iaci_asbestos", _("석면피해구제분담금")


class RateValue(models.Model):
    """One schedule value for one period: a ratio (numerator/denominator) or an amount in won."""

    schedule_version = models.CharField(_("요율표 버전"), max_length=40)
    kind = models.CharField(_("종류"), max_length=40, choices=RateKind.choices)
    key = models.CharField(
        _("구분 키"), max_length=40, blank=True, help_text=_("규모 구분 또는 사업종류 코드")
    )
    label = models.CharField(_("구분 명칭"), max_length=200, blank=True)
    numerator = models.PositiveBigIntegerField(_("분자"), null=True, blank=True)
    denominator = models.PositiveBigIntegerField(_("분모"), null=True, blank=True)
    amount = models.PositiveBigIntegerField(_("금액(원)"), null=True, blank=True)
    valid_from = models.DateField(_("적용 시작일"))
    valid_to = models.DateField(
        _("적용 종료일"), null=True, blank=True, help_text=_("해당일 포함, 비우면 변경 시까지")
    )
    source = models.CharField(_("근거"), max_length=300)
    verified = models.BooleanField(
        _("확인됨"),
        default=False,
        help_text=_("공식 문서로 확인되지 않은 값은 '기준 확인 필요'로 표시"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("요율 값")
        verbose_name_plural = _("요율 값")
        ordering = ["kind", "key", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "valid_from"], name="ratevalue_one_per_start"
            ),
            models.CheckConstraint(
                condition=(
                    Q(numerator__isnull=False, denominator__gt=0, amount__isnull=True)
                    | Q(numerator__isnull=True, denominator__isnull=True, amount__isnull=False)
                ),
                name="ratevalue_ratio_xor_amount",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="ratevalue_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        value = (
            f"{self.numerator}/{self.denominator}" if self.amount is None else f"{self.amount:,}원"
        )
        key = f"[{self.key}]" if self.key else ""
        return f"{self.kind}{key} {value} ({self.valid_from}~{self.valid_to or ''})"

    def clean(self) -> None:
        if self.kind in RATIO_KINDS and (self.numerator is None or not self.denominator):
            raise ValidationError(_("요율은 분자와 0보다 큰 분모를 입력해야 합니다."))
        if self.kind in AMOUNT_KINDS and self.amount is None:
            raise ValidationError(_("금액 항목은 금액을 입력해야 합니다."))
        if self.kind in RATIO_KINDS:
            self.amount = None
        else:
            self.numerator = self.denominator = None
        siblings = RateValue.objects.filter(kind=self.kind, key=self.key).exclude(pk=self.pk)
        try:
            RateBook([*siblings, self])
        except ValueError as exc:
            raise ValidationError(
                _(
                    "같은 종류·구분의 다른 값과 적용 기간이 겹치거나 값이 올바르지 않습니다: %(error)s"
                ),
                params={"error": exc},
            ) from exc


@receiver(post_save, sender=RateValue)
@receiver(post_delete, sender=RateValue)
def _rate_value_changed(**_kwargs: Any) -> None:
    rate_book_invalidate()


class Bill(models.Model):
    """A workplace's computed premiums for one month (one row per workplace and month)."""

    workplace = models.ForeignKey(
        "portal.Workplace", on_delete=models.PROTECT, related_name="premium_bills"
    )
    month = models.DateField(_("귀속 월"), help_text=_("해당 월 1일"))
    computed_at = models.DateTimeField(_("계산 시각"))
    schedule_version = models.CharField(_("요율표 버전"), max_length=40)
    pension_total = models.BigIntegerField(_("국민연금 합계"), default=0)
    health_total = models.BigIntegerField(_("건강보험 합계"), default=0)
    long_term_care_total = models.BigIntegerField(_("장기요양보험 합계"), default=0)
    employment_total = models.BigIntegerField(_("고용보험 합계"), default=0)
    industrial_accident_total = models.BigIntegerField(_("산재보험 합계"), default=0)
    employee_total = models.BigIntegerField(_("근로자 부담 합계"), default=0)
    employer_total = models.BigIntegerField(_("사업주 부담 합계"), default=0)
    subsidy_total = models.BigIntegerField(_("두루누리 지원 합계"), default=0)
    needs_review = models.BooleanField(_("기준 확인 필요"), default=False)
    # Set in the transaction that changed an input (filings.signals.bill_inputs_changed): the
    # next read recomputes the bill, so no one ever sees a stale one.
    stale = models.BooleanField(default=False)
    # The handful of distinct calculation inputs of this bill's lines; each line names its own
    # by index, so a bill of ten thousand lines stores a few traces, not ten thousand.
    traces = models.JSONField(_("계산 내역"), default=list, blank=True)

    class Meta:
        verbose_name = _("월별 보험료")
        verbose_name_plural = _("월별 보험료")
        ordering = ["-month", "workplace_id"]
        constraints = [
            models.UniqueConstraint(fields=["workplace", "month"], name="bill_one_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.workplace_id} {self.month:%Y-%m}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("귀속 월은 1일로 입력해야 합니다.")})


class BillLine(models.Model):
    """One employee's premiums in a bill; amounts are before the subsidy is deducted."""

    # No separate index: the (bill, employee) unique index already serves lookups by bill, and
    # every index costs time when a bill run writes ten thousand lines.
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines", db_index=False)
    employee = models.ForeignKey(
        "portal.Employee", on_delete=models.PROTECT, related_name="premium_lines"
    )
    monthly_wage = models.PositiveBigIntegerField(_("보수월액"))
    pension_base = models.PositiveBigIntegerField(_("기준소득월액"), default=0)
    pension_employee = models.PositiveBigIntegerField(_("국민연금 근로자"), default=0)
    pension_employer = models.PositiveBigIntegerField(_("국민연금 사업주"), default=0)
    health_employee = models.PositiveBigIntegerField(_("건강보험 근로자"), default=0)
    health_employer = models.PositiveBigIntegerField(_("건강보험 사업주"), default=0)
    long_term_care_employee = models.PositiveBigIntegerField(_("장기요양 근로자"), default=0)
    long_term_care_employer = models.PositiveBigIntegerField(_("장기요양 사업주"), default=0)
    employment_employee = models.PositiveBigIntegerField(_("고용보험 근로자"), default=0)
    employment_employer = models.PositiveBigIntegerField(_("고용보험 사업주"), default=0)
    industrial_accident_employer = models.PositiveBigIntegerField(_("산재보험 사업주"), default=0)
    pension_subsidy_employee = models.PositiveBigIntegerField(
        _("국민연금 지원 (근로자)"), default=0
    )
    pension_subsidy_employer = models.PositiveBigIntegerField(
        _("국민연금 지원 (사업주)"), default=0
    )
    employment_subsidy_employee = models.PositiveBigIntegerField(
        _("고용보험 지원 (근로자)"), default=0
    )
    employment_subsidy_employer = models.PositiveBigIntegerField(
        _("고용보험 지원 (사업주)"), default=0
    )
    subsidy_reason = models.CharField(_("지원 사유"), max_length=300, blank=True)
    trace_index = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("월별 보험료 내역")
        verbose_name_plural = _("월별 보험료 내역")
        ordering = ["bill_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "employee"], name="billline_one_per_employee")
        ]

    def __str__(self) -> str:
        return f"{self.bill} / {self.employee_id}"

    @property
    def trace(self) -> dict[str, Any]:
        """This line's calculation inputs (counted insurances, notes), kept on its bill."""
        traces = self.bill.traces
        return traces[self.trace_index] if self.trace_index < len(traces) else {}

    @property
    def employee_total(self) -> int:
        return (
            self.pension_employee
            + self.health_employee
            + self.long_term_care_employee
            + self.employment_employee
        )

    @property
    def employer_total(self) -> int:
        return (
            self.pension_employer
            + self.health_employer
            + self.long_term_care_employer
            + self.employment_employer
            + self.industrial_accident_employer
        )
