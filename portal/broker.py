"""Put a task message straight onto the Redis list that Celery workers read.

`send_task` costs about 0.7 ms of CPU per message: Celery's option handling, kombu's producer
pool and retry wrappers, and a new redis-py client (with its ~170-entry callback table) for every
publish. Every filing publishes once after commit, so that was a tenth of an API request.

The message is Celery's documented task protocol 2 in the envelope kombu's Redis transport
writes (JSON with a base64 body, LPUSH onto the queue's list); `tests/portal/test_broker.py`
checks it against what `send_task` writes, and the worker tests consume it. Only the plain case
takes this path (`available`): a Redis broker, the default queue with no routes or per-task
options, no countdown, no result kept.
Everything else goes through `send_task`.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import uuid
from functools import cache
from typing import Any

import redis

from portal.cache import redis_round_trip
from portal.celery import app

_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
_local = threading.local()


@cache
def _queue() -> str | None:
    """The list to push onto, or None when the configuration needs Celery's own routing."""
    conf = app.conf
    url = str(conf.broker_url or "")
    if not url.startswith(("redis://", "rediss://")):
        return None
    if conf.task_routes or conf.task_queue_max_priority or conf.task_default_priority:
        return None
    if conf.task_serializer != "json" or conf.task_compression:
        return None
    return str(conf.task_default_queue)


def _registered(task: str) -> Any:
    # The registry as send_task reads it (without finalizing the app), so both agree on
    # whether this process knows the task.
    return app._tasks.get(task)


def available(task: str) -> bool:
    """True when `task` can take this path: a plain Redis broker and no per-task routing."""
    if _queue() is None:
        return False
    registered = _registered(task)
    if registered is None:
        return True
    return all(
        getattr(registered, option, None) is None
        for option in ("queue", "routing_key", "exchange", "priority", "expires", "compression")
    )


def _time_limits(task: str) -> list[int | float | None]:
    # send_task takes these from the task when this process has it registered (the worker
    # applies the same configured limits when the header leaves them out).
    registered = _registered(task)
    if registered is None:
        return [None, None]
    return [registered.time_limit, registered.soft_time_limit]


def _client() -> redis.Redis:
    # One client per thread and process; redis-py's pool notices a fork and reconnects.
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "pid", None) != os.getpid():
        client = redis.Redis.from_url(str(app.conf.broker_url), socket_timeout=5)
        _local.client, _local.pid = client, os.getpid()
    return client


@cache
def _origin(pid: int) -> str:
    return f"gen{pid}@{socket.gethostname()}"


def message_build(*, task: str, args: list[Any]) -> dict[str, Any]:
    """The envelope kombu's Redis transport stores for `send_task(task, args, ignore_result=True)`."""
    body = base64.b64encode(json.dumps([args, {}, _EMBED]).encode()).decode()
    return _envelope(task, str(uuid.uuid4()), str(uuid.uuid4()), body, repr(args))


def _envelope(task: str, task_id: str, tag: str, body: str, argsrepr: str) -> dict[str, Any]:
    return {
        "body": body,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py",
            "task": task,
            "id": task_id,
            "shadow": None,
            "eta": None,
            "expires": None,
            "group": None,
            "group_index": None,
            "retries": 0,
            "timelimit": _time_limits(task),
            "root_id": task_id,
            "parent_id": None,
            "argsrepr": argsrepr,
            "kwargsrepr": "{}",
            "origin": _origin(os.getpid()),
            "ignore_result": True,
            "replaced_task_nesting": 0,
            "stamped_headers": None,
            "stamps": {},
        },
        "properties": {
            "correlation_id": task_id,
            "reply_to": "",
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": _queue()},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": tag,
        },
    }


@cache
def _template(task: str, limits: tuple[Any, ...], queue: str | None, pid: int) -> str:
    # The envelope's JSON with markers where each message differs; keyed on everything else it
    # reads, so a task registered (or a process forked) later gets its own.
    return json.dumps(_envelope(task, "@@id@@", "@@tag@@", "@@body@@", "@@argsrepr@@"))


def message_text(*, task: str, args: list[Any]) -> str:
    """`json.dumps(message_build(...))`, filled into a cached text: the envelope's ~30 fields
    are serialised once per task, not once per message."""
    template = _template(task, tuple(_time_limits(task)), _queue(), os.getpid())
    body = base64.b64encode(json.dumps([args, {}, _EMBED]).encode()).decode()
    return (
        template.replace('"@@id@@"', f'"{uuid.uuid4()}"')
        .replace('"@@tag@@"', f'"{uuid.uuid4()}"')
        .replace('"@@body@@"', f'"{body}"')  # base64: nothing to escape
        # Last: the only value that may contain arbitrary text.
        .replace('"@@argsrepr@@"', json.dumps(repr(args)))
    )


def message_push(*, task: str, args: list[Any]) -> None:
    """LPUSH one task message; raises redis errors like send_task raises kombu's. Callers ask
    `available(task)` first (the outbox does, once per publish)."""
    queue = _queue()
    if queue is None:
        raise RuntimeError("message_push needs a plain Redis broker; use send_task")
    redis_round_trip(_client(), ("LPUSH", queue, message_text(task=task, args=args)))
