"""Owner pages: registering a workplace, who works on it (members) and which payroll firm acts
for it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import Action
from portal.errors import FieldErrors
from portal.models import Delegation, Membership, PayrollFirm, Workplace
from portal.request_types import AuthenticatedHttpRequest
from portal.services import (
    delegation_grant,
    delegation_revoke,
    membership_add_hr,
    membership_remove,
    workplace_register,
)
from portal.web.forms import DelegationGrantForm, MemberAddForm, WorkplaceRegisterForm
from portal.web.selectors import CURRENT_KEY
from portal.web.views.common import client_ip, current_or_none, verified_required


def _owned(request: HttpRequest) -> Workplace:
    workplace = current_or_none(request, Action.MANAGE)
    if workplace is None:
        raise Http404
    return workplace


@verified_required
def workplace_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Register a workplace: usable at once, its owner the person registering it."""
    form = WorkplaceRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # The form's fields are the service's keyword arguments, one for one.
            workplace = workplace_register(
                actor=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except FieldErrors as exc:
            form.add_service_errors(exc)
        else:
            request.session[CURRENT_KEY] = workplace.pk
            messages.success(
                request,
                _("%(name)s을(를) 등록했습니다. 이제 네 기관에 사업장 성립 신고를 하세요.")
                % {"name": workplace.name},
            )
            return redirect("portal:workplace_registration")
    return render(request, "portal/workplace_new.html", {"form": form})


@verified_required
def delegations(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = _owned(request)
    form = DelegationGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        brn = "".join(c for c in form.cleaned_data["firm_brn"] if c in "0123456789")
        firm = PayrollFirm.objects.filter(business_registration_number=brn).first()
        if firm is None:
            form.add_error("firm_brn", _("이 사업자등록번호로 등록된 대행기관이 없습니다."))
        else:
            delegation_grant(
                actor=request.user,
                workplace=workplace,
                firm=firm,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                ip=client_ip(request),
            )
            messages.success(request, _("%(firm)s에 위임했습니다.") % {"firm": firm.name})
            return redirect("portal:delegations")
    rows = (
        Delegation.objects.filter(workplace=workplace)
        .select_related("firm")
        .order_by("revoked_at", "-starts_on", "-id")
    )
    return render(
        request, "portal/delegations.html", {"workplace": workplace, "rows": rows, "form": form}
    )


@verified_required
@require_POST
def delegation_revoke_view(request: AuthenticatedHttpRequest, delegation_id: int) -> HttpResponse:
    workplace = _owned(request)
    delegation = Delegation.objects.filter(pk=delegation_id, workplace=workplace).first()
    if delegation is None:
        raise Http404
    delegation_revoke(actor=request.user, delegation=delegation, ip=client_ip(request))
    messages.success(
        request, _("위임을 철회했습니다. 대행기관은 더 이상 이 사업장을 볼 수 없습니다.")
    )
    return redirect("portal:delegations")


@verified_required
def members(request: AuthenticatedHttpRequest) -> HttpResponse:
    workplace = _owned(request)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership_add_hr(
                actor=request.user,
                workplace=workplace,
                username=form.cleaned_data["username"],
                ip=client_ip(request),
            )
        except FieldErrors as exc:
            for message in exc.messages().get("username", []):
                form.add_error("username", message)
        else:
            messages.success(request, _("인사 담당자로 추가했습니다."))
            return redirect("portal:members")
    rows = Membership.objects.filter(workplace=workplace).select_related("user").order_by("role")
    return render(
        request, "portal/members.html", {"workplace": workplace, "rows": rows, "form": form}
    )


@verified_required
@require_POST
def member_remove(request: AuthenticatedHttpRequest, membership_id: int) -> HttpResponse:
    workplace = _owned(request)
    member = Membership.objects.filter(
        pk=membership_id, workplace=workplace, role=Membership.Role.HR
    ).first()
    if member is None:
        raise Http404
    membership_remove(actor=request.user, membership=member, ip=client_ip(request))
    messages.success(request, _("구성원을 삭제했습니다."))
    return redirect("portal:members")
