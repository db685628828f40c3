"""Public API for reports and coverage. Thin: validate, call one service, render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.registry import agency_choices
from filings import api_schema  # noqa: F401  (registers the Token auth scheme)
from filings import serializers as s
from filings.bulk import bulk_as_dict, bulk_file_start, bulk_validate
from filings.coverage import CoverageInput, coverage_decide
from filings.models import (
    BulkUpload,
    Report,
    ReportKind,
    ReportStatus,
    Submission,
    SubmissionAttempt,
)
from filings.periods import periods_of
from filings.selectors import report_as_dict, report_get_for, submission_as_dict
from filings.separation import separation_prefill
from filings.services import report_cancel, report_correct, report_file
from portal.access import Action, employee_get_for
from portal.api.access import api_caller, api_check_scope, api_workplace
from portal.api.errors import domain_error_body
from portal.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from portal.api.idempotency import idempotent
from portal.errors import FieldErrors, IdempotencyKeyMismatch, NotFound
from portal.input_rules import InputRuleError, date_from


# Shared with the api_<topic> modules split out of this one.
def request_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _json_object(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise FieldErrors({"body": [("json_object", "JSON 객체를 보내 주세요.")]})
    return dict(request.data)


ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="입력 오류: 필드와 규칙을 밝힙니다."),
    401: OpenApiResponse(s.ErrorSerializer, description="인증 필요"),
    403: OpenApiResponse(s.ErrorSerializer, description="권한 없음"),
    404: OpenApiResponse(s.ErrorSerializer, description="없거나 접근할 수 없음"),
    409: OpenApiResponse(s.ErrorSerializer, description="지금 상태에서는 할 수 없음"),
    415: OpenApiResponse(s.ErrorSerializer, description="지원하지 않는 Content-Type"),
    429: OpenApiResponse(s.ErrorSerializer, description="요청 수 제한 초과(Retry-After)"),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in (*codes, 401, 429)}


class CoverageView(APIView):
    @idempotent
    @extend_schema(
        tags=["coverage"],
        request=s.CoverageRequestSerializer,
        responses={200: s.CoverageResponseSerializer, **error_responses(400, 403, 415)},
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
        s.SeparationRequestSerializer,
        s.DailyWorkRequestSerializer,
        s.AnnualWageRequestSerializer,
        s.WorkplaceReportRequestSerializer,
    ],
    resource_type_field_name="kind",
)


class ReportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)
    agency = django_filters.ChoiceFilter(
        choices=agency_choices, method="filter_agency", label="이 기관에 간 신고만"
    )
    event_date = django_filters.DateFromToRangeFilter(
        label="사유 발생일 범위(event_date_after, event_date_before)"
    )
    filed_after = django_filters.DateFilter(field_name="filed_at__date", lookup_expr="gte")
    filed_before = django_filters.DateFilter(field_name="filed_at__date", lookup_expr="lte")

    class Meta:
        model = Report
        fields = ["status", "kind", "agency", "event_date", "filed_after", "filed_before"]

    def filter_agency(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        return queryset.filter(id__in=Submission.objects.filter(agency=value).values("report_id"))


class WorkplaceReportsView(ListAPIView):
    serializer_class = s.ReportSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReportFilter

    def get_queryset(self) -> QuerySet[Report]:
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        workplace = api_workplace(self.request, self.kwargs["workplace_id"], action=Action.VIEW)
        return (
            Report.objects.filter(workplace=workplace)
            .prefetch_related(Prefetch("submissions", queryset=Submission.objects.order_by("id")))
            .order_by("-filed_at", "-id")
        )

    @extend_schema(
        tags=["reports"],
        responses={200: s.ReportSerializer(many=True), **error_responses(400, 403, 404)},
        summary="사업장의 신고 목록(상태·종류·기관·기간으로 거르기, 페이지 나눔)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            [report_as_dict(r, with_prompts=False) for r in page or []]
        )

    @idempotent
    @extend_schema(
        tags=["reports"],
        request=REPORT_REQUEST,
        responses={
            201: s.ReportSerializer,
            **error_responses(400, 403, 404, 415),
            422: OpenApiResponse(
                s.ErrorSerializer, description="Idempotency-Key를 다른 본문에 재사용"
            ),
        },
        summary="신고 접수(자격취득, 자격상실, 보수변경, 사업장 신고)",
    )
    def post(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.FILE)
        report, created = report_file(
            actor=api_caller(request),
            workplace=workplace,
            data=_json_object(request),
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER) or None,
            ip=request_ip(request),
        )
        if report.workplace_id != workplace.pk:
            raise IdempotencyKeyMismatch(
                "이 Idempotency-Key는 다른 사업장의 신고에 이미 쓰였습니다."
            )
        # A new report's submissions are the rows report_file just wrote (as committed).
        fresh = getattr(report, "filed_submissions", None) if created else None
        response = Response(
            report_as_dict(report, submissions=fresh), status=status.HTTP_201_CREATED
        )
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class ReportDetailView(APIView):
    @extend_schema(
        tags=["reports"],
        responses={200: s.ReportDetailSerializer, **error_responses(403, 404)},
        summary="신고 상세와 기관별 처리 이력",
    )
    def get(self, request: Request, report_id: int) -> Response:
        report = report_get_for(request.user, report_id)
        api_check_scope(request, report.workplace_id)
        return Response(report_as_dict(report, with_events=True))


class ReportCancelView(APIView):
    @idempotent
    @extend_schema(
        tags=["reports"],
        request=None,
        responses={
            200: s.ReportDetailSerializer,
            **error_responses(400, 403, 404, 415),
            409: OpenApiResponse(s.ErrorSerializer, description="지금 상태에서는 취소할 수 없음"),
        },
        summary="신고 취소(이미 접수한 기관에는 취소 신고를 보냄)",
    )
    def post(self, request: Request, report_id: int) -> Response:
        report = report_get_for(request.user, report_id, action=Action.FILE)
        api_check_scope(request, report.workplace_id)
        report = report_cancel(actor=api_caller(request), report=report, ip=request_ip(request))
        report = report_get_for(request.user, report.pk)
        return Response(report_as_dict(report, with_events=True))


class ReportSubmissionsView(APIView):
    @extend_schema(
        tags=["reports"],
        responses={200: s.SubmissionWithAttemptsSerializer(many=True), **error_responses(403, 404)},
        summary="기관별 신고와 전송 시도 기록(요청·응답, 상태 코드, 소요 시간)",
    )
    def get(self, request: Request, report_id: int) -> Response:
        report = report_get_for(request.user, report_id)
        api_check_scope(request, report.workplace_id)
        attempts: dict[int, list[dict[str, Any]]] = {}
        for a in SubmissionAttempt.objects.filter(submission__report=report).order_by("id"):
            attempts.setdefault(a.submission_id, []).append(
                {
                    "kind": a.kind,
                    "started_at": a.started_at.isoformat(),
                    "duration_ms": a.duration_ms,
                    "method": a.method,
                    "url": a.url,
                    "status_code": a.status_code,
                    "outcome": a.outcome,
                    "error": a.error,
                    "request_body": a.request_body,
                    "response_body": a.response_body,
                }
            )
        rows = []
        for sub in report.submissions.all():
            rows.append(
                {
                    **submission_as_dict(sub),
                    "id": sub.pk,
                    "reference": str(sub.reference),
                    "deadline_rule": sub.deadline_rule,
                    "decided_at": sub.decided_at.isoformat() if sub.decided_at else None,
                    "attempt_log": attempts.get(sub.pk, []),
                }
            )
        return Response(rows)


class ReportCorrectView(APIView):
    @idempotent
    @extend_schema(
        tags=["reports"],
        request=REPORT_REQUEST,
        responses={
            201: s.ReportSerializer,
            **error_responses(400, 403, 404, 415),
            409: OpenApiResponse(
                s.ErrorSerializer, description="취소·정정된 신고는 정정할 수 없음"
            ),
        },
        summary="정정 신고: 새 내용으로 다시 신고하고 기존 신고를 대체(이력은 남음)",
        description="본문은 같은 종류의 신고 본문 전체입니다(kind는 원래 신고의 것을 씁니다).",
    )
    def post(self, request: Request, report_id: int) -> Response:
        report = report_get_for(request.user, report_id, action=Action.FILE)
        api_check_scope(request, report.workplace_id)
        new = report_correct(
            actor=api_caller(request),
            report=report,
            data=_json_object(request),
            ip=request_ip(request),
        )
        new = report_get_for(request.user, new.pk)
        return Response(report_as_dict(new), status=status.HTTP_201_CREATED)


class WorkplaceBulkReportsView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @idempotent
    @extend_schema(
        tags=["bulk"],
        request={"multipart/form-data": s.BulkUploadRequestSerializer},
        responses={
            200: OpenApiResponse(s.BulkUploadSerializer, description="같은 파일을 이미 올림"),
            201: s.BulkUploadSerializer,
            **error_responses(400, 403, 404, 415),
        },
        summary="일괄 신고: CSV/XLSX 검증(dry_run) 또는 검증 후 오류 없는 행 모두 신고",
        description=(
            "머리글은 포털에서 내려받는 양식의 한글 머리글입니다. 모든 행의 오류를 행·열별로 "
            "돌려줍니다(API와 같은 규칙과 문구). dry_run=false이면 오류 없는 행을 작업자가 "
            "신고하며 진행 상황은 GET .../bulk-reports/{upload_id}/로 봅니다. 같은 파일을 다시 "
            "올리면 이전 결과를 돌려주며 두 번 신고하지 않습니다."
        ),
    )
    def post(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.FILE)
        form = s.BulkUploadRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload_file = form.validated_data["file"]
        upload, reused = bulk_validate(
            actor=api_caller(request),
            workplace=workplace,
            content=upload_file.read(),
            filename=upload_file.name or "",
            kind=form.validated_data.get("kind"),
            ip=request_ip(request),
        )
        if not form.validated_data["dry_run"] and upload.valid_rows:
            bulk_file_start(actor=api_caller(request), upload=upload, ip=request_ip(request))
        code = status.HTTP_200_OK if reused else status.HTTP_201_CREATED
        return Response(bulk_as_dict(upload, reused=reused), status=code)


class WorkplaceBulkReportDetailView(APIView):
    @extend_schema(
        tags=["bulk"],
        responses={200: s.BulkUploadSerializer, **error_responses(403, 404)},
        summary="일괄 신고 진행 상황과 행별 오류",
    )
    def get(self, request: Request, workplace_id: int, upload_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.VIEW)
        upload = BulkUpload.objects.filter(pk=upload_id, workplace=workplace).first()
        if upload is None:
            raise NotFound()
        return Response(bulk_as_dict(upload))


def not_found(request: Any, exception: Exception | None = None) -> Any:
    """handler404: URLs under /api/ that match no route answer in the API's error shape."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        body = domain_error_body(NotFound())
        return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
    return page_not_found(request, exception)


