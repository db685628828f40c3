from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.centre, name="centre"),
    path("notifications/read-all/", views.read_all, name="read-all"),
    path("notifications/<int:notification_id>/open/", views.open_one, name="open"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path(
        "notifications/workplaces/<int:workplace_id>/deadlines/",
        views.deadlines,
        name="deadlines",
    ),
    path("notifications/drafts/<int:draft_id>/cancel/", views.draft_cancel, name="draft-cancel"),
]
