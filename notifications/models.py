"""Closure days, draft events that start a deadline clock, alerts sent exactly once, the in-portal
notification centre and each person's channel choices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Workplace


class ClosureDay(models.Model):
    """An ad-hoc closure (임시공휴일) the `holidays` calendar does not know yet."""

    day = models.DateField(_("날짜"), unique=True)
    name = models.CharField(_("이름"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("임시공휴일")
        verbose_name_plural = _("임시공휴일")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class DraftEvent(models.Model):
    """A hire or exit known before it is filed: its deadlines run from the event date."""

    class Kind(models.TextChoices):
        HIRE = "hire", _("입사(자격취득)")
        EXIT = "exit", _("퇴사(자격상실)")

    workplace = models.ForeignKey(Workplace, on_delete=models.CASCADE, related_name="draft_events")
    kind = models.CharField(_("구분"), max_length=8, choices=Kind.choices)
    # Acquisition date for a hire, loss date (the day after the last working day) for an exit.
    event_date = models.DateField(_("사유 발생일"))
    employee_name = models.CharField(_("성명"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report = models.ForeignKey(
        "filings.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("취소 시각"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("신고 예정 사건")
        verbose_name_plural = _("신고 예정 사건")
        ordering = ["event_date", "id"]
        indexes = [models.Index(fields=["workplace", "event_date"])]

    def __str__(self) -> str:
        return f"{self.employee_name} {self.get_kind_display()} {self.event_date}"


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.BooleanField(_("이메일로 받기"), default=True)
    in_portal = models.BooleanField(_("포털 알림함으로 받기"), default=True)
    # Only for payroll-firm staff: one mail a day instead of one per alert.
    digest = models.BooleanField(_("대행 사업장 알림은 하루 한 번 모아 받기"), default=True)

    class Meta:
        verbose_name = _("알림 설정")
        verbose_name_plural = _("알림 설정")

    def __str__(self) -> str:
        return f"{self.user}: email={self.email} portal={self.in_portal} digest={self.digest}"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    workplace = models.ForeignKey(
        Workplace, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("제목"), max_length=200)
    body = models.TextField(_("내용"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(_("읽은 시각"), null=True, blank=True)

    class Meta:
        verbose_name = _("알림")
        verbose_name_plural = _("알림")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["user", "-id"])]

    def __str__(self) -> str:
        return self.title


class Threshold(models.TextChoices):
    D7 = "d7", _("7일 전")
    D3 = "d3", _("3일 전")
    D1 = "d1", _("1일 전")
    OVERDUE = "overdue", _("기한 경과")
    REJECTED = "rejected", _("반려")
    FAILED = "failed", _("전송 실패")
    DELEGATION_EXPIRING = "delegation_expiring", _("위임 만료 예정")
    DISCREPANCY = "discrepancy", _("기관 간 불일치")
    ACQUISITION_DUE = "acquisition_due", _("취득 신고 대상")


class Channel(models.TextChoices):
    EMAIL = "email", _("이메일")
    PORTAL = "portal", _("포털 알림함")
    DIGEST = "digest", _("일일 요약 메일")


class Digest(models.Model):
    """One summary mail per payroll agent per day, whatever the number of workplaces."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("일일 요약 메일")
        verbose_name_plural = _("일일 요약 메일")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="digest_one_per_agent_day")
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.day}"


class AlertDelivery(models.Model):
    """The record that an alert went (or is going) to one person on one channel.

    Inserted before anything is sent: the unique key makes a second beat process or a re-run scan
    lose the race and send nothing.
    """

    deadline_key = models.CharField(max_length=100)
    threshold = models.CharField(max_length=24, choices=Threshold.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    workplace = models.ForeignKey(
        Workplace, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    digest = models.ForeignKey(
        Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("알림 발송 기록")
        verbose_name_plural = _("알림 발송 기록")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deadline_key", "threshold", "recipient", "channel"],
                name="alert_once_per_deadline_threshold_recipient_channel",
            )
        ]
        indexes = [models.Index(fields=["channel", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.deadline_key} {self.threshold} -> {self.recipient_id} ({self.channel})"
