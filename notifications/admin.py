from django.contrib import admin
from django.http import HttpRequest

from notifications.models import (
    AlertDelivery,
    ClosureDay,
    Digest,
    DraftEvent,
    Notification,
    NotificationPreference,
)


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    """Operators add 임시공휴일 here; every deadline shown or alerted afterwards moves past them."""

    list_display = ["day", "name", "created_at"]
    search_fields = ["name"]
    date_hierarchy = "day"


@admin.register(DraftEvent)
class DraftEventAdmin(admin.ModelAdmin):
    list_display = ["employee_name", "kind", "event_date", "workplace", "report", "cancelled_at"]
    list_filter = ["kind"]
    search_fields = ["employee_name", "workplace__name"]
    raw_id_fields = ["workplace", "created_by", "report"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "in_portal", "digest"]
    raw_id_fields = ["user"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "workplace", "created_at", "read_at"]
    raw_id_fields = ["user", "workplace"]
    search_fields = ["title"]


class _ReadOnly(admin.ModelAdmin):
    """The sending record: looked at, never edited (editing would break exactly-once)."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(_ReadOnly):
    list_display = ["deadline_key", "threshold", "recipient", "channel", "created_at", "sent_at"]
    list_filter = ["threshold", "channel"]
    search_fields = ["deadline_key", "title"]


@admin.register(Digest)
class DigestAdmin(_ReadOnly):
    list_display = ["recipient", "day", "sent_at", "error"]
