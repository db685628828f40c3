from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import DraftEvent, NotificationPreference

# A draft far from today is almost surely a typo in the year.
_MAX_DISTANCE = timedelta(days=366)


class DraftEventForm(forms.ModelForm):
    class Meta:
        model = DraftEvent
        fields = ["kind", "employee_name", "event_date"]
        widgets = {"event_date": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "event_date": _("입사는 입사일(자격취득일), 퇴사는 마지막 근무일 다음 날(자격상실일)"),
        }

    def clean_employee_name(self) -> str:
        name = self.cleaned_data["employee_name"].strip()
        if not name:
            raise forms.ValidationError(_("성명을 입력해 주세요."))
        return name

    def clean_event_date(self) -> date:
        value: date = self.cleaned_data["event_date"]
        if abs(value - timezone.localdate()) > _MAX_DISTANCE:
            raise forms.ValidationError(_("오늘부터 1년 이내의 날짜를 입력해 주세요."))
        return value


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email", "in_portal", "digest"]
        help_texts = {
            "digest": _("보험사무대행기관 직원에게만 해당합니다. 반려·전송 실패는 바로 보냅니다."),
        }
