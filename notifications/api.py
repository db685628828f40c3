"""Public API: a workplace's deadlines and the caller's notifications. Thin: select, render."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.registry import agency_codes
from filings.serializers import ErrorSerializer
from notifications.models import Notification
from notifications.selectors import notifications_for, workplace_deadlines
from portal.access import Action
from portal.api.access import api_caller, api_workplace

ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="인증 필요"),
    403: OpenApiResponse(ErrorSerializer, description="권한 없음"),
    404: OpenApiResponse(ErrorSerializer, description="없거나 접근할 수 없음"),
}


class DeadlineSerializer(serializers.Serializer):
    report_id = serializers.IntegerField(
        allow_null=True, help_text="아직 신고하지 않은 입사·퇴사 예정 건은 null"
    )
    agency = serializers.ChoiceField(choices=agency_codes())
    kind = serializers.CharField()
    due_date = serializers.DateField(help_text="휴일·임시공휴일을 반영한 실제 기한")
    status = serializers.ChoiceField(choices=["open", "done", "overdue"])
    days_left = serializers.IntegerField(help_text="기한까지 남은 날수(지나면 음수)")


class NotificationSerializer(serializers.ModelSerializer):
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "workplace", "title", "body", "url", "created_at", "read_at", "unread"]

    def get_unread(self, obj: Notification) -> bool:
        return obj.read_at is None


class WorkplaceDeadlinesView(APIView):
    @extend_schema(
        tags=["deadlines"],
        responses={200: DeadlineSerializer(many=True), **ERRORS},
        summary="사업장의 신고 기한(신고한 건과 입사·퇴사 예정 건), 가까운 순",
    )
    def get(self, request: Request, workplace_id: int) -> Response:
        workplace = api_workplace(request, workplace_id, action=Action.VIEW)
        rows = workplace_deadlines(workplace_id=workplace.pk, today=timezone.localdate())
        return Response(DeadlineSerializer(rows, many=True).data)


class NotificationListView(ListAPIView):
    serializer_class = NotificationSerializer

    @extend_schema(
        tags=["notifications"],
        responses={200: NotificationSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]},
        summary="내 알림(최신 순, 읽지 않음 표시)",
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Notification]:
        return notifications_for(api_caller(self.request))
