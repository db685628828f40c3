"""Portal forms. They collect and label input; the rules (and their Korean messages) live in
filings.validation, so the portal, the API and bulk upload say the same thing."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.codes import (
    EI_LOSS_REASON_CHOICES,
    EI_LOSS_REASONS,
    NHIS_ACQUISITION_CODES,
    NHIS_LOSS_CANCEL,
)
from agencies.registry import agency_codes, insurance_labels
from filings.annual_wage import FIRST_YEAR
from filings.models import ReportKind, ReportStatus
from filings.separation import BENEFIT_REASON_CHOICES, MAX_WAGE_MONTHS
from filings.validation import EXIT_PAY_TOTALS
from portal.errors import FieldErrors
from portal.models import EmploymentBand, EmploymentType


def agency_label(code: str) -> str:
    """The insurance's name in the user's language (the registry holds the Korean name)."""
    return gettext(insurance_labels().get(code, code))


def agency_label_choices() -> list[tuple[str, str]]:
    return [(code, agency_label(code)) for code in agency_codes()]


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _number(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "numeric", **attrs})


class OtpForm(forms.Form):
    token = forms.CharField(
        label=_("인증 코드"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text=_("인증 앱의 6자리 숫자 또는 백업 코드(예: abcd-efgh-jkmn)"),
        error_messages={"required": _("인증 코드를 입력해 주세요.")},
    )


class ServiceErrorsForm(forms.Form):
    """A form whose errors come from a service's FieldErrors, shown next to the field."""

    field_map: ClassVar[dict[str, str]] = {}

    def add_service_errors(self, exc: FieldErrors) -> None:
        for key, items in exc.fields.items():
            name = self.field_map.get(key, key.split(".")[-1])
            target = name if name in self.fields else None
            for _rule, message in items:
                self.add_error(target, message)


class SensitiveForm(ServiceErrorsForm):
    """Submitting a report is sensitive: a fresh code is asked when the last is > 10 min old."""

    otp_token = forms.CharField(
        label=_("인증 코드 (다시 확인)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
        help_text=_("보안을 위해 인증 앱의 6자리 코드를 다시 입력해 주세요."),
    )


NHIS_HIRE_CODES = [
    (code, label) for code, label in NHIS_ACQUISITION_CODES.items() if code != NHIS_LOSS_CANCEL
]


class HireForm(SensitiveForm):
    field_map: ClassVar[dict[str, str]] = {
        "employee": "name",
        "employee.name": "name",
        "employee.rrn": "rrn",
        "employee.nationality": "nationality",
        "employee.visa": "visa",
    }

    name = forms.CharField(label=_("성명"), required=False, max_length=100)
    rrn = forms.CharField(
        label=_("주민(외국인)등록번호"),
        required=False,
        max_length=14,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "900101-1234567"}),
    )
    nationality = forms.CharField(
        label=_("국적 (영문 두 글자)"), required=False, initial="KR", max_length=2
    )
    visa = forms.CharField(
        label=_("체류자격 (외국인만)"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"placeholder": "E-9"}),
    )
    hire_date = forms.CharField(label=_("입사일(자격취득일)"), required=False, widget=_date())
    employment_type = forms.ChoiceField(
        label=_("고용형태"), choices=EmploymentType.choices, initial="regular", required=False
    )
    weekly_hours = forms.CharField(
        label=_("주 소정근로시간"), required=False, widget=_number(inputmode="decimal")
    )
    monthly_days = forms.CharField(
        label=_("월 근로일수 (일용직)"), required=False, widget=_number()
    )
    monthly_wage = forms.CharField(label=_("월 보수액 (원)"), required=False, widget=_number())
    job_code = forms.CharField(
        label=_("직종부호 (3자리)"),
        required=False,
        max_length=3,
        widget=_number(placeholder="024"),
    )
    contract_end = forms.CharField(label=_("계약 종료일 (있으면)"), required=False, widget=_date())
    is_representative = forms.BooleanField(label=_("대표자입니다"), required=False)
    pension_by_request = forms.BooleanField(
        label=_("월 60시간 미만이지만 국민연금 가입을 신청합니다 (취득부호 12)"), required=False
    )
    health_acquisition_code = forms.ChoiceField(
        label=_("건강보험 자격취득부호"),
        choices=[(code, f"{code} {label}") for code, label in NHIS_HIRE_CODES],
        initial="00",
        required=False,
    )

    def to_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "pension_by_request": bool(d.get("pension_by_request")),
            "health_acquisition_code": d.get("health_acquisition_code") or "00",
            "kind": ReportKind.HIRE.value,
            "employee": {
                "name": d.get("name", ""),
                "rrn": d.get("rrn", ""),
                "nationality": d.get("nationality") or "KR",
                "visa": d.get("visa", ""),
            },
            "hire_date": d.get("hire_date", ""),
            "employment_type": d.get("employment_type", ""),
            "weekly_hours": d.get("weekly_hours", ""),
            "monthly_days": d.get("monthly_days", ""),
            "monthly_wage": d.get("monthly_wage", ""),
            "job_code": d.get("job_code", ""),
            "contract_end": d.get("contract_end") or None,
            "is_representative": bool(d.get("is_representative")),
        }


