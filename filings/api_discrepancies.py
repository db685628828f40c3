"""Public API: a workplace's open cross-agency discrepancies (기관 간 불일치). Thin: select, render.

Access through portal.access (with the API key's workplace scope), like every workplace endpoint.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.registry import agency_codes
from filings.consistency import discrepancies_open, discrepancy_as_dict
from filings.models import DiscrepancyKind, ReportKind
from filings.serializers import ErrorSerializer
from portal.access import Action, workplace_get_for
from portal.models import ApiKey

ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="인증 필요"),
    403: OpenApiResponse(ErrorSerializer, description="권한 없음"),
    404: OpenApiResponse(ErrorSerializer, description="없거나 접근할 수 없음"),
    429: OpenApiResponse(ErrorSerializer, description="요청 수 제한 초과(Retry-After)"),
}


class SuggestedReportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[ReportKind.HIRE, ReportKind.EXIT, ReportKind.PAY_CHANGE],
        help_text="고치려면 낼 신고의 종류",
    )
    employee_id = serializers.IntegerField()
    agencies = serializers.ListField(
        child=serializers.ChoiceField(choices=agency_codes()), help_text="이 신고가 필요한 기관"
    )
    report_id = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="정정할 신고(자격취득·상실); 없으면 새로 신고. 보수월액 변경은 원 신고",
    )
    hire_date = serializers.DateField(required=False, help_text="kind=hire: 취득일")
    loss_date = serializers.DateField(required=False, help_text="kind=exit: 상실일")
    last_working_day = serializers.DateField(required=False, help_text="kind=exit")
    effective_date = serializers.DateField(required=False, help_text="kind=pay_change: 변경일")
    monthly_wage = serializers.IntegerField(required=False, help_text="kind=pay_change")


class DiscrepancySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    employee_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=DiscrepancyKind.choices)
    agencies = serializers.ListField(child=serializers.ChoiceField(choices=agency_codes()))
    detail = serializers.CharField()
    suggested_report = SuggestedReportSerializer()


class WorkplaceDiscrepanciesView(APIView):
    @extend_schema(
        tags=["discrepancies"],
        responses={200: DiscrepancySerializer(many=True), **ERRORS},
        summary="기관 간 불일치(열린 것만)와 고치는 신고",
        description=(
            "기관이 처리완료한 내용끼리 비교합니다: 일부 기관에만 취득·상실·보수 변경이 "
            "반영되었거나 기관마다 날짜가 다른 사람. 처리 중인 신고가 있는 기관은 답이 올 "
            "때까지 비교하지 않습니다. 해소되면 목록에서 사라집니다."
        ),
    )
    def get(self, request: Request, workplace_id: int) -> Response:
        key_id = request.auth.pk if isinstance(request.auth, ApiKey) else None
        workplace = workplace_get_for(
            request.user, workplace_id, action=Action.VIEW, api_key_id=key_id
        )
        rows = discrepancies_open(workplaces=[workplace])
        return Response([discrepancy_as_dict(d) for d in rows])
