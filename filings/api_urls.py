from django.urls import path

from filings import api, api_agency_files, api_annual_wage, api_discrepancies, api_history

urlpatterns = [
    path("coverage/", api.CoverageView.as_view(), name="api-coverage"),
    path(
        "workplaces/<int:workplace_id>/reports/",
        api.WorkplaceReportsView.as_view(),
        name="api-workplace-reports",
    ),
    path(
        "workplaces/<int:workplace_id>/bulk-reports/",
        api.WorkplaceBulkReportsView.as_view(),
        name="api-workplace-bulk-reports",
    ),
    path(
        "workplaces/<int:workplace_id>/bulk-reports/<int:upload_id>/",
        api.WorkplaceBulkReportDetailView.as_view(),
        name="api-workplace-bulk-report",
    ),
    path(
        "workplaces/<int:workplace_id>/discrepancies/",
        api_discrepancies.WorkplaceDiscrepanciesView.as_view(),
        name="api-workplace-discrepancies",
    ),
    path(
        "workplaces/<int:workplace_id>/insured-history/",
        api_history.WorkplaceHistoryImportView.as_view(),
        name="api-workplace-insured-history",
    ),
    path(
        "insured-history/template.<str:fmt>",
        api_history.HistoryTemplateView.as_view(),
        name="api-insured-history-template",
    ),
    # Filing by upload file (delivery channel `file`): batches, their workbook, their outcome.
    path(
        "workplaces/<int:workplace_id>/agency-files/",
        api_agency_files.WorkplaceAgencyFilesView.as_view(),
        name="api-workplace-agency-files",
    ),
    path(
        "agency-files/<int:agency_file_id>/xlsx",
        api_agency_files.AgencyFileXlsxView.as_view(),
        name="api-agency-file-xlsx",
    ),
    path(
        "agency-files/<int:agency_file_id>/result/",
        api_agency_files.AgencyFileResultView.as_view(),
        name="api-agency-file-result",
    ),
    path(
        "workplaces/<int:workplace_id>/annual-wage/",
        api_annual_wage.WorkplaceAnnualWageView.as_view(),
        name="api-workplace-annual-wage",
    ),
    path(
        "employees/<int:employee_id>/periods/",
        api.EmployeePeriodsView.as_view(),
        name="api-employee-periods",
    ),
    path(
        "employees/<int:employee_id>/separation-prefill/",
        api.EmployeeSeparationPrefillView.as_view(),
        name="api-employee-separation-prefill",
    ),
    path("reports/<int:report_id>/", api.ReportDetailView.as_view(), name="api-report"),
    path(
        "reports/<int:report_id>/submissions/",
        api.ReportSubmissionsView.as_view(),
        name="api-report-submissions",
    ),
    path(
        "reports/<int:report_id>/cancel/", api.ReportCancelView.as_view(), name="api-report-cancel"
    ),
    path(
        "reports/<int:report_id>/correct/",
        api.ReportCorrectView.as_view(),
        name="api-report-correct",
    ),
]
