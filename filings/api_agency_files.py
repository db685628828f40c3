"""Public API for filing by upload file (신고 파일, delivery channel `file`). Thin: validate, call
one service, render. Access through portal.access with the API key's workplace scope."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.registry import agency_codes
from filings.agency_files import (
    XLSX,
    RowResult,
    agency_file_as_dict,
    agency_file_get,
    agency_file_regenerate,
    agency_file_result_parse,
    agency_file_result_record,
    agency_file_xlsx,
    agency_files_for,
    agency_files_gather,
    agency_files_pending_for,
    agency_files_zip,
)
from filings.api import error_responses, request_ip
from filings.models import AgencyFile, Submission
from portal.access import Action
from portal.api.access import api_caller, api_reaches, api_workplace
from portal.api.idempotency import idempotent
from portal.api.parsers import StrictJSONParser
from portal.errors import NotFound
from portal.serializer_fields import CharField, StrictSerializer, column_length


def _agency_file(request: Request, agency_file_id: int) -> AgencyFile:
    """The batch, if the caller may file for its workplace (404 otherwise, as for workplaces)."""
    agency_file = agency_file_get(agency_file_id=agency_file_id)
    api_workplace(request, agency_file.workplace_id, action=Action.FILE)
    return agency_file


class AgencyFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    layout = serializers.CharField(
        help_text="양식과 버전: 4insure_acquisition_v1, 4insure_loss_v1, comwel_daily_work_v1, "
        "4insure_annual_wage_v1"
    )
    agency_portal = serializers.CharField(
        help_text='올릴 곳: "4insure"(4대사회보험 정보연계센터) 또는 "comwel"(고용·산재보험 토탈서비스, 근로내용확인신고)'
    )
    rows = serializers.IntegerField(help_text="인원(한 사람이 한 행, 네 보험을 함께)")
    created_at = serializers.DateTimeField()
    downloaded_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(
        allow_null=True, help_text="접수번호를 기록한 시각; 그 전에는 신고된 것이 아닙니다"
    )
    receipt_number = serializers.CharField(allow_blank=True, help_text="4insure 접수번호")
    replaced_by = serializers.IntegerField(
        allow_null=True, help_text="다시 만든 경우 새 신고 파일의 id(이 파일은 더 쓰지 않음)"
    )


class ResultRowSerializer(StrictSerializer):
    report_id = serializers.IntegerField(min_value=1)
    agency = serializers.ChoiceField(choices=agency_codes())
    status = serializers.ChoiceField(choices=["accepted", "rejected"])
    message = CharField(
        multiline=True,
        required=False,
        allow_blank=True,
        max_length=column_length(Submission, "result_message"),
        default="",
    )


class ResultJsonSerializer(StrictSerializer):
    receipt_number = serializers.CharField(
        allow_blank=True, max_length=64, help_text="처음 기록할 때 필수; 그 뒤에는 비워도 됩니다"
    )
    rows = ResultRowSerializer(many=True, required=False, default=list)


class ResultFileSerializer(StrictSerializer):
    file = serializers.FileField(
        help_text="4insure에서 내려받은 결과 파일(같은 양식에 오류메세지·경고메세지 열)"
    )
    receipt_number = serializers.CharField(
        required=False, allow_blank=True, max_length=64, default=""
    )


class ResultCountsSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="접수로 바뀐 기관별 신고 수")
    accepted = serializers.IntegerField(help_text="처리완료로 기록한 수")
    rejected = serializers.IntegerField(help_text="반려로 기록한 수")
    agency_file = AgencyFileSerializer()


class WorkplaceAgencyFilesView(APIView):
    @extend_schema(
        tags=["agency-files"],
        responses={200: AgencyFileSerializer(many=True), **error_responses(403, 404)},
        summary="신고 파일 목록(신고 방식이 file인 사업장)",
    )
    def get(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.VIEW)
        return Response([agency_file_as_dict(f) for f in agency_files_for(workplace=workplace)])

    @idempotent
    @extend_schema(
        tags=["agency-files"],
        request=None,
        responses={201: AgencyFileSerializer(many=True), **error_responses(400, 403, 404, 409)},
        summary="지금 신고 파일 만들기: 대기 중인 취득·상실 신고를 양식별 새 파일로 모음",
        description=(
            "아직 어느 파일에도 들지 않은 대기(queued) 신고만 모읍니다. 한 신고는 한 파일에만 "
            "들어갑니다. 모을 것이 없으면 빈 목록입니다. 매일 한 번 저절로도 모읍니다."
        ),
    )
    def post(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.FILE)
        made = agency_files_gather(
            workplace=workplace, actor=api_caller(request), ip=request_ip(request)
        )
        return Response([agency_file_as_dict(f) for f in made], status=status.HTTP_201_CREATED)


class AgencyFileXlsxView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A file, whatever the Accept header asks for; errors still answer in JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["agency-files"],
        responses={(200, XLSX): OpenApiTypes.BINARY, **error_responses(403, 404)},
        operation_id="v1_agency_files_xlsx_retrieve",
        summary="신고 파일 내려받기(XLSX, 4insure 엑셀 일괄신고 양식)",
        description=(
            "주민등록번호 전체가 들어 있어 내려받을 때마다 개인정보 접속기록을 남깁니다. "
            "파일은 저장하지 않고 내려받을 때 만듭니다."
        ),
    )
    def get(self, request: Request, agency_file_id: int) -> HttpResponse:
        agency_file = _agency_file(request, agency_file_id)
        content, filename = agency_file_xlsx(
            agency_file=agency_file, actor=api_caller(request), ip=request_ip(request)
        )
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response


class AgencyFileResultView(APIView):
    parser_classes = [StrictJSONParser, MultiPartParser]

    @idempotent
    @extend_schema(
        tags=["agency-files"],
        request={
            "application/json": ResultJsonSerializer,
            "multipart/form-data": ResultFileSerializer,
        },
        responses={200: ResultCountsSerializer, **error_responses(400, 403, 404, 415)},
        summary="신고 파일의 결과 기록: 접수번호와 사람·기관별 처리완료/반려",
        description=(
            "JSON: {receipt_number, rows: [{report_id, agency, status, message}]}. 또는 "
            "multipart로 4insure 결과 파일(file)과 receipt_number. 접수번호를 기록하면 파일의 "
            "신고가 모두 접수가 됩니다. 결과 파일에서 오류메세지가 있는 행은 메시지가 가리키는 "
            "보험(국민연금·건강·고용·산재)에서, 가리키지 않으면 그 사람의 모든 보험에서 반려로, "
            "오류메세지가 없는 행은 모든 보험에서 처리완료로 기록합니다(경고메세지는 메시지로). "
            "이미 처리완료·반려된 신고는 바꾸지 않습니다."
        ),
    )
    def post(self, request: Request, agency_file_id: int) -> Response:
        agency_file = _agency_file(request, agency_file_id)
        if "file" in request.FILES:
            form: serializers.Serializer = ResultFileSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            upload = form.validated_data["file"]
            rows = agency_file_result_parse(
                agency_file=agency_file, content=upload.read(), filename=upload.name or ""
            )
        else:
            form = ResultJsonSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            rows = [RowResult(**row) for row in form.validated_data["rows"]]
        counts = agency_file_result_record(
            agency_file=agency_file,
            actor=api_caller(request),
            receipt_number=form.validated_data["receipt_number"],
            rows=rows,
            ip=request_ip(request),
        )
        agency_file.refresh_from_db()
        return Response({**counts, "agency_file": agency_file_as_dict(agency_file)})


class AgencyFileRegenerateView(APIView):
    @idempotent
    @extend_schema(
        tags=["agency-files"],
        request=None,
        responses={201: AgencyFileSerializer, **error_responses(403, 404, 409)},
        summary="신고 파일 다시 만들기(사용자가 요청할 때만)",
        description=(
            "접수번호를 기록하기 전의 파일만: 아직 대기 중인 신고를 현재 양식 버전의 새 파일로 "
            "옮기고, 이 파일은 replaced_by로 표시되어 더 내려받거나 결과를 기록할 수 없습니다."
        ),
    )
    def post(self, request: Request, agency_file_id: int) -> Response:
        agency_file = _agency_file(request, agency_file_id)
        new = agency_file_regenerate(
            agency_file=agency_file, actor=api_caller(request), ip=request_ip(request)
        )
        return Response(agency_file_as_dict(new), status=status.HTTP_201_CREATED)


class AgencyFilesZipView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["agency-files"],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, **error_responses(403, 404)},
        operation_id="v1_agency_files_zip_retrieve",
        summary="올릴 신고 파일 모두를 한 zip으로(위임받은 사업장 전부, 사업장별 폴더)",
        description=(
            "접수번호를 아직 기록하지 않은 파일만 담습니다. 파일마다 내려받기와 같이 개인정보 "
            "접속기록을 남깁니다. 올릴 파일이 없으면 404입니다."
        ),
    )
    def get(self, request: Request) -> HttpResponse:
        caller = api_caller(request)
        batches = [
            f
            for f in agency_files_pending_for(actor=caller)
            if api_reaches(request, f.workplace_id)
        ]
        if not batches:
            raise NotFound("올릴 신고 파일이 없습니다.")
        content, filename = agency_files_zip(
            actor=caller, agency_files=batches, ip=request_ip(request)
        )
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response
