"""Redis unavailable: filing still succeeds (the sweeper publishes later), pages still load,
and /readyz says what is down while /healthz stays up."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from filings.models import Submission
from portal.services import api_key_issue
from tests.filings.helpers import hire_body
from tests.pipeline import ROOT, wait_until, worker_env

DEAD_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing answers there


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_redis_settings(settings):  # type: ignore[no-untyped-def]
    settings.REDIS_URL = DEAD_REDIS
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.ForgivingRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return settings


@pytest.mark.django_db
def test_pages_load_and_readiness_names_redis_while_it_is_down(
    dead_redis_settings, owner, workplace, verified_client
):
    client = verified_client(owner)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"]["ok"] and not checks["redis"]["ok"]


@pytest.mark.django_db
def test_readiness_reports_a_worker_that_stopped_beating(owner):
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from portal.models import Heartbeat

    Heartbeat.objects.create(name="worker", seen_at=timezone.now() - timedelta(minutes=5))
    body = Client().get("/readyz").json()
    assert body["checks"]["worker"]["ok"] is False
    Heartbeat.objects.filter(name="worker").update(seen_at=timezone.now())
    assert Client().get("/readyz").json()["checks"]["worker"]["ok"] is True


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_hire_filed_while_redis_is_down_is_sent_once_redis_is_back(
    owner, workplace, sandbox, celery_worker_process
):
    """A real portal process whose Redis is unreachable takes the filing; the worker, on the
    real Redis, finds the queued rows through the sweeper and sends them."""
    _, key = api_key_issue(user=owner, name="redis-down", workplaces=None)
    env = worker_env(sandbox.url)
    env["REDIS_URL"] = DEAD_REDIS
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**env, "DEBUG": "true", "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        started = time.monotonic()
        response = httpx.post(
            f"{base}/api/v1/workplaces/{workplace.pk}/reports/",
            json=hire_body(),
            headers={"Authorization": f"Token {key}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text[:500]
        assert time.monotonic() - started < 10
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["checks"]["redis"]["ok"] is False
    finally:
        server.terminate()
        server.wait(timeout=20)
    report_id = response.json()["id"]
    wait_until(
        lambda: all(s.status == "accepted" for s in Submission.objects.filter(report_id=report_id)),
        timeout=60,
    )
    assert Submission.objects.filter(report_id=report_id).count() == 4
