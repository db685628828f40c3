"""Request and response shapes of the public API (validation itself lives in filings.validation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from agencies.codes import EI_LOSS_REASONS
from agencies.registry import agency_codes
from filings.coverage import EMPLOYMENT_TYPES
from filings.separation import BENEFIT_REASON_CHOICES
from filings.validation import (
    CLOSURE_REASON_MAX_LENGTH,
    EXIT_DETAIL_MAX_LENGTH,
    HEALTH_ACQUISITION_CHOICES,
)
from portal.models import Employee
from portal.serializer_fields import CharField, StrictSerializer, column_length

_NULL_MEANS_ABSENT = "null_means_absent"


# A JSON request body: an explicit null for an optional field counts as leaving it out.
# Payroll programs and generated clients send `"visa": null` for a Korean national rather than
# dropping the key. Every optional field that would refuse null is marked nullable (so the schema
# says so) and a null for it is removed before validation, so its default applies. Fields that
# accept null on their own keep their meaning (in a PATCH, null clears a date).
# Every field is strict (portal.serializer_fields): text is text, digits are ASCII, dates are
# YYYY-MM-DD, numbers are finite.
# (A comment, not a docstring: drf-spectacular would copy a docstring into every subclass's schema.)
class RequestSerializer(StrictSerializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for field in fields.values():
            if not field.required and not field.read_only and not field.allow_null:
                field.allow_null = True
                setattr(field, _NULL_MEANS_ABSENT, True)
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            absent = {
                name
                for name, field in self.fields.items()
                if getattr(field, _NULL_MEANS_ABSENT, False) and name in data and data[name] is None
            }
            if absent:
                data = {key: value for key, value in data.items() if key not in absent}
        return super().to_internal_value(data)


class CoverageRequestSerializer(RequestSerializer):
    birth_date = serializers.DateField()
    hire_date = serializers.DateField()
    employment_type = serializers.ChoiceField(choices=sorted(EMPLOYMENT_TYPES))
    weekly_hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=168, required=False, allow_null=True
    )
    monthly_days = serializers.IntegerField(
        min_value=0, max_value=31, required=False, allow_null=True
    )
    monthly_wage = serializers.IntegerField(min_value=0, max_value=10_000_000_000)
    nationality = serializers.RegexField(r"^[A-Za-z]{2}$", default="KR")
    visa = serializers.CharField(
        max_length=column_length(Employee, "visa"), required=False, allow_blank=True, default=""
    )
    is_representative = serializers.BooleanField(default=False)
    contract_months = serializers.IntegerField(
        min_value=0, max_value=600, required=False, allow_null=True
    )


class DecisionSerializer(serializers.Serializer):
    covered = serializers.BooleanField()
    reason = serializers.CharField()
    rule = serializers.CharField()
    verified = serializers.BooleanField()


class EmploymentDecisionSerializer(DecisionSerializer):
    unemployment_benefit = serializers.BooleanField()


class CoverageResponseSerializer(serializers.Serializer):
    pension = DecisionSerializer()
    health = DecisionSerializer()
    employment = EmploymentDecisionSerializer()
    industrial_accident = DecisionSerializer()


class EmployeeInSerializer(RequestSerializer):
    name = serializers.CharField(max_length=column_length(Employee, "name"))
    rrn = serializers.CharField(
        max_length=20, help_text="주민등록번호 또는 외국인등록번호 13자리 (하이픈 허용)"
    )
    nationality = serializers.CharField(
        max_length=column_length(Employee, "nationality"), default="KR"
    )
    visa = serializers.CharField(
        max_length=column_length(Employee, "visa"), required=False, allow_blank=True
    )


class HireRequestSerializer(RequestSerializer):
    """A new employee's acquisition. An acquisition of someone already working here, at the
    agencies that now cover them (a daily worker whose month crossed the pension or health
    threshold: the daily_work report's acquisition_prompts), sends `employee_id` with
    `hire_date` (and the month's `monthly_days`, `monthly_wage`, `weekly_hours`) instead of
    `employee`: their details come from their record."""

    kind = serializers.ChoiceField(choices=["hire"])
    employee = EmployeeInSerializer()
    hire_date = serializers.DateField()
    monthly_wage = serializers.IntegerField(min_value=0)
    employment_type = serializers.ChoiceField(choices=sorted(EMPLOYMENT_TYPES))
    weekly_hours = serializers.DecimalField(max_digits=4, decimal_places=1, required=False)
    monthly_days = serializers.IntegerField(required=False)
    job_code = serializers.RegexField(r"^[0-9]{3}$")
    is_representative = serializers.BooleanField(default=False)
    contract_end = serializers.DateField(required=False, allow_null=True)
    pension_by_request = serializers.BooleanField(
        required=False,
        help_text="월 60시간 미만 근로자가 국민연금 가입을 신청함(취득부호 12)",
    )
    health_acquisition_code = serializers.ChoiceField(
        choices=list(HEALTH_ACQUISITION_CHOICES),
        required=False,
        help_text="건강보험 자격취득부호(기본 00 최초취득; 05 직장가입자 변경, 07 지역가입자에서 "
        "변경 등)",
    )


class ExitRequestSerializer(RequestSerializer):
    kind = serializers.ChoiceField(choices=["exit"])
    employee_id = serializers.IntegerField()
    last_working_day = serializers.DateField()
    reason_code = serializers.ChoiceField(choices=list(EI_LOSS_REASONS))
    reason_detail = CharField(
        multiline=True, max_length=EXIT_DETAIL_MAX_LENGTH, required=False, allow_blank=True
    )
    annual_wage_this_year = serializers.IntegerField(
        required=False, min_value=0, help_text="당해연도 보수총액(원): 건강보험·고용·산재 상실신고"
    )
    months_worked_this_year = serializers.IntegerField(
        required=False, min_value=0, max_value=12, help_text="당해연도 근무월수"
    )
    annual_wage_last_year = serializers.IntegerField(
        required=False, min_value=0, help_text="전년도 보수총액(원): 전년도 보수총액신고 전 퇴사 시"
    )
    months_worked_last_year = serializers.IntegerField(
        required=False, min_value=0, max_value=12, help_text="전년도 근무월수"
    )


class PayChangeRequestSerializer(RequestSerializer):
    kind = serializers.ChoiceField(choices=["pay_change"])
    employee_id = serializers.IntegerField()
    effective_date = serializers.DateField()
    monthly_wage = serializers.IntegerField(min_value=0)


class WageMonthSerializer(StrictSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField(min_value=1, max_value=31)
    wages = serializers.IntegerField(min_value=0, help_text="그 구간의 임금총액(원)")


class SeparationRequestSerializer(RequestSerializer):
    kind = serializers.ChoiceField(choices=["separation"])
    employee_id = serializers.IntegerField()
    last_working_day = serializers.DateField()
    reason_code = serializers.ChoiceField(
        choices=BENEFIT_REASON_CHOICES,
        help_text="실업급여를 받을 수 있는 고용보험 상실사유(기준 확인 필요)",
    )
    daily_hours = serializers.IntegerField(min_value=1, max_value=24, help_text="1일 소정근로시간")
    insured_days = serializers.IntegerField(min_value=0, help_text="피보험단위기간(일)")
    wage_months = WageMonthSerializer(
        many=True, help_text="평균임금 산정 기간(이직 전 3개월), 1~4개 구간"
    )


class SeparationPrefillSerializer(SeparationRequestSerializer):
    """The draft: everything but the loss reason, which the employer adds."""

    reason_code = serializers.ChoiceField(choices=BENEFIT_REASON_CHOICES, required=False)


class DailyWorkRequestSerializer(RequestSerializer):
    """근로내용확인신고: one daily worker's month (employment and industrial-accident)."""

    kind = serializers.ChoiceField(choices=["daily_work"])
    employee_id = serializers.IntegerField(help_text="고용형태가 일용(daily)인 근로자")
    month = serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$", help_text="근로월(YYYY-MM)")
    days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=31),
        max_length=31,
        help_text="근로한 날(그 달의 날짜들, 예: [3, 4, 10])",
    )
    daily_hours = serializers.DecimalField(
        max_digits=3, decimal_places=1, help_text="일평균 근로시간"
    )
    wages = serializers.IntegerField(min_value=0, help_text="보수총액(과세소득, 원)")
    total_pay = serializers.IntegerField(
        min_value=0, required=False, help_text="임금총액(원, 기본: wages)"
    )
    nontaxable = serializers.IntegerField(min_value=0, required=False, help_text="비과세소득(원)")
    income_tax = serializers.IntegerField(min_value=0, required=False, help_text="소득세(원)")
    local_tax = serializers.IntegerField(min_value=0, required=False, help_text="지방소득세(원)")
    separation_code = serializers.ChoiceField(
        choices=["", "1", "2", "3"],
        required=False,
        help_text="이직사유코드(그 달에 일을 그만둔 경우, 기준 확인 필요)",
    )


