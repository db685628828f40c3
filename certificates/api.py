"""Public API for certificates. Thin: check access, call one service, render.

A coverage certificate is rendered inside the POST, so its PDF is ready when the 201 arrives.
A workplace roster is rendered by a worker: the 201 comes first and `GET .../pdf` answers
202 {"status": "rendering"} (with Retry-After) until the signed PDF is stored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.models import Certificate, CertificateKind
from certificates.receipts import agency_file_receipt_pdf, report_receipt_pdf
from certificates.render import verify_url_build
from certificates.selectors import certificate_get_for
from certificates.services import (
    PURPOSE_MAX_LENGTH,
    certificate_issue,
    certificate_pdf_fetch,
)
from filings.agency_files import agency_file_get
from filings.selectors import report_get_for
from filings.serializers import ErrorSerializer, RequestSerializer
from portal.access import Action
from portal.api.access import api_caller, api_check_scope, api_workplace
from portal.api.idempotency import idempotent
from portal.errors import Gone
from portal.models import Employee
from portal.otp import otp_is_fresh
from portal.services import PermissionDeniedError

RETRY_AFTER_SECONDS = 2


class CertificateRequestSerializer(RequestSerializer):
    kind = serializers.ChoiceField(choices=CertificateKind.choices)
    employee_id = serializers.IntegerField(
        required=False, help_text="coverage_history: 확인서를 발급할 근로자"
    )
    workplace_id = serializers.IntegerField(
        required=False, help_text="workplace_roster: 명부를 발급할 사업장"
    )
    purpose = serializers.CharField(
        max_length=PURPOSE_MAX_LENGTH, help_text="용도(예: 금융기관 제출용)"
    )
    full_rrn = serializers.BooleanField(
        default=False,
        help_text=(
            "주민등록번호 전체 표시. 세션 로그인으로 최근 10분 안에 OTP를 다시 확인한 경우에만 "
            "허용되며, 출력 사실이 개인정보 접속기록에 남습니다. API 키로는 400입니다."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == CertificateKind.COVERAGE_HISTORY and "employee_id" not in attrs:
            raise serializers.ValidationError(
                {"employee_id": "가입내역 확인서는 employee_id가 필요합니다."}
            )
        if attrs["kind"] == CertificateKind.WORKPLACE_ROSTER and "workplace_id" not in attrs:
            raise serializers.ValidationError(
                {"workplace_id": "가입자 명부는 workplace_id가 필요합니다."}
            )
        return attrs


class CertificateIssuedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CertificateKind.choices)
    serial = serializers.CharField(help_text="발급번호, 예: C-2026-000123")
    verification_code = serializers.CharField(help_text="진위확인 번호, 예: ABCD-EFGH-JKMN-PQRS")
    pdf_url = serializers.URLField()
    verify_url = serializers.URLField(help_text="누구나 열 수 있는 진위확인 페이지")


RENDERING = inline_serializer("CertificateRendering", {"status": serializers.CharField()})
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="입력 오류(full_rrn 재인증 규칙 포함)"),
    401: OpenApiResponse(ErrorSerializer, description="인증 필요"),
    403: OpenApiResponse(ErrorSerializer, description="권한 없음"),
    404: OpenApiResponse(ErrorSerializer, description="없거나 접근할 수 없음(다른 사업장 포함)"),
}


def _ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _reverified(request: Request) -> bool:
    # Only a browser session carries a second factor; an API key never counts as re-verified.
    if not isinstance(request.successful_authenticator, SessionAuthentication):
        return False
    return otp_is_fresh(request)


def certificate_as_dict(request: Request, certificate: Certificate) -> dict[str, Any]:
    return {
        "id": certificate.pk,
        "kind": certificate.kind,
        "serial": certificate.serial,
        "verification_code": certificate.verification_code,
        "pdf_url": request.build_absolute_uri(
            reverse("api-certificate-pdf", args=[certificate.pk])
        ),
        "verify_url": verify_url_build(
            base_url=settings.SITE_URL, verification_code=certificate.verification_code
        ),
    }


class CertificateListView(APIView):
    @idempotent
    @extend_schema(
        tags=["certificates"],
        request=CertificateRequestSerializer,
        responses={201: CertificateIssuedSerializer, **ERRORS},
        summary="증명서 발급(가입내역 확인서, 사업장 가입자 명부)",
        description=(
            "coverage_history는 요청 안에서 PDF를 만들어 201과 함께 바로 내려받을 수 있습니다. "
            "workplace_roster는 작업자가 PDF를 만들며, 준비될 때까지 pdf_url이 202를 돌려줍니다."
        ),
        examples=[
            OpenApiExample(
                "가입내역 확인서",
                value={"kind": "coverage_history", "employee_id": 42, "purpose": "금융기관 제출용"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        form = CertificateRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        employee = None
        if data["kind"] == CertificateKind.COVERAGE_HISTORY:
            employee = Employee.objects.filter(pk=data["employee_id"]).first()
            workplace_id: int = employee.workplace_id if employee else 0
        else:
            workplace_id = data["workplace_id"]
        workplace = api_workplace(request, workplace_id, action=Action.FILE)
        certificate = certificate_issue(
            actor=api_caller(request),
            kind=data["kind"],
            employee=employee,
            workplace=workplace,
            purpose=data["purpose"],
            full_rrn=data["full_rrn"],
            reverified=data["full_rrn"] and _reverified(request),
            ip=_ip(request),
        )
        return Response(certificate_as_dict(request, certificate), status=status.HTTP_201_CREATED)


class CertificatePdfView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Clients rightly send Accept: application/pdf; errors still answer in JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["certificates"],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="발급된 PDF 원본(서명 대상 그대로)"
            ),
            202: OpenApiResponse(
                RENDERING,
                description='명부 PDF를 만드는 중: {"status": "rendering"}, Retry-After 헤더',
            ),
            **{k: ERRORS[k] for k in (401, 403, 404)},
            410: OpenApiResponse(ErrorSerializer, description="PDF를 만들기 전에 폐기됨"),
        },
        summary="증명서 PDF 내려받기",
    )
    def get(self, request: Request, certificate_id: int) -> Response | HttpResponse:
        certificate = certificate_get_for(request.user, certificate_id, action=Action.VIEW)
        api_check_scope(request, certificate.workplace_id)
        if not certificate.is_rendered:
            if certificate.is_revoked:
                raise Gone("폐기된 증명서입니다.")
            pending = Response({"status": "rendering"}, status=status.HTTP_202_ACCEPTED)
            pending["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return pending
        try:
            pdf = certificate_pdf_fetch(
                user=api_caller(request), certificate=certificate, ip=_ip(request)
            )
        except PermissionDeniedError:
            raise Http404 from None
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{certificate.serial}.pdf"'
        return response


class ReportReceiptView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Clients rightly send Accept: application/pdf; errors still answer in JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["reports"],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="기관별 접수번호와 접수일시를 담은 접수증"
            ),
            **{k: ERRORS[k] for k in (401, 403, 404)},
        },
        summary="신고 접수증 PDF",
    )
    def get(self, request: Request, report_id: int) -> HttpResponse:
        report = report_get_for(request.user, report_id)
        api_check_scope(request, report.workplace_id)
        response = HttpResponse(report_receipt_pdf(report=report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="receipt-{report.pk}.pdf"'
        return response


class AgencyFileReceiptView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["agency-files"],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="신고 파일의 접수번호와 사람별·보험별 처리 상태(주민번호 가림)",
            ),
            **{k: ERRORS[k] for k in (401, 403, 404)},
        },
        summary="신고 파일 접수증 PDF",
    )
    def get(self, request: Request, agency_file_id: int) -> HttpResponse:
        agency_file = agency_file_get(agency_file_id=agency_file_id)
        api_workplace(request, agency_file.workplace_id, action=Action.VIEW)
        pdf = agency_file_receipt_pdf(agency_file=agency_file)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="agency-file-{agency_file.pk}.pdf"'
        return response
