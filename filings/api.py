"""Public API for reports and coverage. Thin: validate, call one service, render."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filings import serializers as s
from filings.coverage import CoverageInput, coverage_decide
from filings.selectors import report_as_dict, report_get_for
from filings.services import IdempotencyConflict, ReportStateError, report_cancel, report_file
from portal.access import Action
from portal.api_access import api_check_scope, api_workplace


def _ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR")


ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="입력 오류: 필드와 규칙을 밝힙니다."),
    401: OpenApiResponse(s.ErrorSerializer, description="인증 필요"),
    403: OpenApiResponse(s.ErrorSerializer, description="권한 없음"),
    404: OpenApiResponse(s.ErrorSerializer, description="없거나 접근할 수 없음"),
}
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="같은 키와 같은 본문이면 처음 응답을 돌려줍니다(새 신고 없음). 다른 본문이면 422.",
)


class CoverageView(APIView):
    @extend_schema(
        tags=["coverage"],
        request=s.CoverageRequestSerializer,
        responses={200: s.CoverageResponseSerializer, **{k: ERRORS[k] for k in (400, 401, 403)}},
        summary="보험별 적용 여부와 이유",
    )
    def post(self, request: Request) -> Response:
        form = s.CoverageRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        coverage = coverage_decide(
            data=CoverageInput(
                birth_date=data["birth_date"],
                hire_date=data["hire_date"],
                employment_type=data["employment_type"],
                weekly_hours=data.get("weekly_hours"),
                monthly_days=data.get("monthly_days"),
                monthly_wage=data["monthly_wage"],
                nationality=data["nationality"].upper(),
                visa=data.get("visa") or "",
                is_representative=data["is_representative"],
                contract_months=data.get("contract_months"),
            )
        )
        return Response(coverage.as_dict())


REPORT_REQUEST = PolymorphicProxySerializer(
    component_name="ReportRequest",
    serializers=[
        s.HireRequestSerializer,
        s.ExitRequestSerializer,
        s.PayChangeRequestSerializer,
        s.WorkplaceReportRequestSerializer,
    ],
    resource_type_field_name="kind",
)


class WorkplaceReportsView(APIView):
    @extend_schema(
        tags=["reports"],
        request=REPORT_REQUEST,
        parameters=[IDEMPOTENCY],
        responses={
            201: s.ReportSerializer,
            **ERRORS,
            422: OpenApiResponse(
                s.ErrorSerializer, description="Idempotency-Key를 다른 본문에 재사용"
            ),
        },
        summary="신고 접수(자격취득, 자격상실, 보수변경, 사업장 신고)",
    )
    def post(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.FILE)
        if not isinstance(request.data, dict):
            return Response(
                {"error": {"code": "validation_error", "message": "JSON 객체를 보내 주세요."}},
                status=400,
            )
        key = request.headers.get("Idempotency-Key") or None
        if key is not None and len(key) > 255:
            return Response(
                {
                    "error": {
                        "code": "validation_error",
                        "message": "Idempotency-Key는 255자 이하여야 합니다.",
                        "fields": {
                            "Idempotency-Key": [{"rule": "max_length", "message": "255자 이하"}]
                        },
                    }
                },
                status=400,
            )
        try:
            report, created = report_file(
                actor=request.user,
                workplace=workplace,
                data=dict(request.data),
                idempotency_key=key,
                ip=_ip(request),
            )
        except IdempotencyConflict as exc:
            return Response(
                {
                    "error": {
                        "code": "idempotency_key_mismatch",
                        "message": f"이 Idempotency-Key는 다른 내용의 신고 #{exc.report.pk}에 이미 쓰였습니다.",
                    }
                },
                status=422,
            )
        if report.workplace_id != workplace.pk:
            return Response(
                {
                    "error": {
                        "code": "idempotency_key_mismatch",
                        "message": "이 Idempotency-Key는 다른 사업장의 신고에 이미 쓰였습니다.",
                    }
                },
                status=422,
            )
        response = Response(report_as_dict(report), status=status.HTTP_201_CREATED)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class ReportDetailView(APIView):
    @extend_schema(
        tags=["reports"],
        responses={200: s.ReportDetailSerializer, **{k: ERRORS[k] for k in (401, 403, 404)}},
        summary="신고 상세와 기관별 처리 이력",
    )
    def get(self, request: Request, report_id: int) -> Response:
        report = report_get_for(request.user, report_id)
        api_check_scope(request, report.workplace_id)
        return Response(report_as_dict(report, with_events=True))


class ReportCancelView(APIView):
    @extend_schema(
        tags=["reports"],
        request=None,
        responses={
            200: s.ReportDetailSerializer,
            **{k: ERRORS[k] for k in (401, 403, 404)},
            409: OpenApiResponse(s.ErrorSerializer, description="지금 상태에서는 취소할 수 없음"),
        },
        summary="신고 취소(이미 접수한 기관에는 취소 신고를 보냄)",
    )
    def post(self, request: Request, report_id: int) -> Response:
        report = report_get_for(request.user, report_id, action=Action.FILE)
        api_check_scope(request, report.workplace_id)
        try:
            report = report_cancel(actor=request.user, report=report, ip=_ip(request))
        except ReportStateError as exc:
            return Response({"error": {"code": "invalid_state", "message": str(exc)}}, status=409)
        report = report_get_for(request.user, report.pk)
        return Response(report_as_dict(report, with_events=True))
