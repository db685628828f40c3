from django.urls import include, path

from portal.web.views import auth, employees, filing, home, manage, reports

app_name = "portal"

urlpatterns = [
    path("", include("portal.web.api_keys")),
    path("", include("portal.web.views.history")),
    path("", include("portal.web.views.agency_files")),
    path("", include("portal.web.views.daily_work")),
    path("", include("portal.web.views.annual_wage")),
    path("", include("portal.web.views.separation")),
    path("", auth.LoginView.as_view(), name="login"),
    path("login/code/", auth.otp_verify, name="otp_verify"),
    path("login/enrol/", auth.otp_enrol, name="otp_enrol"),
    path("account/verify/", auth.otp_reverify, name="otp_reverify"),
    path("account/", auth.backup_codes_renew, name="account"),
    path("logout/", auth.logout_view, name="logout"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("dashboard/", home.dashboard, name="dashboard"),
    path("workplace/switch/", home.workplace_switch, name="workplace_switch"),
    path("board/", home.board, name="board"),
    path("board/<int:workplace_id>/open/", home.board_open, name="board_open"),
    path("reports/", reports.report_list, name="reports"),
    path("reports/<int:report_id>/", reports.report_detail, name="report_detail"),
    path("reports/<int:report_id>/timeline/", reports.report_timeline, name="report_timeline"),
    path("reports/<int:report_id>/cancel/", reports.report_cancel_view, name="report_cancel"),
    path("reports/<int:report_id>/correct/", filing.report_correct_view, name="report_correct"),
    path("file/hire/", filing.hire, name="hire"),
    path("file/hire/preview/", filing.hire_preview, name="hire_preview"),
    path("file/exit/", filing.exit_, name="exit"),
    path("file/exit/preview/", filing.exit_preview, name="exit_preview"),
    path("file/pay-change/", filing.pay_change, name="pay_change"),
    path(
        "file/workplace-registration/",
        filing.workplace_registration,
        name="workplace_registration",
    ),
    path("file/workplace-change/", filing.workplace_change, name="workplace_change"),
    path("file/workplace-closure/", filing.workplace_closure, name="workplace_closure"),
    path("employees/", employees.employee_list, name="employees"),
    path("employees/<int:employee_id>/rrn/", employees.employee_rrn, name="employee_rrn"),
    path("manage/delegations/", manage.delegations, name="delegations"),
    path(
        "manage/delegations/<int:delegation_id>/revoke/",
        manage.delegation_revoke_view,
        name="delegation_revoke",
    ),
    path("manage/workplaces/new/", manage.workplace_new, name="workplace_new"),
    path("manage/members/", manage.members, name="members"),
    path("manage/members/<int:membership_id>/remove/", manage.member_remove, name="member_remove"),
]
