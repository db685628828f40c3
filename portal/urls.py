from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("portal.api.urls")),
    # Portal pages owned by each app (mounted at the root; each app prefixes its own paths).
    path("", include("premiums.urls")),
    path("", include("certificates.urls")),
    path("", include("notifications.urls")),
    path("", include("portal.web.urls")),
]

# Unmatched URLs under /api/ answer in the API's JSON error shape; pages keep Django's 404.
handler404 = "filings.api.not_found"
