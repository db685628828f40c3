from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filings import serializers as fs
from filings.agency_files import workplace_delivery_channel_set
from filings.selectors import AgencyStanding, insurance_standing_for
from portal.access import Action, employee_get_for, workplaces_for, workplaces_within_key
from portal.api.access import api_caller, api_check_scope, api_workplace
from portal.api.idempotency import idempotent
from portal.errors import FieldErrors
from portal.identifiers import IdentifierError, person_number_parse
from portal.models import ApiKey, DeliveryChannel, Employee, Workplace
from portal.serializer_fields import StrictSerializer
from portal.services import employee_create, employee_update, rrn_index

ERRORS = {
    400: OpenApiResponse(fs.ErrorSerializer, description="입력 오류: 필드와 규칙을 밝힙니다."),
    401: OpenApiResponse(fs.ErrorSerializer, description="인증 필요"),
    403: OpenApiResponse(fs.ErrorSerializer, description="권한 없음"),
    404: OpenApiResponse(fs.ErrorSerializer, description="없거나 접근할 수 없음"),
    409: OpenApiResponse(fs.ErrorSerializer, description="지금 상태에서는 할 수 없음"),
    415: OpenApiResponse(fs.ErrorSerializer, description="지원하지 않는 Content-Type"),
    429: OpenApiResponse(fs.ErrorSerializer, description="요청 수 제한 초과(Retry-After)"),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in (*codes, 401, 429)}


class WorkplaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Workplace
        fields = [
            "id",
            "name",
            "business_registration_number",
            "management_number",
            # True until the agencies' own number replaces the portal's provisional one.
            "management_number_provisional",
            # api: sent to the agencies over HTTP; file: gathered into 4insure upload files.
            "delivery_channel",
        ]
        read_only_fields = fields


class WorkplaceUpdateSerializer(StrictSerializer):
    delivery_channel = serializers.ChoiceField(
        choices=DeliveryChannel.choices,
        help_text="api: 기관 API로 전송, file: 4insure 신고 파일로 모아 직접 올림",
    )


@extend_schema(tags=["workplaces"], responses={200: WorkplaceSerializer(many=True), **_errors(403)})
class WorkplaceListView(ListAPIView):
    """Workplaces the caller may access (owner, HR staff, or a live delegation)."""

    serializer_class = WorkplaceSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Workplace]:
        qs = workplaces_for(self.request.user)
        if isinstance(self.request.auth, ApiKey):
            qs = workplaces_within_key(qs, key_id=self.request.auth.pk)
        return qs.order_by("id")


class WorkplaceDetailView(APIView):
    @extend_schema(
        tags=["workplaces"],
        responses={200: WorkplaceSerializer, **_errors(403, 404)},
        summary="사업장 한 곳",
    )
    def get(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.VIEW)
        return Response(WorkplaceSerializer(workplace).data)

    @extend_schema(
        tags=["workplaces"],
        request=WorkplaceUpdateSerializer,
        responses={200: WorkplaceSerializer, **_errors(400, 403, 404, 409, 415)},
        summary="사업장 설정 바꾸기(신고 방식)",
        description=(
            "delivery_channel=file이면 신고를 기관에 전송하지 않고 신고 파일로 모읍니다"
            "(GET/POST /workplaces/{id}/agency-files/). 결과를 기록하지 않은 신고 파일이 "
            "있으면 api로 되돌릴 수 없습니다(409)."
        ),
    )
    def patch(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.FILE)
        form = WorkplaceUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        workplace = workplace_delivery_channel_set(
            actor=api_caller(request),
            workplace=workplace,
            channel=form.validated_data["delivery_channel"],
            ip=_ip(request),
        )
        return Response(WorkplaceSerializer(workplace).data)


def employee_as_dict(
    employee: Employee, standing: list[AgencyStanding] | None = None
) -> dict[str, Any]:
    """Never the full number: only the masked form the model keeps. `insurances` is what the
    agencies accepted, per agency (filings.selectors.insurance_standing_for)."""
    if standing is None:
        standing = insurance_standing_for(employee_ids=[employee.pk])[employee.pk]
    return {
        "id": employee.pk,
        "workplace_id": employee.workplace_id,
        "name": employee.name,
        "rrn_masked": employee.rrn_masked,
        "is_foreigner": employee.is_foreigner,
        "nationality": employee.nationality,
        "visa": employee.visa,
        "birth_date": employee.birth_date.isoformat(),
        "sex": employee.sex,
        "hire_date": employee.hire_date.isoformat() if employee.hire_date else None,
        "last_working_day": (
            employee.last_working_day.isoformat() if employee.last_working_day else None
        ),
        "loss_date": employee.loss_date.isoformat() if employee.loss_date else None,
        "monthly_wage": employee.monthly_wage,
        "employment_type": employee.employment_type,
        "weekly_hours": str(employee.weekly_hours) if employee.weekly_hours is not None else None,
        "monthly_days": employee.monthly_days,
        "job_code": employee.job_code,
        "is_representative": employee.is_representative,
        "contract_end": employee.contract_end.isoformat() if employee.contract_end else None,
        "active": employee.loss_date is None,
        "insurances": {s.agency: s.as_dict() for s in standing},
    }


