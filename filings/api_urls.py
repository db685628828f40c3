from django.urls import path

from filings import api

urlpatterns = [
    path("coverage/", api.CoverageView.as_view(), name="api-coverage"),
    path(
        "workplaces/<int:workplace_id>/reports/",
        api.WorkplaceReportsView.as_view(),
        name="api-workplace-reports",
    ),
    path("reports/<int:report_id>/", api.ReportDetailView.as_view(), name="api-report"),
    path(
        "reports/<int:report_id>/cancel/", api.ReportCancelView.as_view(), name="api-report-cancel"
    ),
]
