from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from portal.health import healthz, readyz

# Swagger UI's init script is its own response (?script), so the page needs no inline script.
api_docs = SpectacularSwaggerSplitView.as_view(
    url_name="api-schema", template_name="api/docs_swagger.html"
)
# ReDoc styles itself with styled-components, which writes <style> elements at run time: its page
# alone allows inline styles (never inline scripts), and a blob: worker for its search.
api_redoc = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
    SpectacularRedocView.as_view(url_name="api-schema", template_name="api/docs_redoc.html")
)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/redoc/", api_redoc, name="api-redoc"),
    path("api/v1/", include("portal.api.urls")),
    # Portal pages owned by each app (mounted at the root; each app prefixes its own paths).
    path("", include("premiums.urls")),
    path("", include("certificates.urls")),
    path("", include("notifications.urls")),
    path("", include("portal.web.urls")),
]

# Unmatched URLs under /api/ answer in the API's JSON error shape; pages keep Django's 404.
handler404 = "filings.api.not_found"
# Errors that escape the API's exception handler (an unexpected exception, or one Django raises
# while reading a request) answer /api/ URLs in the same JSON shape; pages keep Django's pages.
handler400 = "portal.api.errors.bad_request"
handler403 = "portal.api.errors.permission_denied"
handler500 = "portal.api.errors.server_error"
