from django.urls import path

from certificates import views

app_name = "certificates"

urlpatterns = [
    # verify/key before verify/<code>: "key" would otherwise be taken for a code.
    path("verify/key", views.verify_key, name="verify-key"),
    path("verify/", views.verify_lookup, name="verify-lookup"),
    path("verify/<str:code>", views.verify, name="verify"),
    path("certificates/", views.certificate_list, name="list"),
    path("certificates/new/", views.certificate_request, name="request"),
    path("certificates/<int:pk>/pdf", views.certificate_download, name="download"),
    path("certificates/<int:pk>/revoke", views.certificate_revoke_view, name="revoke"),
    path("reports/<int:report_id>/receipt.pdf", views.report_receipt, name="report-receipt"),
    path("reports/<int:report_id>/separation.pdf", views.separation_print, name="separation-pdf"),
    path("reports/<int:report_id>/late-statement/", views.late_statement, name="late-statement"),
    path(
        "late-statements/<int:statement_id>/opinion.pdf",
        views.late_statement_pdf,
        name="late-statement-pdf",
    ),
]
