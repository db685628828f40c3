"""Every /api/v1/ route, collected from the apps that own them."""

from django.urls import include, path

from portal.api import views as portal_api

urlpatterns = [
    path("workplaces/", portal_api.WorkplaceListView.as_view(), name="api-workplaces"),
    path(
        "workplaces/<int:workplace_id>/",
        portal_api.WorkplaceDetailView.as_view(),
        name="api-workplace",
    ),
    path(
        "workplaces/<int:workplace_id>/employees/",
        portal_api.WorkplaceEmployeesView.as_view(),
        name="api-workplace-employees",
    ),
    path(
        "employees/<int:employee_id>/",
        portal_api.EmployeeDetailView.as_view(),
        name="api-employee",
    ),
    path("", include("filings.api_urls")),
    path("", include("premiums.api_urls")),
    path("", include("certificates.api_urls")),
    path("", include("notifications.api_urls")),
]
