import re

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.identifiers import IdentifierError, person_number_parse
from portal.models import (
    AccessRecord,
    ApiKey,
    AuditEvent,
    Delegation,
    Employee,
    Membership,
    PayrollFirm,
    Workplace,
)
from portal.services import rrn_index

admin.site.site_header = _("4대보험 신고 포털 운영")
admin.site.site_title = _("포털 운영")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class DelegationInline(admin.TabularInline):
    model = Delegation
    extra = 0
    fields = ["firm", "starts_on", "ends_on", "revoked_at", "granted_by"]
    raw_id_fields = ["granted_by"]


@admin.register(Workplace)
class WorkplaceAdmin(admin.ModelAdmin):
    list_display = ["name", "management_number", "business_registration_number", "headcount"]
    search_fields = ["name", "management_number", "business_registration_number"]
    inlines = [MembershipInline, DelegationInline]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["name", "rrn_masked", "workplace", "hire_date", "loss_date"]
    list_filter = ["employment_type", "is_foreigner"]
    list_select_related = ["workplace"]
    search_fields = ["name"]
    search_help_text = _("이름, 또는 주민(외국인)등록번호 13자리 전체로 정확히 검색합니다.")
    readonly_fields = ["rrn_masked", "birth_date", "sex", "is_foreigner", "coverage"]
    exclude = ["rrn_encrypted", "rrn_index"]
    raw_id_fields = ["workplace"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        digits = re.sub(r"[\s-]", "", search_term)
        if re.fullmatch(r"\d{13}", digits):
            try:
                number = person_number_parse(digits)
            except IdentifierError:
                return queryset.none(), False
            # Exact lookup through the blind index: the plain number is never in the database.
            return queryset.filter(rrn_index=rrn_index(number.digits)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(PayrollFirm)
class PayrollFirmAdmin(admin.ModelAdmin):
    list_display = ["name", "business_registration_number"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["firm", "workplace", "starts_on", "ends_on", "revoked_at"]
    list_select_related = ["firm", "workplace"]
    raw_id_fields = ["workplace", "granted_by"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workplace", "role"]
    list_select_related = ["user", "workplace"]
    raw_id_fields = ["workplace"]
    autocomplete_fields = ["user"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "workplace", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_id", "actor__username"]
    date_hierarchy = "at"


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "user", "employee", "action", "ip", "reason"]
    list_filter = ["action"]
    list_select_related = ["user", "employee"]
    search_fields = ["user__username", "employee__name", "reason", "ip"]
    date_hierarchy = "at"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    filter_horizontal = ["workplaces"]
