"""Public API for filing by hand on the `file` channel (filings.hand_outcomes): what waits at
the agencies' own sites, and recording what an agency did with it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.registry import agency_codes
from filings import serializers as s
from filings.api import error_responses, request_ip
from filings.hand_outcomes import STATUSES, as_dict, report_outcome_record, submissions_by_hand
from filings.models import ReportKind, Submission
from filings.selectors import report_as_dict, report_get_for
from portal.access import Action
from portal.api.access import api_caller, api_check_scope, api_workplace
from portal.api.idempotency import idempotent
from portal.serializer_fields import CharField, StrictSerializer, column_length


class ByHandSerializer(serializers.Serializer):
    report_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    agency = serializers.ChoiceField(choices=agency_codes())
    action = serializers.ChoiceField(choices=Submission.Action.choices)
    status = serializers.ChoiceField(choices=["queued", "received"])
    deadline = serializers.DateField(allow_null=True)
    employee_name = serializers.CharField(allow_null=True)


class OutcomeRequestSerializer(StrictSerializer):
    agency = serializers.ChoiceField(choices=agency_codes())
    action = serializers.ChoiceField(
        choices=Submission.Action.choices, default="file", help_text="file(신고) 또는 cancel(취소)"
    )
    status = serializers.ChoiceField(
        choices=list(STATUSES), help_text="received(접수만), accepted(처리완료), rejected(반려)"
    )
    receipt_number = serializers.CharField(
        max_length=column_length(Submission, "receipt_number"), help_text="기관이 준 접수번호"
    )
    message = CharField(
        multiline=True,
        required=False,
        allow_blank=True,
        max_length=column_length(Submission, "result_message"),
        default="",
        help_text="기관 메시지",
    )


class WorkplaceByHandView(APIView):
    @extend_schema(
        tags=["agency-files"],
        responses={200: ByHandSerializer(many=True), **error_responses(403, 404)},
        summary="직접 처리할 신고: 신고 파일 양식이 없는 신고와 취소(신고 방식 file)",
        description=(
            "보수변경, 이직확인서, 사업장 신고와 모든 취소 신고는 업로드 양식이 없어 기관 "
            "사이트에서 직접 내고, 결과를 POST /reports/{id}/outcome/ 로 기록합니다."
        ),
    )
    def get(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.VIEW)
        return Response([as_dict(sub) for sub in submissions_by_hand(workplace_id=workplace.pk)])


class ReportOutcomeView(APIView):
    @idempotent
    @extend_schema(
        tags=["agency-files"],
        request=OutcomeRequestSerializer,
        responses={200: s.ReportDetailSerializer, **error_responses(400, 403, 404, 409, 415)},
        summary="직접 낸 신고의 기관 결과 기록(신고 방식 file)",
        description=(
            "기관 사이트에서 직접 낸 신고(또는 취소 신고)에 기관이 준 접수번호와 결과를 "
            "기록합니다. 처리완료는 자격 이력·상태·알림에 API 방식과 똑같이 반영됩니다."
        ),
    )
    def post(self, request: Request, report_id: int) -> Response:
        report = report_get_for(request.user, report_id, action=Action.FILE)
        api_check_scope(request, report.workplace_id)
        form = OutcomeRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        report_outcome_record(
            actor=api_caller(request), report=report, ip=request_ip(request), **form.validated_data
        )
        report = report_get_for(request.user, report_id)
        return Response(report_as_dict(report, with_events=True))
