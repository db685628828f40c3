"""The one mechanism for side effects: rows written in the transaction, published after commit.

`outbox_enqueue` writes an OutboxMessage and asks Django to publish it once the surrounding
transaction commits. If the broker is down then, or the process dies, the row stays unpublished
and `outbox_sweep` (beat) publishes it later. Duplicate publishes are harmless: every task
claims its work with a conditional update.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from functools import cache

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from portal import broker
from portal.celery import app
from portal.models import OutboxMessage
from portal.prepared import prepared_execute

logger = logging.getLogger(__name__)


class _Pending(threading.local):
    messages: list[OutboxMessage]

    def __init__(self) -> None:
        self.messages = []


_pending = _Pending()
_task_import_lock = threading.Lock()


def outbox_enqueue(*, task: str, args: list[int | str]) -> OutboxMessage:
    return outbox_enqueue_many(task=task, args_list=[args])[0]


def outbox_enqueue_many(*, task: str, args_list: list[list[int | str]]) -> list[OutboxMessage]:
    if not args_list:
        return []
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task, args=args) for args in args_list]
    )
    outbox_schedule(messages=messages)
    return messages


def outbox_schedule(*, messages: list[OutboxMessage]) -> None:
    """Publish messages the caller just inserted: now if committed, else after commit.

    `outbox_enqueue` calls this; writers that insert OutboxMessage rows together with their other
    rows (portal.rows) call it right after that INSERT.
    """
    if not messages:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        # Autocommit: the rows are already committed, so publish now.
        outbox_publish(messages=messages)
        return
    # One after-commit hook per transaction publishes every message it wrote, in order. If the
    # hook is gone, the transaction (or savepoint) that held it rolled back: start afresh.
    if not any(entry[1] is _publish_after_commit for entry in connection.run_on_commit):
        _pending.messages = []
        transaction.on_commit(_publish_after_commit, robust=True)
    _pending.messages.extend(messages)


@cache
def _eager() -> bool:
    # Read once: a deployment setting (the embedded mode), and each read of Celery's layered
    # configuration costs ~40 us, on every publish.
    return bool(app.conf.task_always_eager)


def tasks_eager_set(value: bool) -> None:
    """Change Celery's task_always_eager at run time (tests): the outbox reads it once."""
    app.conf.task_always_eager = value
    _eager.cache_clear()


def _task_call(task: str, args: list, countdown: float | None = None) -> None:
    if _eager():
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
        registered.apply_async(args=args)
        return
    if not countdown and broker.available(task):
        broker.message_push(task=task, args=args)
        return
    # send_task, not Task.apply_async: the same message and routing without the task object's
    # argument check and option merging (~0.2 ms of CPU per publish). Results are never kept.
    app.send_task(task, args=args, countdown=countdown, ignore_result=True)


def task_publish(*, task: str, args: list[int | str], countdown: float | None = None) -> bool:
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
        _mark_published(done)
    if failed:
        OutboxMessage.objects.filter(pk__in=failed).update(
            publish_attempts=F("publish_attempts") + 1
        )
    return len(done)


_MARK_SQL = (
    "UPDATE portal_outboxmessage SET published_at = %(now)s, "
    "publish_attempts = publish_attempts + 1 WHERE id = ANY(%(ids)s)"
)
# A filing publishes one message. PostgreSQL re-plans `= ANY($1)` on every execution (its
# custom plans look cheaper than the generic one); `= $1` is planned once.
_MARK_ONE_SQL = (
    "UPDATE portal_outboxmessage SET published_at = %(now)s, "
    "publish_attempts = publish_attempts + 1 WHERE id = %(id)s"
)


def _mark_published(ids: list[int]) -> None:
    # A prepared statement: this runs after every filing, and the ORM's UPDATE with an F()
    # expression costs several times the statement itself in CPU.
    if connection.vendor != "postgresql":
        OutboxMessage.objects.filter(pk__in=ids).update(
            published_at=timezone.now(), publish_attempts=F("publish_attempts") + 1
        )
        return
    # Losing this mark only makes the sweeper publish the message again, which is harmless; so
    # its commit need not wait for the WAL flush (one fsync per filing less), and in an API POST
    # it rides along with the idempotency finish (one round trip less).
    if len(ids) == 1:
        name, sql, params = "outbox_mark_one", _MARK_ONE_SQL, {"now": timezone.now(), "id": ids[0]}
    else:
        name, sql, params = "outbox_mark", _MARK_SQL, {"now": timezone.now(), "ids": ids}
    prepared_execute(name=name, sql=sql, params=params, wait_for_flush=False, defer=True)


def _publish_after_commit() -> None:
    pending = _pending.messages
    _pending.messages = []
    outbox_publish(messages=pending)


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