def _ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class EmployeeFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter(
        field_name="loss_date", lookup_expr="isnull", label="재직 중(true) / 상실(false)"
    )
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Employee
        fields = ["active", "name"]


class WorkplaceEmployeesView(ListAPIView):
    serializer_class = fs.EmployeeSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EmployeeFilter

    def get_queryset(self) -> QuerySet[Employee]:
        if getattr(self, "swagger_fake_view", False):
            return Employee.objects.none()
        workplace = api_workplace(self.request, self.kwargs["workplace_id"], action=Action.VIEW)
        return Employee.objects.filter(workplace=workplace).order_by("id")

    @extend_schema(
        tags=["employees"],
        responses={200: fs.EmployeeSerializer(many=True), **_errors(400, 403, 404)},
        summary="사업장 근로자 목록(주민등록번호는 가린 형태만)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        standing = insurance_standing_for(employee_ids=[e.pk for e in page])
        return self.get_paginated_response([employee_as_dict(e, standing[e.pk]) for e in page])

    @idempotent
    @extend_schema(
        tags=["employees"],
        request=fs.EmployeeCreateSerializer,
        responses={201: fs.EmployeeSerializer, **_errors(400, 403, 404, 415)},
        summary="근로자 등록(신고 없이; 이미 취득신고된 사람을 옮겨 올 때)",
        description="입사 신고까지 하려면 POST /workplaces/{id}/reports/ (kind=hire)를 쓰세요.",
    )
    def post(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.FILE)
        form = fs.EmployeeCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        try:
            digits = person_number_parse(data["rrn"]).digits
        except IdentifierError as exc:
            raise FieldErrors({"rrn": [(exc.rule, exc.message)]}) from None
        if Employee.objects.filter(
            workplace=workplace, rrn_index=rrn_index(digits), loss_date__isnull=True
        ).exists():
            raise FieldErrors(
                {"rrn": [("already_employed", "이 사업장에 이미 등록된 재직자입니다.")]}
            )
        try:
            employee = employee_create(
                actor=api_caller(request),
                workplace=workplace,
                name=data.pop("name"),
                rrn=data.pop("rrn"),
                nationality=data.pop("nationality"),
                visa=data.pop("visa", ""),
                ip=_ip(request),
                **data,
            )
        except IdentifierError as exc:
            raise FieldErrors({"rrn": [(exc.rule, exc.message)]}) from None
        return Response(employee_as_dict(employee), status=status.HTTP_201_CREATED)


class EmployeeDetailView(APIView):
    def _employee(self, request: Request, employee_id: int, action: Action) -> Employee:
        employee = employee_get_for(request.user, employee_id, action=action)
        api_check_scope(request, employee.workplace_id)
        return employee

    @extend_schema(
        tags=["employees"],
        responses={200: fs.EmployeeSerializer, **_errors(403, 404)},
        summary="근로자 한 명(주민등록번호는 가린 형태만)",
    )
    def get(self, request: Request, employee_id: int) -> Response:
        return Response(employee_as_dict(self._employee(request, employee_id, Action.VIEW)))

    @extend_schema(
        tags=["employees"],
        request=fs.EmployeeUpdateSerializer,
        responses={200: fs.EmployeeSerializer, **_errors(400, 403, 404, 415)},
        summary="근로자 정보 수정(성명, 체류자격, 보수, 근로조건)",
        description="보수 변경을 기관에 신고하려면 kind=pay_change 신고를 쓰세요.",
    )
    def patch(self, request: Request, employee_id: int) -> Response:
        employee = self._employee(request, employee_id, Action.FILE)
        form = fs.EmployeeUpdateSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        employee = employee_update(
            actor=api_caller(request),
            employee=employee,
            changes=dict(form.validated_data),
            ip=_ip(request),
        )
        return Response(employee_as_dict(employee))
