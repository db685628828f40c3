"""Request and response shapes of the premiums API."""

from __future__ import annotations

from datetime import date
from typing import Any

from rest_framework import serializers

from filings.serializers import RequestSerializer
from portal.errors import FieldErrors
from premiums.billing import month_parse
from premiums.rates import EMPLOYMENT_BANDS

MAX_WAGE = 10_000_000_000


class QuoteRequestSerializer(RequestSerializer):
    monthly_wage = serializers.IntegerField(
        min_value=0,
        max_value=MAX_WAGE,
        help_text="월 보수액(원, 정수)",
        error_messages={
            "required": "월 보수액(monthly_wage)을 입력해 주세요.",
            "invalid": "월 보수액은 원 단위 정수여야 합니다.",
            "min_value": "월 보수액은 0원 이상이어야 합니다.",
            "max_value": "월 보수액이 너무 큽니다.",
            "max_string_length": "월 보수액이 너무 큽니다.",
            "null": "월 보수액을 입력해 주세요.",
        },
    )
    month = serializers.CharField(
        help_text="귀속 월 YYYY-MM",
        error_messages={
            "required": "귀속 월(month)을 YYYY-MM 형식으로 입력해 주세요.",
            "blank": "귀속 월(month)을 YYYY-MM 형식으로 입력해 주세요.",
            "null": "귀속 월(month)을 YYYY-MM 형식으로 입력해 주세요.",
        },
    )
    workplace_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="사업장 ID: 고용보험 규모와 산재보험 업종 요율을 사업장에서 가져옵니다.",
        error_messages={"invalid": "사업장 ID는 정수여야 합니다."},
    )
    birth_date = serializers.DateField(
        required=False,
        allow_null=True,
        error_messages={"invalid": "생년월일은 YYYY-MM-DD 형식이어야 합니다."},
    )
    hire_date = serializers.DateField(
        required=False,
        allow_null=True,
        error_messages={"invalid": "입사일은 YYYY-MM-DD 형식이어야 합니다."},
    )
    employment_band = serializers.ChoiceField(
        choices=list(EMPLOYMENT_BANDS.items()),
        required=False,
        allow_null=True,
        error_messages={
            "invalid_choice": "고용보험 규모 구분은 "
            + ", ".join(EMPLOYMENT_BANDS)
            + " 중 하나여야 합니다."
        },
    )

    def validate_month(self, value: str) -> date:
        month = month_parse(value)
        if month is None:
            raise serializers.ValidationError(
                "귀속 월은 YYYY-MM 형식이어야 합니다(예: 2026-03).", code="format"
            )
        return month


def validated(serializer: serializers.Serializer) -> dict[str, Any]:
    """Validated data, or FieldErrors whose rules read "<field>.<check>"."""
    if serializer.is_valid():
        return dict(serializer.validated_data)
    errors = FieldErrors()
    for name, details in serializer.errors.items():
        for detail in details:
            errors.add(name, f"{name}.{getattr(detail, 'code', 'invalid')}", str(detail))
    raise errors


class SidesSerializer(serializers.Serializer):
    employee = serializers.IntegerField()
    employer = serializers.IntegerField()


class PensionSerializer(SidesSerializer):
    base = serializers.IntegerField(help_text="기준소득월액")


class TraceStepSerializer(serializers.Serializer):
    insurance = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    rate = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it off the class
    verified = serializers.BooleanField()
    note = serializers.CharField(help_text="확인되지 않은 값이면 '기준 확인 필요'")
    adjustment = serializers.CharField()
    rounding = serializers.CharField()
    employee = serializers.IntegerField()
    employer = serializers.IntegerField()


class QuoteResponseSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    monthly_wage = serializers.IntegerField()
    pension = PensionSerializer()
    health = SidesSerializer()
    long_term_care = SidesSerializer()
    employment = SidesSerializer()
    industrial_accident = SidesSerializer(allow_null=True, help_text="사업장 없이는 null")
    total = SidesSerializer()
    needs_review = serializers.BooleanField()
    notes = serializers.ListField(child=serializers.CharField())
    trace = TraceStepSerializer(many=True)


class SubsidySerializer(serializers.Serializer):
    pension = SidesSerializer()
    employment = SidesSerializer()


class BillLineSerializer(serializers.Serializer):
    employee_id = serializers.IntegerField()
    name = serializers.CharField()
    monthly_wage = serializers.IntegerField()
    pension = PensionSerializer()
    health = SidesSerializer()
    long_term_care = SidesSerializer()
    employment = SidesSerializer()
    industrial_accident = SidesSerializer()
    total = SidesSerializer()
    subsidy = SubsidySerializer()
    subsidy_reason = serializers.CharField()
    counted = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(child=serializers.CharField())


class BillInsurancesSerializer(serializers.Serializer):
    pension = SidesSerializer()
    health = SidesSerializer()
    long_term_care = SidesSerializer()
    employment = SidesSerializer()
    industrial_accident = SidesSerializer()


class BillSubsidySerializer(SubsidySerializer):
    total = SidesSerializer()


class BillResponseSerializer(serializers.Serializer):
    workplace_id = serializers.IntegerField()
    month = serializers.CharField(help_text="YYYY-MM")
    computed_at = serializers.DateTimeField()
    schedule_version = serializers.CharField()
    needs_review = serializers.BooleanField()
    insurances = BillInsurancesSerializer()
    total = SidesSerializer(help_text="지원 전 합계")
    subsidy = BillSubsidySerializer(help_text="두루누리 지원액")
    payable = SidesSerializer(help_text="지원 후 납부할 금액")
    lines = BillLineSerializer(many=True)
