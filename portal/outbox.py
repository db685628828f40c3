"""The one mechanism for side effects: rows written in the transaction, published after commit.

`outbox_enqueue` writes an OutboxMessage and asks Django to publish it once the surrounding
transaction commits. If the broker is down then, or the process dies, the row stays unpublished
and `outbox_sweep` (beat) publishes it later. Duplicate publishes are harmless: every task
claims its work with a conditional update. Submissions need no message row: a queued
submission is itself the record the sweeper reads (`task_publish_after_commit`).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.celery import app
from portal.models import OutboxMessage

logger = logging.getLogger(__name__)
_task_import_lock = threading.Lock()


def outbox_enqueue(*, task: str, args: list[Any]) -> OutboxMessage:
    return outbox_enqueue_many(task=task, args_list=[args])[0]


def outbox_enqueue_many(*, task: str, args_list: list[list[Any]]) -> list[OutboxMessage]:
    """Write the messages in the caller's transaction; publish them once it commits."""
    if not args_list:
        return []
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task, args=args) for args in args_list]
    )
    # robust: a broker that is down must not fail the caller; the sweeper publishes later.
    transaction.on_commit(partial(outbox_publish, messages=messages), robust=True)
    return messages


def task_publish_after_commit(*, task: str, args: list[Any]) -> None:
    """Publish once the caller's transaction commits, with no outbox row: only for work whose
    own rows are the durable record and are swept on their own (a queued Submission that no
    task touched is re-published by `filings.delivery.submissions_due`). It spares the hottest
    write, a filing, an INSERT and a committed UPDATE."""
    transaction.on_commit(partial(task_publish, task=task, args=args), robust=True)


def _task_call(task: str, args: list[Any], countdown: float | None = None) -> None:
    if app.conf.task_always_eager:
        if countdown:
            return  # no in-process sleeping: the sweeper picks it up when it is due
        # In eager mode send_task would not run anything; look the task up to run it in-process.
        registered = app.tasks.get(task)
        if registered is None:
            # One thread imports the task modules while the others wait: Celery marks them
            # imported before they finish, so a second thread would otherwise miss the task.
            with _task_import_lock:
                app.loader.import_default_modules()
                registered = app.tasks[task]
        registered.apply_async(args=tuple(args))
        return
    app.send_task(task, args=args, countdown=countdown, ignore_result=True)


def task_publish(*, task: str, args: list[Any], countdown: float | None = None) -> bool:
    """Publish now (best effort); False if the broker refused. For re-publishable work only."""
    try:
        _task_call(task, args, countdown)
    except Exception:
        logger.warning("publishing %s failed; the sweeper will retry", task, exc_info=True)
        return False
    return True


def outbox_publish(*, messages: list[OutboxMessage]) -> int:
    """Publish, then record the outcome with one UPDATE per outcome (not per message)."""
    done: list[int] = []
    failed: list[int] = []
    for message in messages:
        ok = task_publish(task=message.task, args=message.args)
        (done if ok else failed).append(message.pk)
    if done:
        OutboxMessage.objects.filter(pk__in=done).update(
            published_at=timezone.now(), publish_attempts=F("publish_attempts") + 1
        )
    if failed:
        OutboxMessage.objects.filter(pk__in=failed).update(
            publish_attempts=F("publish_attempts") + 1
        )
    return len(done)


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


def broker_backlog(*, queue: str = "celery") -> int | None:
    """Messages waiting in a broker queue; 0 when tasks run in-process, None if unknown (on
    Redis an empty queue does not exist, and asking for it is refused: also None)."""
    if app.conf.task_always_eager:
        return 0
    try:
        # A connection from Celery's pool: the sweeper asks on every run, and a fresh broker
        # connection each time would cost a connect and a handshake for one number.
        pool: Any = app.pool  # a kombu connection pool (the stubs type it as producers)
        with pool.acquire(block=True, timeout=2) as connection:
            channel: Any = connection.default_channel  # kombu's typing omits queue_declare
            declared = channel.queue_declare(queue=queue, passive=True)
    except Exception:
        return None
    return int(declared.message_count)