class WageOfMonthSerializer(StrictSerializer):
    month = serializers.RegexField(r"^[0-9]{4}-[0-9]{2}$", help_text="귀속월(YYYY-MM)")
    wages = serializers.IntegerField(min_value=0, help_text="그 달의 보수(원)")


class AnnualWageRequestSerializer(RequestSerializer):
    """보수총액신고(고용·산재, 3월 15일까지)와 건강보험 보수총액 통보(3월 10일까지): 한 사람의 한 해."""

    kind = serializers.ChoiceField(choices=["annual_wage"])
    employee_id = serializers.IntegerField()
    year = serializers.IntegerField(min_value=2000, help_text="귀속연도")
    months = WageOfMonthSerializer(many=True, help_text="월별 보수(1~12개월, 같은 달 한 번)")
    total_wages = serializers.IntegerField(
        min_value=0, required=False, help_text="보수총액(원, 기본: months의 합)"
    )


class AnnualWagePersonSerializer(StrictSerializer):
    employee_id = serializers.IntegerField()
    months = WageOfMonthSerializer(many=True, help_text="월별 보수(1~12개월, 같은 달 한 번)")
    total_wages = serializers.IntegerField(
        min_value=0, required=False, help_text="보수총액(원, 기본: months의 합)"
    )


class AnnualWageDraftSerializer(AnnualWageRequestSerializer):
    """The portal's draft for review: the request's fields plus who and where from."""

    name = serializers.CharField()
    rrn_masked = serializers.CharField()
    agencies = serializers.ListField(child=serializers.ChoiceField(choices=agency_codes()))
    months_worked = serializers.IntegerField()
    source = serializers.CharField(help_text="금액의 출처")  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it off the class


