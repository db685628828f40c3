"""Real moving parts for pipeline tests: the agency sandbox over HTTP and a Celery worker process.

Import the fixtures into a conftest (`from tests.pipeline import *`). Tests that use the worker
need committed data: mark them `@pytest.mark.django_db(transaction=True)`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from django.conf import settings
from django.db import connection

from agencies.sandbox.server import start_in_thread

ROOT = Path(__file__).resolve().parent.parent

# Short policy values so that recovery after a kill takes seconds, not minutes.
WORKER_ENV = {
    # Above the read timeout (2) plus the sandbox's fault latency (1.2) with room for a busy
    # machine: the sandbox runs in the pytest process, and once took a killed worker's send
    # more than 2.8 s late, so the query-before-resend after a 4 s lease did not see it yet.
    "SUBMISSION_LEASE_SECONDS": "6",
    "SUBMISSION_LOST_AFTER_SECONDS": "2",
    "SUBMISSION_RETRY_BASE_SECONDS": "0.2",
    "SUBMISSION_RETRY_CAP_SECONDS": "1",
    "SUBMISSION_MAX_ATTEMPTS": "10",
    "CIRCUIT_PROBE_SECONDS": "0.5",
    "CIRCUIT_PROBE_CAP_SECONDS": "1",
    "OUTBOX_SWEEP_SECONDS": "0.5",
    "RESULTS_POLL_SECONDS": "0.5",
    "RESULT_POLL_INTERVAL_SECONDS": "0.5",
    "DISCREPANCY_CHECK_SECONDS": "0.5",
    "AGENCY_CONNECT_TIMEOUT": "1",
    "AGENCY_READ_TIMEOUT": "2",
    # Between tests pytest-django TRUNCATEs every table; the worker's beat queries must yield
    # instead of deadlocking with it.
    "DB_LOCK_TIMEOUT_MS": "300",
}


@dataclass
class Sandbox:
    url: str

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = httpx.request(method, f"{self.url}{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self.control("POST", "/_reset")
        self.control("DELETE", "/_faults")

    def configure(self, **values: float) -> None:
        self.control("POST", "/_config", values)

    def fault(self, **spec: object) -> None:
        self.control("POST", "/_faults", dict(spec))

    def posts(self) -> dict[str, int]:
        return self.control("GET", "/_stats")["posts"]


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    server, url = start_in_thread(result_delay=0)
    yield Sandbox(url=url)
    server.shutdown()
    server.server_close()


@pytest.fixture
def sandbox(sandbox_server: Sandbox, settings) -> Iterator[Sandbox]:  # type: ignore[no-untyped-def]
    sandbox_server.reset()
    sandbox_server.configure(result_delay=0)
    settings.AGENCY_URLS = {code: f"{sandbox_server.url}/{code}" for code in settings.AGENCY_URLS}
    yield sandbox_server
    sandbox_server.control("DELETE", "/_faults")


class WorkerProcess:
    """`celery worker -B` in its own process group, so a SIGKILL takes the whole worker down."""

    def __init__(self, env: dict[str, str], logfile: Path) -> None:
        self.env = env
        self.logfile = logfile
        self.proc: subprocess.Popen | None = None
        # Beside the log, in pytest's own temporary folder (which pytest prunes), not loose in /tmp.
        self.schedule = logfile.parent / "beat-schedule"

    def start(self) -> None:
        # The log grows across restarts; a new "ready." line means this start is done.
        ready_before = self.logfile.read_bytes().count(b"ready.") if self.logfile.exists() else 0
        cmd = [
            sys.executable, "-m", "celery", "-A", "portal", "worker", "-B",
            "--schedule", str(self.schedule), "-P", "prefork", "-c", "2",
            "--without-mingle", "--without-gossip", "-l", "INFO",
        ]  # fmt: skip
        log = self.logfile.open("ab")
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.logfile.read_bytes().count(b"ready.") > ready_before:
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.logfile.read_text()[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"worker not ready: {self.logfile.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process, pool children, embedded beat)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None

    def restart(self) -> None:
        """SIGKILL the whole worker, then start a fresh one."""
        self.kill()
        self.start()


def worker_env(sandbox_url: str) -> dict[str, str]:
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(WORKER_ENV)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["REDIS_URL"] = settings.REDIS_URL
    env["AGENCY_SANDBOX_URL"] = sandbox_url
    env["CONN_MAX_AGE"] = "0"
    return env


@pytest.fixture(scope="module")
def celery_worker_process(
    django_db_setup, django_db_blocker, sandbox_server: Sandbox, tmp_path_factory
) -> Iterator[WorkerProcess]:  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL must be set: worker tests run against real Redis (use `make test`)")
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    with django_db_blocker.unblock():
        env = worker_env(sandbox_server.url)
    worker = WorkerProcess(env, tmp_path_factory.mktemp("worker") / "worker.log")
    worker.start()
    yield worker
    worker.stop()


def wait_until(
    predicate: Callable[[], bool], *, timeout: float = 30.0, interval: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout:.0f}s")
