"""Public API for the history import (가입 이력 가져오기). Thin: validate, call one service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filings import serializers as s
from filings.api import error_responses, request_ip
from filings.bulk import bulk_as_dict
from filings.history import history_columns, history_import, history_template, history_validate
from filings.models import BulkUpload
from portal.access import Action
from portal.api.access import api_caller, api_workplace
from portal.api.idempotency import idempotent
from portal.errors import NotFound
from portal.serializer_fields import StrictSerializer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HistoryUploadRequestSerializer(StrictSerializer):
    file = serializers.FileField(help_text="CSV(UTF-8 또는 CP949) 또는 XLSX, 최대 10,000행")
    dry_run = serializers.BooleanField(
        default=True,
        help_text="true: 검사만(아무것도 쓰지 않음), false: 검사 후 오류가 없으면 모두 가져오기",
    )


class HistoryUploadSerializer(s.BulkUploadSerializer):
    # Bulk's answer with other kind and status values: DRF lets a subclass redeclare a field.
    kind = serializers.CharField(help_text='항상 "history"')  # type: ignore[assignment]  # see above
    status = serializers.CharField(help_text="validated(검사만 함) 또는 done(가져옴)")  # type: ignore[assignment]  # see above
    filed_rows = serializers.IntegerField(help_text="가져온 행 수")


class WorkplaceHistoryImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @idempotent
    @extend_schema(
        tags=["bulk"],
        request={"multipart/form-data": HistoryUploadRequestSerializer},
        responses={
            200: OpenApiResponse(HistoryUploadSerializer, description="같은 파일을 이미 올림"),
            201: HistoryUploadSerializer,
            **error_responses(400, 403, 404, 409, 415),
        },
        summary="가입 이력 가져오기: 포털 이전부터 가입된 근로자의 보험별 취득·상실일(CSV/XLSX)",
        description=(
            "머리글은 양식(GET /api/v1/insured-history/template.csv 또는 .xlsx)의 한글 머리글"
            "입니다: 주민등록번호, 성명, 월평균보수, 국적, 체류자격, 보험마다 취득일과 상실일. "
            "dry_run=true(기본)이면 행·열별 오류만 돌려주고 아무것도 쓰지 않습니다. "
            "dry_run=false이면 오류가 한 행도 없을 때만 한 번에 모두 가져옵니다: 근로자를 찾거나 "
            "만들고, 자격 이력(source: imported)을 씁니다. 오류가 있으면 아무것도 가져오지 않고 "
            "status는 validated로 남습니다. 같은 파일을 다시 올리면 이전 결과를 돌려주며 두 번 "
            "가져오지 않습니다. 답의 모양은 일괄 신고(bulk-reports)와 같습니다."
        ),
    )
    def post(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.FILE)
        form = HistoryUploadRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload_file = form.validated_data["file"]
        upload, reused = history_validate(
            actor=api_caller(request),
            workplace=workplace,
            content=upload_file.read(),
            filename=upload_file.name or "",
            ip=request_ip(request),
        )
        ready = upload.status == BulkUpload.Status.VALIDATED and upload.total_rows
        if not form.validated_data["dry_run"] and ready and not upload.error_rows:
            upload = history_import(
                actor=api_caller(request), upload=upload, ip=request_ip(request)
            )
        code = status.HTTP_200_OK if reused else status.HTTP_201_CREATED
        return Response(bulk_as_dict(upload, reused=reused), status=code)


class HistoryTemplateView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A file, whatever the Accept header asks for; errors still answer in JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["bulk"],
        parameters=[
            OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["csv", "xlsx"])
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX): OpenApiTypes.BINARY,
            **error_responses(404),
        },
        operation_id="v1_insured_history_template_retrieve",
        summary="가입 이력 양식 내려받기(CSV 또는 XLSX, 예시 한 행)",
        description="머리글: " + ", ".join(c.header for c in history_columns()),
    )
    def get(self, request: Request, fmt: str) -> HttpResponse:
        if fmt not in ("csv", "xlsx"):
            raise NotFound()
        content, filename, content_type = history_template(fmt=fmt)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response
