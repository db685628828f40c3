import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_hygiene(sender: Any = None, **kwargs: Any) -> None:
    """What Django does around each request: drop connections that are broken or past
    CONN_MAX_AGE. Celery's own fixup only force-closes every CELERY_DB_REUSE_MAX tasks."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return  # an eager task runs inside its caller's transaction: never close under it
    from django.db import close_old_connections

    close_old_connections()
