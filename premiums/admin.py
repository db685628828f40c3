from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from premiums.models import Bill, BillLine, RateValue


@admin.register(RateValue)
class RateValueAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "key",
        "label",
        "value_display",
        "valid_from",
        "valid_to",
        "verified",
        "schedule_version",
    )
    list_filter = ("kind", "verified", "schedule_version")
    search_fields = ("kind", "key", "label", "source")
    ordering = ("kind", "key", "valid_from")
    readonly_fields = ("updated_at",)

    @admin.display(description=_("값"))
    def value_display(self, obj: RateValue) -> str:
        if obj.amount is not None:
            return f"{obj.amount:,}원"
        return f"{obj.numerator}/{obj.denominator}"


class BillLineInline(admin.TabularInline):
    model = BillLine
    extra = 0
    can_delete = False
    fields = (
        "employee",
        "monthly_wage",
        "pension_employee",
        "health_employee",
        "long_term_care_employee",
        "employment_employee",
        "industrial_accident_employer",
        "subsidy_reason",
    )
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Bill | None = None) -> bool:
        return False


@admin.register(Bill)
class BillAdmin(admin.ModelAdmin):
    """Bills are computed records: viewable, never hand-edited."""

    list_display = (
        "workplace",
        "month",
        "employee_total",
        "employer_total",
        "subsidy_total",
        "needs_review",
        "computed_at",
    )
    list_filter = ("month", "needs_review")
    search_fields = ("workplace__name", "workplace__management_number")
    list_select_related = ("workplace",)
    inlines = [BillLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Bill | None = None) -> bool:
        return False


@admin.register(BillLine)
class BillLineAdmin(admin.ModelAdmin):
    list_display = ("bill", "employee", "monthly_wage", "subsidy_reason")
    list_select_related = ("bill", "employee")
    raw_id_fields = ("bill", "employee")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: BillLine | None = None) -> bool:
        return False
