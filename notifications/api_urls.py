from django.urls import path

from notifications import api

urlpatterns = [
    path(
        "workplaces/<int:workplace_id>/deadlines/",
        api.WorkplaceDeadlinesView.as_view(),
        name="api-workplace-deadlines",
    ),
    path("notifications/", api.NotificationListView.as_view(), name="api-notifications"),
]
