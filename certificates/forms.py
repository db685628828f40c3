"""Portal forms: request a certificate, upload a PDF to verify, revoke with a reason."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from certificates.models import CertificateKind
from certificates.services import PURPOSE_MAX_LENGTH, REVOKE_REASON_MAX_LENGTH
from portal.access import Action, workplaces_for
from portal.models import Employee, Workplace

OTHER = "other"
PURPOSES = [
    ("금융기관 제출용", _("금융기관 제출용")),
    ("관공서 제출용", _("관공서 제출용")),
    ("비자·체류 연장용", _("비자·체류 연장용")),
    ("입찰·계약 제출용", _("입찰·계약 제출용")),
    ("회사 제출용", _("회사 제출용")),
    (OTHER, _("기타(직접 입력)")),
]
# Large enough for a roster of thousands; anything bigger cannot be one of ours.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class CertificateRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("증명서 종류"), choices=CertificateKind.choices)
    # Both querysets are the user's own, set per form.
    workplace = forms.ModelChoiceField(label=_("사업장"), queryset=Workplace.objects.none())
    employee = forms.ModelChoiceField(
        label=_("근로자(가입내역 확인서)"),
        queryset=Employee.objects.none(),
        required=False,
    )
    purpose = forms.ChoiceField(label=_("용도"), choices=PURPOSES)
    purpose_other = forms.CharField(
        label=_("기타 용도"), max_length=PURPOSE_MAX_LENGTH, required=False
    )
    full_rrn = forms.BooleanField(
        label=_("주민등록번호 전체 표시(최근 10분 안에 OTP 재인증 필요, 접속기록에 남음)"),
        required=False,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        workplaces = workplaces_for(user, action=Action.FILE).order_by("name")
        cast(forms.ModelChoiceField, self.fields["workplace"]).queryset = workplaces
        cast(forms.ModelChoiceField, self.fields["employee"]).queryset = Employee.objects.filter(
            workplace__in=workplaces
        ).select_related("workplace")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        employee = data.get("employee")
        if data.get("kind") == CertificateKind.COVERAGE_HISTORY:
            if employee is None:
                self.add_error("employee", _("가입내역 확인서는 근로자를 선택해야 합니다."))
            elif data.get("workplace") and employee.workplace_id != data["workplace"].pk:
                self.add_error("employee", _("선택한 사업장의 근로자가 아닙니다."))
        if data.get("purpose") == OTHER:
            if not (data.get("purpose_other") or "").strip():
                self.add_error("purpose_other", _("기타 용도를 입력해 주세요."))
            data["purpose"] = (data.get("purpose_other") or "").strip()
        return data


class VerifyUploadForm(forms.Form):
    pdf = forms.FileField(label=_("확인할 PDF 파일"))

    def clean_pdf(self) -> bytes:
        upload = self.cleaned_data["pdf"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("10MB보다 큰 파일은 발급한 증명서가 아닙니다."))
        return upload.read()


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("폐기 사유"), max_length=REVOKE_REASON_MAX_LENGTH)
