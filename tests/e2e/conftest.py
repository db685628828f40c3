"""Playwright against Debian's chromium (Playwright cannot download its own browser here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings

from agencies.sandbox.server import start_in_thread
from tests.pipeline import Sandbox, WorkerProcess, sandbox, worker_env  # noqa: F401

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the test
# itself (creating users, reading TOTP keys) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# Package scope (not the session scope of tests.pipeline): the browser tests' sandbox and worker
# must be gone before other packages start their own, or two workers would share one queue.
@pytest.fixture(scope="package")
def sandbox_server() -> Iterator[Sandbox]:
    server, url = start_in_thread(result_delay=0)
    yield Sandbox(url=url)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def celery_worker_process(  # type: ignore[no-untyped-def]
    django_db_setup, django_db_blocker, sandbox_server: Sandbox, tmp_path_factory
) -> Iterator[WorkerProcess]:
    if not django_settings.REDIS_URL:
        pytest.fail("REDIS_URL must be set: the hire test runs a real worker against Redis")
    redis.Redis.from_url(django_settings.REDIS_URL).flushdb()
    with django_db_blocker.unblock():
        env = worker_env(sandbox_server.url)
    worker = WorkerProcess(env, tmp_path_factory.mktemp("e2e-worker") / "worker.log")
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium not installed at {CHROMIUM}")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):  # type: ignore[no-untyped-def]
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    context = browser.new_context(
        base_url=live_server.url, locale="ko-KR", viewport={"width": 375, "height": 812}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