class EmployeeChoiceMixin:
    def set_employees(self, employees: list[Any]) -> None:
        field = self.fields["employee_id"]  # type: ignore[attr-defined]  # mixed into a Form
        field.choices = [("", _("근로자를 선택하세요"))] + [
            (str(e.pk), f"{e.name} ({e.rrn_masked})") for e in employees
        ]


class ExitForm(EmployeeChoiceMixin, SensitiveForm):
    employee_id = forms.ChoiceField(label=_("근로자"), required=False)
    last_working_day = forms.CharField(label=_("마지막 근무일"), required=False, widget=_date())
    reason_code = forms.ChoiceField(
        label=_("퇴사 사유"),
        required=False,
        choices=[("", _("사유를 선택하세요")), *EI_LOSS_REASON_CHOICES],
    )
    reason_detail = forms.CharField(
        label=_("구체적 사유 (선택)"), required=False, max_length=200, widget=forms.TextInput()
    )
    # 건강보험과 고용·산재보험 상실신고가 함께 받는 보수총액(선택): 퇴사 때 정산에 쓰입니다.
    annual_wage_this_year = forms.CharField(
        label=_("당해연도 보수총액 (원, 선택)"), required=False, widget=_number()
    )
    months_worked_this_year = forms.CharField(
        label=_("당해연도 근무월수 (선택)"), required=False, widget=_number()
    )
    annual_wage_last_year = forms.CharField(
        label=_("전년도 보수총액 (원, 선택)"),
        required=False,
        widget=_number(),
        help_text=_("전년도 보수총액신고(3월) 전에 퇴사하면 함께 적습니다."),
    )
    months_worked_last_year = forms.CharField(
        label=_("전년도 근무월수 (선택)"), required=False, widget=_number()
    )

    def to_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "kind": ReportKind.EXIT.value,
            "employee_id": d.get("employee_id"),
            "last_working_day": d.get("last_working_day"),
            "reason_code": d.get("reason_code"),
            "reason_detail": d.get("reason_detail", ""),
            **{name: d.get(name) or None for name in EXIT_PAY_TOTALS},
        }


class PayChangeForm(EmployeeChoiceMixin, SensitiveForm):
    employee_id = forms.ChoiceField(label=_("근로자"), required=False)
    effective_date = forms.CharField(label=_("변경일"), required=False, widget=_date())
    monthly_wage = forms.CharField(label=_("새 월 보수액 (원)"), required=False, widget=_number())

    def to_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "kind": ReportKind.PAY_CHANGE.value,
            "employee_id": d.get("employee_id"),
            "effective_date": d.get("effective_date"),
            "monthly_wage": d.get("monthly_wage"),
        }


class WorkplaceRegistrationForm(SensitiveForm):
    effective_date = forms.CharField(
        label=_("성립일 (첫 근로자 고용일)"), required=False, widget=_date()
    )

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": ReportKind.WORKPLACE_REGISTRATION.value,
            "effective_date": self.cleaned_data.get("effective_date"),
        }


