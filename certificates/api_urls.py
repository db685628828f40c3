from django.urls import path

from certificates import api

urlpatterns = [
    path("certificates/", api.CertificateListView.as_view(), name="api-certificates"),
    path(
        "certificates/<int:certificate_id>/pdf",
        api.CertificatePdfView.as_view(),
        name="api-certificate-pdf",
    ),
    path(
        "reports/<int:report_id>/receipt.pdf",
        api.ReportReceiptView.as_view(),
        name="api-report-receipt",
    ),
    path(
        "agency-files/<int:agency_file_id>/receipt.pdf",
        api.AgencyFileReceiptView.as_view(),
        name="api-agency-file-receipt",
    ),
]
