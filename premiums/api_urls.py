from django.urls import path

from premiums import api

urlpatterns = [
    path("premiums/quote/", api.PremiumQuoteView.as_view(), name="api-premiums-quote"),
    path(
        "workplaces/<int:workplace_id>/bills/<str:month>/",
        api.WorkplaceBillView.as_view(),
        name="api-workplace-bill",
    ),
]
