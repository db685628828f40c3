"""Request and response shapes of the public API (validation itself lives in filings.validation)."""

from __future__ import annotations

from rest_framework import serializers

from agencies.codes import EI_LOSS_REASONS
from filings.coverage import EMPLOYMENT_TYPES

AGENCY_CODES = ["pension", "health", "employment", "industrial_accident"]


class CoverageRequestSerializer(serializers.Serializer):
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
    visa = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
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


class EmployeeInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    rrn = serializers.CharField(help_text="주민등록번호 또는 외국인등록번호 13자리 (하이픈 허용)")
    nationality = serializers.CharField(max_length=2, default="KR")
    visa = serializers.CharField(max_length=10, required=False, allow_blank=True)


class HireRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["hire"])
    employee = EmployeeInSerializer()
    hire_date = serializers.DateField()
    monthly_wage = serializers.IntegerField(min_value=0)
    employment_type = serializers.ChoiceField(choices=sorted(EMPLOYMENT_TYPES))
    weekly_hours = serializers.DecimalField(max_digits=4, decimal_places=1, required=False)
    monthly_days = serializers.IntegerField(required=False)
    job_code = serializers.CharField(max_length=3)
    is_representative = serializers.BooleanField(default=False)
    contract_end = serializers.DateField(required=False, allow_null=True)


class ExitRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["exit"])
    employee_id = serializers.IntegerField()
    last_working_day = serializers.DateField()
    reason_code = serializers.ChoiceField(choices=list(EI_LOSS_REASONS))
    reason_detail = serializers.CharField(required=False, allow_blank=True)


class PayChangeRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["pay_change"])
    employee_id = serializers.IntegerField()
    effective_date = serializers.DateField()
    monthly_wage = serializers.IntegerField(min_value=0)


class WorkplaceReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["workplace_registration", "workplace_change", "workplace_closure"]
    )
    effective_date = serializers.DateField()
    changes = serializers.DictField(required=False, help_text="workplace_change: name, address, …")
    reason = serializers.CharField(required=False, help_text="workplace_closure: 사유")


class SubmissionSerializer(serializers.Serializer):
    agency = serializers.ChoiceField(choices=AGENCY_CODES)
    action = serializers.CharField()
    status = serializers.CharField()
    receipt_number = serializers.CharField(allow_blank=True)
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


class ReportDetailSerializer(ReportSerializer):
    events = EventSerializer(many=True)


class ErrorFieldSerializer(serializers.Serializer):
    rule = serializers.CharField()
    message = serializers.CharField()


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=ErrorFieldSerializer(many=True), required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()
