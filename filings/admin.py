"""Operators' view of every report, submission and raw attempt, with retry / manual actions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from filings.delivery import submission_mark_manual, submission_retry
from filings.models import (
    AgencyOutage,
    Discrepancy,
    Report,
    ReportEvent,
    Submission,
    SubmissionAttempt,
)
from portal.request_types import AuthenticatedHttpRequest


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SubmissionInline(ReadOnlyInline):
    model = Submission
    fields = readonly_fields = (
        "agency",
        "action",
        "status",
        "receipt_number",
        "result_message",
        "deadline",
        "attempts_count",
    )


class EventInline(ReadOnlyInline):
    model = ReportEvent
    fields = readonly_fields = ("at", "agency", "status", "message")
    show_change_link = False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "workplace", "employee", "event_date", "filed_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["workplace", "employee"]
    search_fields = ["id", "workplace__name", "employee__name", "submissions__receipt_number"]
    date_hierarchy = "filed_at"
    readonly_fields = [f.name for f in Report._meta.fields]
    inlines = [SubmissionInline, EventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AttemptInline(ReadOnlyInline):
    model = SubmissionAttempt
    fields = readonly_fields = (
        "started_at",
        "kind",
        "outcome",
        "status_code",
        "duration_ms",
        "error",
    )


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "report",
        "agency",
        "action",
        "status",
        "receipt_number",
        "attempts_count",
        "deadline",
    ]
    list_filter = ["status", "agency", "action"]
    list_select_related = ["report"]
    search_fields = ["receipt_number", "reference", "report__id"]
    readonly_fields = [f.name for f in Submission._meta.fields]
    inlines = [AttemptInline]
    actions = ["retry_selected", "mark_manual_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("실패한 신고 다시 보내기"))
    def retry_selected(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Submission]
    ) -> None:
        ip = request.META.get("REMOTE_ADDR")
        done = sum(submission_retry(actor=request.user, submission=s, ip=ip) for s in queryset)
        self.message_user(request, _("%d건을 다시 보내도록 했습니다.") % done, messages.SUCCESS)

    @admin.action(description=_("수동 처리로 전환"))
    def mark_manual_selected(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Submission]
    ) -> None:
        ip = request.META.get("REMOTE_ADDR")
        done = sum(
            submission_mark_manual(actor=request.user, submission=s, ip=ip) for s in queryset
        )
        self.message_user(request, _("%d건을 수동 처리로 전환했습니다.") % done, messages.SUCCESS)


@admin.register(SubmissionAttempt)
class SubmissionAttemptAdmin(admin.ModelAdmin):
    """The raw exchange of every attempt (request bodies stored with resident numbers masked)."""

    list_display = [
        "id",
        "submission",
        "kind",
        "outcome",
        "status_code",
        "duration_ms",
        "started_at",
    ]
    list_filter = ["outcome", "kind"]
    list_select_related = ["submission"]
    readonly_fields = [f.name for f in SubmissionAttempt._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Discrepancy)
class DiscrepancyAdmin(admin.ModelAdmin):
    """Read-only: only filings.consistency opens and resolves discrepancies."""

    list_display = ["id", "workplace", "employee", "kind", "agencies", "opened_at", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["workplace", "employee"]
    search_fields = ["workplace__name", "employee__name"]
    readonly_fields = [f.name for f in Discrepancy._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AgencyOutage)
class AgencyOutageAdmin(admin.ModelAdmin):
    """Agencies out (open circuits). Deleting a row closes the circuit: sending resumes at the
    next sweep, as if the probe had been answered."""

    list_display = ("agency", "opened_at", "last_attempt_at", "probe_at", "probes", "last_error")
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
