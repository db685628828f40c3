"""The one mechanism for side effects: rows written in the transaction, published after commit.

`outbox_enqueue` writes an OutboxMessage and asks Django to publish it once the surrounding
transaction commits. If the broker is down then, or the process dies, the row stays unpublished
and `outbox_sweep` (beat) publishes it later. Duplicate publishes are harmless: every task
claims its work with a conditional update.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.celery import app
from portal.models import OutboxMessage

logger = logging.getLogger(__name__)


def outbox_enqueue(*, task: str, args: list[int | str]) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task, args=args)
    transaction.on_commit(lambda: outbox_publish(messages=[message]), robust=True)
    return message


def _task_call(task: str, args: list, countdown: float | None = None) -> None:
    # In eager mode send_task would not run anything; look the task up to run it in-process.
    registered = app.tasks.get(task)
    if registered is None:
        app.loader.import_default_modules()
        registered = app.tasks[task]
    if countdown and app.conf.task_always_eager:
        return  # no in-process sleeping: the sweeper picks it up when it is due
    registered.apply_async(args=args, countdown=countdown)


def task_publish(*, task: str, args: list[int | str], countdown: float | None = None) -> bool:
    """Publish now (best effort); False if the broker refused. For re-publishable work only."""
    try:
        _task_call(task, args, countdown)
    except Exception:
        logger.warning("publishing %s failed; the sweeper will retry", task, exc_info=True)
        return False
    return True


def outbox_publish(*, messages: list[OutboxMessage]) -> int:
    published = 0
    for message in messages:
        OutboxMessage.objects.filter(pk=message.pk).update(
            publish_attempts=message.publish_attempts + 1
        )
        if task_publish(task=message.task, args=message.args):
            OutboxMessage.objects.filter(pk=message.pk).update(published_at=timezone.now())
            published += 1
    return published


def outbox_sweep(*, older_than_seconds: float = 5.0, limit: int = 1000) -> int:
    """Publish rows whose after-commit publish never happened."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    # No lock held while publishing: two sweepers may publish a row twice, which is harmless.
    rows = list(
        OutboxMessage.objects.filter(published_at__isnull=True, created_at__lt=cutoff).order_by(
            "created_at"
        )[:limit]
    )
    return outbox_publish(messages=rows)
