"""The premium quote form (wage and month in, every premium out)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from portal.models import Workplace
from premiums.billing import month_parse
from premiums.rates import EMPLOYMENT_BANDS


class QuoteForm(forms.Form):
    monthly_wage = forms.IntegerField(
        label=_("월 보수액(원)"),
        min_value=0,
        max_value=10_000_000_000,
        error_messages={
            "required": _("월 보수액을 입력해 주세요."),
            "invalid": _("원 단위 정수로 입력해 주세요."),
        },
    )
    month = forms.CharField(
        label=_("귀속 월"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-03"}),
        error_messages={"required": _("귀속 월을 입력해 주세요.")},
    )
    workplace = forms.ModelChoiceField(
        label=_("사업장(선택: 고용보험 규모와 산재보험 업종 요율 적용)"),
        queryset=Workplace.objects.none(),
        required=False,
        empty_label=_("선택 안 함"),
    )
    employment_band = forms.ChoiceField(
        label=_("고용보험 사업주 규모(선택)"),
        choices=[("", _("사업장 기준 또는 150인 미만")), *EMPLOYMENT_BANDS.items()],
        required=False,
    )
    birth_date = forms.DateField(
        label=_("생년월일(선택)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    hire_date = forms.DateField(
        label=_("입사일(선택)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, workplaces: QuerySet[Workplace], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["workplace"])
        field.queryset = workplaces.order_by("name")

    def clean_month(self) -> date:
        month = month_parse(self.cleaned_data["month"])
        if month is None:
            raise forms.ValidationError(_("귀속 월은 YYYY-MM 형식이어야 합니다(예: 2026-03)."))
        return month
