from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from portal.access import workplaces_for
from portal.models import Workplace


class WorkplaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Workplace
        fields = ["id", "name", "business_registration_number", "management_number"]


@extend_schema(tags=["workplaces"])
class WorkplaceListView(ListAPIView):
    """Workplaces the caller may access (owner, HR staff, or a live delegation)."""

    serializer_class = WorkplaceSerializer
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = workplaces_for(self.request.user)
        key = self.request.auth
        if key is not None and hasattr(key, "workplaces") and key.workplaces.exists():
            qs = qs.filter(id__in=key.workplaces.values("id"))
        return qs.order_by("id")