class EmployeePeriodsView(APIView):
    @extend_schema(
        tags=["employees"],
        responses={200: s.InsuredPeriodSerializer(many=True), **error_responses(403, 404)},
        summary="근로자의 기관별 자격 이력(기관이 처리완료한 취득·상실만)",
        description=(
            "기관이 받아들인 자격취득·상실·취소만 반영합니다. 신고 중이거나 반려된 신고는 "
            "이력을 바꾸지 않습니다."
        ),
    )
    def get(self, request: Request, employee_id: int) -> Response:
        employee = employee_get_for(request.user, employee_id, action=Action.VIEW)
        api_check_scope(request, employee.workplace_id)
        return Response(
            [
                {
                    "agency": p.agency,
                    "acquired_on": p.acquired_on.isoformat(),
                    "lost_on": p.lost_on.isoformat() if p.lost_on else None,
                    "source": p.source,
                    "report_id": p.acquired_by.report_id if p.acquired_by else None,
                }
                for p in periods_of(employee_id=employee.pk)
            ]
        )


class EmployeeSeparationPrefillView(APIView):
    @extend_schema(
        tags=["employees"],
        parameters=[
            OpenApiParameter(
                "last_working_day",
                OpenApiTypes.DATE,
                required=False,
                description="마지막 근무일(기본: 근로자의 마지막 근무일, 없으면 어제)",
            )
        ],
        responses={200: s.SeparationPrefillSerializer, **error_responses(400, 403, 404)},
        summary="이직확인서 초안: 이직 전 3개월의 임금과 피보험단위기간을 포털 자료로 채움",
        description="reason_code를 더하고 고쳐서 POST /workplaces/{id}/reports/ 로 내세요.",
    )
    def get(self, request: Request, employee_id: int) -> Response:
        employee = employee_get_for(request.user, employee_id, action=Action.VIEW)
        api_check_scope(request, employee.workplace_id)
        raw = request.query_params.get("last_working_day")
        last_day = employee.last_working_day or (timezone.localdate() - timedelta(days=1))
        if raw:
            try:
                last_day = date_from(raw)
            except InputRuleError:
                raise FieldErrors(
                    {"last_working_day": [("date_format", "날짜는 YYYY-MM-DD로 적어 주세요.")]}
                ) from None
        if employee.hire_date and last_day < employee.hire_date:
            raise FieldErrors(
                {"last_working_day": [("before_hire", "마지막 근무일이 입사일보다 빠릅니다.")]}
            )
        return Response(separation_prefill(employee=employee, last_working_day=last_day))