class WorkplaceChangeForm(SensitiveForm):
    field_map: ClassVar[dict[str, str]] = {"changes": "name"}

    effective_date = forms.CharField(label=_("변경일"), required=False, widget=_date())
    name = forms.CharField(label=_("사업장 명칭"), required=False, max_length=200)
    address = forms.CharField(label=_("소재지"), required=False, max_length=300)
    postcode = forms.CharField(label=_("우편번호"), required=False, max_length=5)
    phone = forms.CharField(label=_("전화번호"), required=False, max_length=20)
    representative_name = forms.CharField(label=_("대표자"), required=False, max_length=100)

    CHANGE_FIELDS = ("name", "address", "postcode", "phone", "representative_name")

    def to_data(self, current: Any) -> dict[str, Any]:
        d = self.cleaned_data
        changes = {
            f: d[f].strip()
            for f in self.CHANGE_FIELDS
            if d.get(f, "").strip() and d[f].strip() != getattr(current, f)
        }
        return {
            "kind": ReportKind.WORKPLACE_CHANGE.value,
            "effective_date": d.get("effective_date"),
            "changes": changes,
        }


class WorkplaceClosureForm(SensitiveForm):
    effective_date = forms.CharField(label=_("탈퇴(소멸)일"), required=False, widget=_date())
    reason = forms.CharField(
        label=_("사유"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("예: 폐업, 근로자 없음")}),
    )

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": ReportKind.WORKPLACE_CLOSURE.value,
            "effective_date": self.cleaned_data.get("effective_date"),
            "reason": self.cleaned_data.get("reason", ""),
        }


class ReportFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("상태"), required=False, choices=[("", _("전체"))] + ReportStatus.choices
    )
    agency = forms.ChoiceField(
        label=_("기관"), required=False, choices=lambda: [("", _("전체")), *agency_label_choices()]
    )
    kind = forms.ChoiceField(
        label=_("신고 종류"), required=False, choices=[("", _("전체"))] + ReportKind.choices
    )
    date_from = forms.DateField(label=_("신고일 부터"), required=False, widget=_date())
    date_to = forms.DateField(label=_("신고일 까지"), required=False, widget=_date())
    scope = forms.ChoiceField(
        label=_("사업장"),
        required=False,
        choices=[("", _("현재 사업장")), ("all", _("모든 사업장"))],
    )


