"""Public API for the 보수총액신고: the portal's drafts to review, and filing them at once."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filings import serializers as s
from filings.annual_wage import annual_wage_prefill
from filings.api import error_responses, request_ip
from filings.selectors import report_as_dict
from filings.services import annual_wage_reports_file
from portal.access import Action
from portal.api.access import api_caller, api_workplace
from portal.api.idempotency import idempotent
from portal.errors import FieldErrors
from portal.input_rules import InputRuleError, integer_from, message
from portal.serializer_fields import StrictSerializer


class AnnualWageFileRequestSerializer(StrictSerializer):
    year = serializers.IntegerField(min_value=2000, help_text="귀속연도")
    people = s.AnnualWagePersonSerializer(
        many=True, help_text="검토한 사람별 보수(최대 10,000명; 귀속연도는 이 요청의 year)"
    )


def _year_of(value: object, errors: FieldErrors) -> int:
    """The year as an integer (ASCII digits), 2000 to this year; else an error on `year`."""
    try:
        year = integer_from(value)
    except InputRuleError as exc:
        if exc.rule in ("finite", "ascii_digits"):
            errors.add("year", exc.rule, message(exc.rule, label="귀속연도(year)"))
            return 0
        year = 0
    if not 2000 <= year <= timezone.localdate().year:
        errors.add("year", "range", "귀속연도(year)는 2000년부터 올해까지입니다.")
    return year


def _year(request: Request) -> int:
    raw = request.query_params.get("year")
    if raw in (None, ""):
        return timezone.localdate().year - 1
    errors = FieldErrors()
    year = _year_of(raw, errors)
    errors.raise_if_any()
    return year


class WorkplaceAnnualWageView(APIView):
    @extend_schema(
        tags=["reports"],
        parameters=[
            OpenApiParameter(
                "year", OpenApiTypes.INT, required=False, description="귀속연도(기본: 작년)"
            )
        ],
        responses={200: s.AnnualWageDraftSerializer(many=True), **error_responses(400, 403, 404)},
        summary="보수총액신고 초안: 그해 건강·고용·산재 가입자별 월별 보수와 합계(검토용)",
        description=(
            "월별 보수는 그달 보험료 계산의 보수월액, 없으면 기관이 처리한 취득·보수변경 신고의 "
            "보수월액에서 옵니다. 그해 퇴사자는 상실 신고의 당해 보수총액이 있으면 그것을 씁니다. "
            "고쳐서 POST(이 주소)로 한꺼번에 내거나 POST /workplaces/{id}/reports/ 로 한 사람씩 "
            "내세요. 기한: 고용·산재 3월 15일, 건강보험 통보 3월 10일."
        ),
    )
    def get(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.VIEW)
        return Response(annual_wage_prefill(workplace=workplace, year=_year(request)))

    @idempotent
    @extend_schema(
        tags=["reports"],
        request=AnnualWageFileRequestSerializer,
        responses={201: s.ReportSerializer(many=True), **error_responses(400, 403, 404, 415)},
        summary="검토한 보수총액을 한꺼번에 신고(모두 되거나 하나도 안 됨)",
    )
    def post(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.FILE)
        body = request.data if isinstance(request.data, dict) else {}
        people = body.get("people")
        errors = FieldErrors()
        year = _year_of(body.get("year"), errors)
        if people is not None and not isinstance(people, list):
            errors.add("people", "array", "people는 사람별 보수의 목록(JSON 배열)이어야 합니다.")
        errors.raise_if_any()
        reports = annual_wage_reports_file(
            actor=api_caller(request),
            workplace=workplace,
            year=year,
            people=people if isinstance(people, list) else [],
            ip=request_ip(request),
        )
        return Response(
            [report_as_dict(r, with_prompts=False) for r in reports],
            status=status.HTTP_201_CREATED,
        )
