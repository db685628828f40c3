"""The direct publish writes the message Celery's own send_task would write."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import redis
from django.conf import settings

from portal import broker
from portal.celery import app

TASK = "filings.tasks.submissions_send"


@pytest.fixture
def redis_client() -> redis.Redis:
    if not settings.REDIS_URL:
        pytest.skip("needs the Redis broker (make test provides one)")
    return redis.Redis.from_url(settings.REDIS_URL)


def _body(message: dict) -> list:
    return json.loads(base64.b64decode(message["body"]))


def test_a_directly_pushed_message_is_the_one_send_task_writes(redis_client: redis.Redis) -> None:
    import filings.tasks  # noqa: F401

    app.finalize()  # the task registered, as in a worker: send_task then adds its time limits

    queue = f"broker-test-{uuid.uuid4().hex}"
    try:
        app.send_task(TASK, args=[[11, 12]], ignore_result=True, queue=queue)
        (raw,) = redis_client.lrange(queue, 0, -1)
    finally:
        redis_client.delete(queue, f"_kombu.binding.{queue}")
    theirs = json.loads(raw)
    ours = broker.message_build(task=TASK, args=[[11, 12]])

    assert ours.keys() == theirs.keys()
    assert _body(ours) == _body(theirs)
    per_message = {"id", "root_id", "origin"}
    assert {k: v for k, v in ours["headers"].items() if k not in per_message} == {
        k: v for k, v in theirs["headers"].items() if k not in per_message
    }
    assert ours["headers"]["id"] == ours["headers"]["root_id"]
    per_publish = {"correlation_id", "reply_to", "delivery_tag", "delivery_info"}
    assert {k: v for k, v in ours["properties"].items() if k not in per_publish} == {
        k: v for k, v in theirs["properties"].items() if k not in per_publish
    }
    assert ours["properties"]["correlation_id"] == ours["headers"]["id"]
    assert ours["properties"]["delivery_info"] == {"exchange": "", "routing_key": "celery"}
    assert theirs["properties"]["delivery_info"]["exchange"] == ""
    assert ours["headers"]["timelimit"] == [app.conf.task_time_limit, app.conf.task_soft_time_limit]


def test_a_task_with_its_own_routing_is_left_to_send_task() -> None:
    from filings.tasks import submissions_send

    assert broker.available(submissions_send.name)
    submissions_send.queue = "elsewhere"
    try:
        assert not broker.available(submissions_send.name)
    finally:
        submissions_send.queue = None


def test_a_pushed_message_lands_on_the_queue_the_workers_read(redis_client: redis.Redis) -> None:
    queue = app.conf.task_default_queue
    before = redis_client.llen(queue)
    broker.message_push(task=TASK, args=[[7]])
    try:
        assert redis_client.llen(queue) == before + 1
        message = json.loads(redis_client.lindex(queue, 0))
        assert message["headers"]["task"] == TASK
        assert _body(message)[0] == [[7]]
    finally:
        redis_client.lpop(queue)


def test_a_bare_round_trip_recovers_from_a_connection_the_server_closed(
    redis_client: redis.Redis,
) -> None:
    from portal.cache import redis_round_trip

    key = f"round-trip-{uuid.uuid4().hex}"
    try:
        assert redis_round_trip(redis_client, ("INCR", key), ("GET", key)) == [1, b"1"]
        # The server drops every client but this test's own admin connection.
        redis_client.client_kill_filter(skipme=True, _type="normal")
        assert redis_round_trip(redis_client, ("INCR", key), ("EXPIRE", key, 60)) == [2, 1]
    finally:
        redis_client.delete(key)


def test_the_pushed_text_is_the_built_message_serialised() -> None:
    args = [['quote " and @@id@@', 3]]
    text = json.loads(broker.message_text(task=TASK, args=args))
    built = broker.message_build(task=TASK, args=args)
    for message in (text, built):
        task_id = message["headers"]["id"]
        assert message["headers"]["root_id"] == message["properties"]["correlation_id"] == task_id
        assert message["properties"]["delivery_tag"] != task_id
        message["headers"]["id"] = message["headers"]["root_id"] = None
        message["properties"]["correlation_id"] = message["properties"]["delivery_tag"] = None
    assert text == built
    assert _body(text)[0] == args