class AcquisitionPromptSerializer(serializers.Serializer):
    agency = serializers.ChoiceField(choices=agency_codes())
    reason = serializers.CharField()
    acquire_on = serializers.DateField(help_text="그 달 첫 근로일")


class WorkplaceReportRequestSerializer(RequestSerializer):
    kind = serializers.ChoiceField(
        choices=["workplace_registration", "workplace_change", "workplace_closure"]
    )
    effective_date = serializers.DateField()
    changes = serializers.DictField(
        child=serializers.CharField(max_length=300),
        required=False,
        help_text="workplace_change: name, address, …",
    )
    reason = CharField(
        multiline=True,
        max_length=CLOSURE_REASON_MAX_LENGTH,
        required=False,
        help_text="workplace_closure: 사유",
    )


class SubmissionSerializer(serializers.Serializer):
    agency = serializers.ChoiceField(choices=agency_codes())
    action = serializers.CharField()
    status = serializers.CharField()
    receipt_number = serializers.CharField(allow_blank=True)
    received_at = serializers.DateTimeField(
        allow_null=True, help_text="접수번호를 받은 시각(신고한 때: 기한 판단의 기준)"
    )
    deadline = serializers.DateField(allow_null=True)
    result_code = serializers.CharField(allow_blank=True)
    result_message = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    agency = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    message = serializers.CharField(allow_blank=True)


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    workplace_id = serializers.IntegerField()
    employee_id = serializers.IntegerField(allow_null=True)
    event_date = serializers.DateField()
    revision = serializers.IntegerField()
    supersedes = serializers.IntegerField(allow_null=True)
    filed_at = serializers.DateTimeField()
    coverage = serializers.DictField()
    submissions = SubmissionSerializer(many=True)
    cancellations = SubmissionSerializer(many=True)
    acquisition_prompts = AcquisitionPromptSerializer(
        many=True,
        required=False,
        help_text="daily_work: 그 달 근로로 국민연금·건강보험 취득 신고 대상이 된 기관과 사유 "
        "(employee_id를 넣은 hire 신고로 취득합니다)",
    )


