import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver
from django.utils import translation

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Do while the worker boots what its first request would otherwise wait for (~1 s): import the
# URLconf (every view, serializer and the schema code it pulls in), build the reverse() tables
# and load the translation catalogues.
get_resolver().reverse_dict  # noqa: B018
for code, _name in settings.LANGUAGES:
    with translation.override(code):
        translation.gettext("")
