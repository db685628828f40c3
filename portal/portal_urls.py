from django.urls import path

from portal.views import auth, home

app_name = "portal"

urlpatterns = [
    path("", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("dashboard/", home.dashboard, name="dashboard"),
]