class DelegationGrantForm(forms.Form):
    firm_brn = forms.CharField(
        label=_("대행기관 사업자등록번호"),
        max_length=12,
        widget=_number(placeholder="1018100001"),
        error_messages={"required": _("대행기관의 사업자등록번호를 입력해 주세요.")},
    )
    starts_on = forms.DateField(
        label=_("시작일"),
        widget=_date(),
        error_messages={
            "required": _("시작일을 입력해 주세요."),
            "invalid": _("날짜를 YYYY-MM-DD 형식으로 입력해 주세요."),
        },
    )
    ends_on = forms.DateField(
        label=_("종료일 (없으면 비워 두세요)"),
        required=False,
        widget=_date(),
        error_messages={"invalid": _("날짜를 YYYY-MM-DD 형식으로 입력해 주세요.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("종료일은 시작일 이후여야 합니다."))
        return data


class WorkplaceRegisterForm(ServiceErrorsForm):
    """A new workplace; the rules live in portal.services.workplace_register."""

    name = forms.CharField(label=_("사업장 명칭"), required=False, max_length=200)
    business_registration_number = forms.CharField(
        label=_("사업자등록번호"),
        required=False,
        max_length=12,
        widget=_number(placeholder="123-45-67890"),
    )
    management_number = forms.CharField(
        label=_("사업장관리번호 (이미 받은 경우)"),
        required=False,
        max_length=14,
        widget=_number(),
        help_text=_(
            "비워 두면 사업자등록번호 뒤에 0을 붙인 번호를 임시로 씁니다 (기준 확인 필요). "
            "기관이 부여한 번호가 다르면 운영자가 관리 화면에서 고칩니다."
        ),
    )
    representative_name = forms.CharField(label=_("대표자"), required=False, max_length=100)
    headcount = forms.IntegerField(
        label=_("상시근로자 수"),
        initial=1,
        min_value=1,
        error_messages={
            "required": _("상시근로자 수를 입력해 주세요."),
            "invalid": _("상시근로자 수는 숫자로 입력해 주세요."),
            "min_value": _("상시근로자 수는 1명 이상이어야 합니다."),
        },
    )
    employment_band = forms.ChoiceField(
        label=_("고용보험 사업주 규모"), choices=EmploymentBand.choices, required=False
    )
    industry_code = forms.CharField(
        label=_("산재보험 사업종류 코드"), required=False, max_length=10, widget=_number()
    )
    address = forms.CharField(label=_("소재지"), required=False, max_length=300)
    postcode = forms.CharField(label=_("우편번호"), required=False, max_length=5, widget=_number())
    phone = forms.CharField(label=_("전화번호"), required=False, max_length=20)


class MemberAddForm(forms.Form):
    username = forms.CharField(
        label=_("추가할 사람의 아이디"),
        max_length=150,
        error_messages={"required": _("아이디를 입력해 주세요.")},
    )


# Periodic reports: 근로내용확인신고, 보수총액신고, 이직확인서 ---------------------------------------

# 근로내용확인신고의 이직사유코드: 1 is from the source; 2 and 3 follow the 서식 as commonly quoted.
DAILY_SEPARATION_CHOICES = [
    ("", _("해당 없음 (그 달에 그만두지 않음)")),
    ("1", _("1 회사 사정 (폐업·공사 중단·공사 종료·계약 만료 등)")),
    ("2", _("2 부득이한 개인 사정 (질병·부상 등, 기준 확인 필요)")),
    ("3", _("3 기타 개인 사정 (전직·자영업 등, 기준 확인 필요)")),
]
DAILY_OPTIONAL_MONEY = ("total_pay", "nontaxable", "income_tax", "local_tax")


def _indexed_to_field(exc: FieldErrors, pattern: str, replace: str) -> FieldErrors:
    """A copy of the errors with indexed names (days[3]) turned into the form's field names."""
    out = FieldErrors()
    for key, items in exc.fields.items():
        for rule, message in items:
            out.add(re.sub(pattern, replace, key), rule, message)
    return out


class DailyWorkForm(EmployeeChoiceMixin, SensitiveForm):
    """근로내용확인신고: the days come from the calendar's checkboxes (name "days")."""

    employee_id = forms.ChoiceField(label=_("일용근로자"), required=False)
    month = forms.CharField(
        label=_("근로월"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-05"}),
    )
    days = forms.MultipleChoiceField(
        label=_("근로한 날"),
        required=False,
        choices=[(str(d), str(d)) for d in range(1, 32)],
        widget=forms.CheckboxSelectMultiple,
    )
    daily_hours = forms.CharField(
        label=_("일평균 근로시간"), required=False, initial="8", widget=_number(inputmode="decimal")
    )
    wages = forms.CharField(label=_("보수총액 (과세소득, 원)"), required=False, widget=_number())
    total_pay = forms.CharField(
        label=_("임금총액 (원, 선택)"),
        required=False,
        widget=_number(),
        help_text=_("비워 두면 보수총액과 같은 금액으로 신고합니다."),
    )
    nontaxable = forms.CharField(label=_("비과세소득 (원, 선택)"), required=False, widget=_number())
    income_tax = forms.CharField(label=_("소득세 (원, 선택)"), required=False, widget=_number())
    local_tax = forms.CharField(label=_("지방소득세 (원, 선택)"), required=False, widget=_number())
    separation_code = forms.ChoiceField(
        label=_("이직사유코드 (선택)"),
        required=False,
        choices=DAILY_SEPARATION_CHOICES,
        help_text=_("그 달에 일을 그만둔 경우에만 고릅니다."),
    )

    def add_service_errors(self, exc: FieldErrors) -> None:
        super().add_service_errors(_indexed_to_field(exc, r"^days\[\d+\]$", "days"))

    def to_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "kind": ReportKind.DAILY_WORK.value,
            "employee_id": d.get("employee_id"),
            "month": d.get("month"),
            "days": [int(day) for day in d.get("days") or []],
            "daily_hours": d.get("daily_hours"),
            "wages": d.get("wages"),
            **{name: d.get(name) or None for name in DAILY_OPTIONAL_MONEY},
            "separation_code": d.get("separation_code") or "",
        }


class AnnualWageForm(SensitiveForm):
    """보수총액신고 of many people at once. Each row's inputs are named by the person (and month):
    include=<id>, w-<id>-<YYYY-MM> (that month's wage), t-<id> (a total that replaces the sum)."""

    year = forms.IntegerField(widget=forms.HiddenInput, min_value=FIRST_YEAR)

    def people(self, drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The included rows as annual_wage_reports_file takes them, in the drafts' order."""
        included = self.included()
        return [
            {
                "employee_id": draft["employee_id"],
                "months": [
                    {"month": m["month"], "wages": self.value_of(draft, m["month"])}
                    for m in draft["months"]
                ],
                "total_wages": self.data.get(f"t-{draft['employee_id']}", "").strip() or None,
            }
            for draft in drafts
            if str(draft["employee_id"]) in included
        ]

    def included(self) -> set[str]:
        """The ids of the rows whose checkbox was ticked."""
        return set(self.data.getlist("include")) if isinstance(self.data, QueryDict) else set()

    def value_of(self, draft: dict[str, Any], month: str) -> str:
        return str(self.data.get(f"w-{draft['employee_id']}-{month}", "")).strip()


class SeparationForm(EmployeeChoiceMixin, SensitiveForm):
    """이직확인서. The wage months are up to four rows of fields wm<i>_start/_end/_days/_wages;
    blank rows are left out."""

    WAGE_PARTS = ("start", "end", "days", "wages")

    employee_id = forms.ChoiceField(label=_("근로자"), required=False)
    last_working_day = forms.CharField(label=_("마지막 근무일"), required=False, widget=_date())
    reason_code = forms.ChoiceField(
        label=_("상실 사유 (실업급여를 받을 수 있는 사유)"),
        required=False,
        choices=[
            ("", _("사유를 선택하세요")),
            *[(code, f"{code} {EI_LOSS_REASONS[code]}") for code in BENEFIT_REASON_CHOICES],
        ],
    )
    daily_hours = forms.CharField(
        label=_("1일 소정근로시간"), required=False, initial="8", widget=_number()
    )
    insured_days = forms.CharField(
        label=_("피보험단위기간 (일)"),
        required=False,
        widget=_number(),
        help_text=_(
            "이직 전 18개월 동안 보수 지급의 기초가 된 날의 수입니다. 포털 자료로 채운 값을 "
            "확인해 주세요."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            "start": _("시작일"),
            "end": _("종료일"),
            "days": _("일수"),
            "wages": _("임금총액 (원)"),
        }
        for i in range(MAX_WAGE_MONTHS):
            for part in self.WAGE_PARTS:
                widget = _date() if part in ("start", "end") else _number()
                self.fields[f"wm{i}_{part}"] = forms.CharField(
                    label=labels[part], required=False, widget=widget
                )
        self.rows_sent: list[int] = []

    def wage_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"wm{i}_{part}"] for part in self.WAGE_PARTS] for i in range(MAX_WAGE_MONTHS)]

    def add_service_errors(self, exc: FieldErrors) -> None:
        # wage_months[k] is the k-th row sent, not the k-th row on screen (blank rows are left out).
        renamed = FieldErrors()
        for key, items in exc.fields.items():
            matched = re.fullmatch(r"wage_months\[(\d+)\]\.(\w+)", key)
            if matched and int(matched[1]) < len(self.rows_sent):
                key = f"wm{self.rows_sent[int(matched[1])]}_{matched[2]}"
            for rule, message in items:
                renamed.add(key, rule, message)
        super().add_service_errors(renamed)

    def to_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        months, self.rows_sent = [], []
        for i in range(MAX_WAGE_MONTHS):
            row = {part: (d.get(f"wm{i}_{part}") or "").strip() for part in self.WAGE_PARTS}
            if any(row.values()):
                months.append(row)
                self.rows_sent.append(i)
        return {
            "kind": ReportKind.SEPARATION.value,
            "employee_id": d.get("employee_id"),
            "last_working_day": d.get("last_working_day"),
            "reason_code": d.get("reason_code"),
            "daily_hours": d.get("daily_hours"),
            "insured_days": d.get("insured_days"),
            "wage_months": months,
        }
