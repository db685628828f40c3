"""Operators find certificates by serial or code and revoke them with a reason (never edit them)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from certificates.forms import RevokeForm
from certificates.models import Certificate
from certificates.services import certificate_revoke
from portal.request_types import AuthenticatedHttpRequest


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["serial", "kind", "workplace", "employee", "purpose", "issued_at", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["serial", "verification_code", "workplace__name"]
    list_select_related = ["workplace", "employee"]
    exclude = ["pdf", "facts"]
    actions = ["revoke_selected"]
    date_hierarchy = "issued_at"

    def get_readonly_fields(
        self, request: HttpRequest, obj: Certificate | None = None
    ) -> list[str]:
        return [f.name for f in Certificate._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued only through the service, which signs and renders

    def has_delete_permission(self, request: HttpRequest, obj: Certificate | None = None) -> bool:
        return False  # the verify page must keep answering "revoked", not "unknown"

    @admin.action(description=_("선택한 증명서 폐기(사유 입력)"), permissions=["change"])
    def revoke_selected(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Certificate]
    ) -> HttpResponse | None:
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            count = 0
            for certificate in queryset.filter(revoked_at__isnull=True):
                certificate_revoke(
                    actor=request.user,
                    certificate=certificate,
                    reason=form.cleaned_data["reason"],
                    ip=request.META.get("REMOTE_ADDR"),
                )
                count += 1
            self.message_user(request, _("%d건을 폐기했습니다.") % count, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "certificates/admin_revoke.html",
            {
                **self.admin_site.each_context(request),
                "title": _("증명서 폐기"),
                "form": form,
                "certificates": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )
