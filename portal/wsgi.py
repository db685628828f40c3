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

# The holiday calendar (the `holidays` package imports its country modules on first use), for
# this year and the next, which deadlines of late-year reports fall into.
from datetime import date  # noqa: E402

from filings.deadlines import is_business_day  # noqa: E402

for year in (date.today().year, date.today().year + 1):
    is_business_day(date(year, 1, 2))