class ReportDetailSerializer(ReportSerializer):
    events = EventSerializer(many=True)


class InsuredPeriodSerializer(serializers.Serializer):
    agency = serializers.ChoiceField(choices=agency_codes())
    acquired_on = serializers.DateField()
    lost_on = serializers.DateField(allow_null=True)
    source = serializers.ChoiceField(choices=["filed", "imported"])  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it off the class
    report_id = serializers.IntegerField(allow_null=True)


class ErrorFieldSerializer(serializers.Serializer):
    rule = serializers.CharField()
    message = serializers.CharField()


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=ErrorFieldSerializer(many=True), required=False)  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it off the class


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


class AttemptSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["send", "query"])
    started_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField()
    method = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    status_code = serializers.IntegerField(allow_null=True)
    outcome = serializers.CharField()
    error = serializers.CharField(allow_blank=True)
    request_body = serializers.CharField(
        allow_blank=True, help_text="보낸 전문(주민등록번호는 가려져 있음)"
    )
    response_body = serializers.CharField(allow_blank=True)


class SubmissionWithAttemptsSerializer(SubmissionSerializer):
    id = serializers.IntegerField()
    reference = serializers.UUIDField(help_text="기관 조회에 쓰는 우리 쪽 참조번호")
    deadline_rule = serializers.CharField(allow_blank=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    attempt_log = AttemptSerializer(many=True)


class BulkRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="파일의 행 번호(머리글 = 1행)")
    column = serializers.CharField(help_text="열 이름(한글 머리글)")
    field = serializers.CharField()
    rule = serializers.CharField()
    message = serializers.CharField()


class BulkUploadRequestSerializer(StrictSerializer):
    file = serializers.FileField(help_text="CSV(UTF-8 또는 CP949) 또는 XLSX, 최대 10,000행")
    dry_run = serializers.BooleanField(
        default=True, help_text="true: 검증만, false: 검증 후 오류 없는 행을 모두 신고"
    )
    kind = serializers.ChoiceField(
        choices=["hire", "exit"], required=False, help_text="생략하면 머리글로 판단"
    )


class BulkUploadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["hire", "exit"])
    status = serializers.ChoiceField(choices=["validated", "filing", "done"])
    filename = serializers.CharField(allow_blank=True)
    sha256 = serializers.CharField()
    total_rows = serializers.IntegerField()
    valid_rows = serializers.IntegerField()
    error_rows = serializers.IntegerField()
    filed_rows = serializers.IntegerField()
    failed_rows = serializers.IntegerField()
    reused = serializers.BooleanField(help_text="같은 파일을 이미 올린 적이 있어 그 결과를 돌려줌")
    errors = BulkRowErrorSerializer(many=True)  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it off the class


class InsuranceStandingSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["insured", "lost", "pending", "none"],
        help_text="insured 가입 중 · lost 상실 · pending 취득신고 처리 중 · none 가입 내역 없음",
    )
    acquired_on = serializers.DateField(allow_null=True)
    lost_on = serializers.DateField(allow_null=True)
    # DRF's metaclass moves declared fields out of the class, so the API's name is safe here.
    source = serializers.ChoiceField(choices=["filed", "imported"], allow_null=True)  # type: ignore[assignment]


class EmployeeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    workplace_id = serializers.IntegerField()
    name = serializers.CharField()
    rrn_masked = serializers.CharField(help_text="앞 7자리만 보이는 번호(예: 900101-1******)")
    is_foreigner = serializers.BooleanField()
    nationality = serializers.CharField()
    visa = serializers.CharField(allow_blank=True)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=["M", "F"])
    hire_date = serializers.DateField(allow_null=True)
    last_working_day = serializers.DateField(allow_null=True)
    loss_date = serializers.DateField(allow_null=True)
    monthly_wage = serializers.IntegerField()
    employment_type = serializers.ChoiceField(choices=sorted(EMPLOYMENT_TYPES))
    weekly_hours = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    monthly_days = serializers.IntegerField(allow_null=True)
    job_code = serializers.CharField(allow_blank=True)
    is_representative = serializers.BooleanField()
    contract_end = serializers.DateField(allow_null=True)
    active = serializers.BooleanField()
    insurances = serializers.DictField(
        child=InsuranceStandingSerializer(),
        help_text="기관별 자격(기관이 받아들인 내용): pension, health, employment, "
        "industrial_accident",
    )


class EmployeeCreateSerializer(RequestSerializer):
    name = serializers.CharField(max_length=column_length(Employee, "name"))
    rrn = serializers.CharField(max_length=20, help_text="주민등록번호 또는 외국인등록번호")
    nationality = serializers.RegexField(r"^[A-Za-z]{2}$", default="KR")
    visa = serializers.CharField(
        max_length=column_length(Employee, "visa"), required=False, allow_blank=True, default=""
    )
    hire_date = serializers.DateField(required=False, allow_null=True)
    monthly_wage = serializers.IntegerField(min_value=0, max_value=10_000_000_000, default=0)
    employment_type = serializers.ChoiceField(choices=sorted(EMPLOYMENT_TYPES), default="regular")
    weekly_hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=68, required=False, allow_null=True
    )
    monthly_days = serializers.IntegerField(
        min_value=0, max_value=31, required=False, allow_null=True
    )
    # No default: a default of "" would contradict the pattern in the schema (the model's is "").
    job_code = serializers.RegexField(r"^[0-9]{3}$", required=False, allow_blank=True)
    is_representative = serializers.BooleanField(default=False)
    contract_end = serializers.DateField(required=False, allow_null=True)


class EmployeeUpdateSerializer(RequestSerializer):
    """Fields a payroll program may change; the resident number never changes here."""

    name = serializers.CharField(max_length=column_length(Employee, "name"), required=False)
    visa = serializers.CharField(
        max_length=column_length(Employee, "visa"), required=False, allow_blank=True
    )
    monthly_wage = serializers.IntegerField(min_value=0, max_value=10_000_000_000, required=False)
    employment_type = serializers.ChoiceField(choices=sorted(EMPLOYMENT_TYPES), required=False)
    weekly_hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=68, required=False, allow_null=True
    )
    monthly_days = serializers.IntegerField(
        min_value=0, max_value=31, required=False, allow_null=True
    )
    job_code = serializers.RegexField(r"^[0-9]{3}$", required=False, allow_blank=True)
    is_representative = serializers.BooleanField(required=False)
    contract_end = serializers.DateField(required=False, allow_null=True)


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    description = serializers.CharField(allow_blank=True)
    workplace_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    active = serializers.BooleanField()
