from django.urls import path

from premiums import views

app_name = "premiums"

urlpatterns = [
    path("premiums/quote/", views.quote, name="quote"),
    path("workplaces/<int:workplace_id>/bills/", views.bill_current, name="bill_current"),
    path("workplaces/<int:workplace_id>/bills/<str:month>/", views.bill_detail, name="bill"),
    path("workplaces/<int:workplace_id>/bills/<str:month>/csv/", views.bill_csv, name="bill_csv"),
    path(
        "workplaces/<int:workplace_id>/bills/<str:month>/xlsx/", views.bill_xlsx, name="bill_xlsx"
    ),
]
