"""Premiums API. Thin: validate, call one selector or service, render."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filings.serializers import ErrorSerializer
from portal.access import Action
from portal.api.access import api_caller, api_workplace
from portal.api.idempotency import idempotent
from portal.errors import FieldErrors
from premiums import serializers as s
from premiums.billing import month_parse
from premiums.selectors import bill_as_dict, premium_quote_for
from premiums.services import bill_ensure

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="입력 오류: 필드와 규칙을 밝힙니다."),
    401: OpenApiResponse(ErrorSerializer, description="인증 필요"),
    403: OpenApiResponse(ErrorSerializer, description="권한 없음"),
    404: OpenApiResponse(ErrorSerializer, description="없거나 접근할 수 없는 사업장"),
}


class PremiumQuoteView(APIView):
    @idempotent
    @extend_schema(
        tags=["premiums"],
        summary="월 보험료 계산(근로자 1명)",
        description=(
            "월 보수액과 귀속 월로 4대보험료를 계산합니다. 모든 금액은 10원 미만 절사한 정수 원이며 "
            "trace에 적용한 요율·상하한·절사 내역과 '기준 확인 필요' 표시가 들어 있습니다. "
            "workplace_id를 주면 그 사업장의 고용보험 규모와 산재보험 업종 요율을 씁니다."
        ),
        request=s.QuoteRequestSerializer,
        responses={200: s.QuoteResponseSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "2026년 3월, 월 300만 원",
                value={"monthly_wage": 3_000_000, "month": "2026-03"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = s.validated(s.QuoteRequestSerializer(data=request.data))
        workplace = None
        if data.get("workplace_id") is not None:
            workplace = api_workplace(request, data["workplace_id"], action=Action.VIEW)
        result = premium_quote_for(
            monthly_wage=data["monthly_wage"],
            month=data["month"],
            workplace=workplace,
            birth_date=data.get("birth_date"),
            hire_date=data.get("hire_date"),
            employment_band=data.get("employment_band"),
        )
        return Response(result.as_dict())


class WorkplaceBillView(APIView):
    @extend_schema(
        tags=["premiums"],
        summary="사업장 월별 보험료(고지 예상액)",
        description=(
            "저장된 월별 보험료를 돌려줍니다. 아직 계산한 적이 없으면 지금 계산해 저장합니다. "
            "금액은 두루누리 지원 차감 전이며, subsidy와 payable(지원 후)을 따로 줍니다."
        ),
        parameters=[
            OpenApiParameter("workplace_id", int, OpenApiParameter.PATH),
            OpenApiParameter("month", str, OpenApiParameter.PATH, description="YYYY-MM"),
        ],
        responses={200: s.BillResponseSerializer, **ERRORS},
    )
    def get(self, request: Request, workplace_id: int, month: str) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.VIEW)
        first_day = month_parse(month)
        if first_day is None:
            raise FieldErrors(
                {"month": [("month.format", "귀속 월은 YYYY-MM 형식이어야 합니다(예: 2026-03).")]}
            )
        bill = bill_ensure(workplace=workplace, month=first_day, actor=api_caller(request))
        return Response(bill_as_dict(bill=bill))
