"""Chaos benchmark: file a few hires, break something, and check nothing is lost or sent twice.

Usage: python bench/chaos.py [--trials 500] [--seed N]   (`make bench` runs it; CI runs 20)

It starts its own PostgreSQL, Redis, agency sandbox and Celery worker (with beat), because it
restarts them. Each trial files REPORTS_PER_TRIAL hires through the filing service, then
injects one fault, in turn:
  kill_child      SIGKILL one of the worker's pool processes
  kill_worker     SIGKILL the whole worker (and its beat), then start a new one
  redis_restart   stop Redis (its queue is lost: no persistence) and start it again
  postgres_restart  restart PostgreSQL (fast mode: every connection is cut)
  accept_drop     the sandbox processes sends, then drops the connection before answering
  outage          every agency answers 503 for a window
  latency         every agency answers slowly for a while
and waits until the trial's submissions are all final. Afterwards: every submission final
(lost = not final within the bound), and the sandbox took in exactly one send per (report,
agency) (duplicated = a send taken in for a reference it already had). Prints the faults by kind, lost, duplicated and the
recovery time (from the fault to the trial's last final answer): p50, p95, max.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from statistics import quantiles
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

from with_services import (  # noqa: E402
    find_binary,
    free_port,
    give_to_server_user,
    pg_bin_dir,
    pg_createdb,
    pg_ctl,
    pg_initdb,
    pg_stop,
    wait_port,
)

FAULTS = [
    "kill_child",
    "kill_worker",
    "redis_restart",
    "postgres_restart",
    "accept_drop",
    "outage",
    "latency",
]
REPORTS_PER_TRIAL = 2
RECOVERY_BOUND_S = 90.0
# Policy values for recovery in seconds rather than minutes (the defaults suit production).
FAST_RECOVERY = {
    "SUBMISSION_LEASE_SECONDS": "6",
    "SUBMISSION_LOST_AFTER_SECONDS": "2",
    "SUBMISSION_RETRY_BASE_SECONDS": "0.2",
    "SUBMISSION_RETRY_CAP_SECONDS": "1",
    "SUBMISSION_MAX_ATTEMPTS": "1000",
    "CIRCUIT_PROBE_SECONDS": "0.5",
    "CIRCUIT_PROBE_CAP_SECONDS": "1",
    "OUTBOX_SWEEP_SECONDS": "0.5",
    "RESULTS_POLL_SECONDS": "0.5",
    "RESULT_POLL_INTERVAL_SECONDS": "0.5",
    "AGENCY_CONNECT_TIMEOUT": "1",
    "AGENCY_READ_TIMEOUT": "2",
    "CONN_MAX_AGE": "0",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
}


class Services:
    """PostgreSQL and Redis of our own, so that the trials may restart them."""

    def __init__(self) -> None:
        bindir, redis = pg_bin_dir(), find_binary("redis-server")
        if bindir is None or redis is None:
            sys.exit("chaos needs PostgreSQL server binaries and redis-server")
        self.bindir, self.redis_bin = bindir, redis
        self.tmp = Path(tempfile.mkdtemp(prefix="portal-chaos-"))
        os.chmod(self.tmp, 0o755)  # noqa: S103  (the unprivileged server user must enter it)
        self.pgdata, sockdir = self.tmp / "pg", self.tmp / "sock"
        sockdir.mkdir()
        give_to_server_user(self.tmp, sockdir)
        self.pg_port, self.redis_port = free_port(), free_port()
        self.pg_options = (
            f"-p {self.pg_port} -k {sockdir} -c listen_addresses=127.0.0.1 -c max_connections=100"
        )
        self.redis: subprocess.Popen | None = None

    def start(self) -> None:
        pg_initdb(self.bindir, self.pgdata, password_file=None, durable=False)
        self._pg("start")
        wait_port(self.pg_port)
        pg_createdb(self.bindir, self.pg_port, password=None)
        self.redis_start()

    def _pg(self, action: str) -> None:
        args = ["-o", self.pg_options, "-l", str(self.tmp / "pg.log"), "-w"]
        if action == "restart":
            args += ["-m", "fast"]
        pg_ctl(self.bindir, self.pgdata, *args, action)

    def pg_restart(self) -> None:
        self._pg("restart")

    def redis_start(self) -> None:
        self.redis = subprocess.Popen(
            [self.redis_bin, "--port", str(self.redis_port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_port(self.redis_port)

    def redis_restart(self) -> None:
        assert self.redis is not None
        self.redis.kill()
        self.redis.wait()
        self.redis_start()

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/portal"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def stop(self) -> None:
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait()
        pg_stop(self.bindir, self.pgdata, "immediate")
        shutil.rmtree(self.tmp, ignore_errors=True)


class Worker:
    """A Celery worker (beat runs beside it, as in production, and is not killed)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.proc = env, log, None  # type: ignore[var-annotated]

    def start(self) -> None:
        self.log.write_bytes(b"")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-c", "2"]
            + ["--without-mingle", "--without-gossip", "-l", "INFO"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while b"ready" not in self.log.read_bytes():
            if time.monotonic() > deadline:
                sys.exit("the worker did not start; see " + str(self.log))
            time.sleep(0.05)

    def exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def kill(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def kill_child(self) -> bool:
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        if not pids:
            return False
        os.kill(random.choice(pids), signal.SIGKILL)
        return True


def _file(user: Any, workplace: Any, serial: int) -> int:
    from django.db import OperationalError, close_old_connections

    from filings.services import report_file
    from tests.factories import valid_rrn

    body = {
        "kind": "hire",
        "employee": {
            "name": f"근로자{serial}",
            "rrn": valid_rrn(
                date(1960 + serial % 40, 1 + serial % 12, 1 + serial % 28), serial=serial
            ),
        },
        "hire_date": (date.today() - timedelta(days=2)).isoformat(),
        "monthly_wage": 2_500_000,
        "employment_type": "regular",
        "weekly_hours": 40,
        "job_code": "024",
        "is_representative": False,
    }
    for _ in range(100):  # PostgreSQL may be restarting under us
        try:
            return report_file(actor=user, workplace=workplace, data=body)[0].pk
        except OperationalError:
            close_old_connections()
            time.sleep(0.2)
    raise SystemExit("PostgreSQL did not come back")


def _open_count(report_ids: list[int]) -> int | None:
    from django.db import OperationalError, close_old_connections

    from filings.models import FINAL_STATUSES, Submission

    try:
        return (
            Submission.objects.filter(report_id__in=report_ids)
            .exclude(status__in=FINAL_STATUSES)
            .count()
        )
    except OperationalError:
        close_old_connections()
        return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=int(os.environ.get("CHAOS_TRIALS", 500)))
    parser.add_argument("--seed", type=int, default=20261205)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    random.seed(args.seed)
    services = Services()
    services.start()
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    env = dict(os.environ, **FAST_RECOVERY)
    env.update(
        DATABASE_URL=services.database_url,
        REDIS_URL=services.redis_url,
        AGENCY_SANDBOX_URL=sandbox_url,
    )
    os.environ.update(env)
    worker = Worker(env, services.tmp / "worker.log")
    sandbox = beat = None
    try:
        import django

        django.setup()
        import httpx
        from django.contrib.auth.models import User
        from django.core.management import call_command

        from agencies.sandbox.server import start_in_thread
        from filings.models import Submission
        from portal.models import Membership, Workplace
        from tests.factories import valid_brn

        call_command("migrate", verbosity=0)
        sandbox, _ = start_in_thread(port=sandbox_port, result_delay=0)
        user = User.objects.create_user("chaos", password="chaos-pass-2026!")
        brn = valid_brn(7)
        workplace = Workplace.objects.create(
            name="카오스 사업장", business_registration_number=brn, management_number=brn + "0"
        )
        Membership.objects.create(user=user, workplace=workplace, role="owner")
        worker.start()
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "beat", "-l", "WARNING"]
            + ["--schedule", str(services.tmp / "beat-schedule")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

        def control(method: str, path: str, body: dict | None = None) -> Any:
            return httpx.request(method, f"{sandbox_url}{path}", json=body, timeout=5).json()

        kinds: Counter[str] = Counter()
        recoveries: list[float] = []
        all_reports: list[int] = []
        lost_trials = supervised = 0
        started = time.monotonic()
        for trial in range(args.trials):
            fault = FAULTS[trial % len(FAULTS)]
            # An agency's fault is in place before the filing; a process is broken while the
            # fan-out is under way (a few milliseconds after the filing commits).
            at = time.monotonic()
            if fault == "accept_drop":
                control("POST", "/_faults", {"mode": "accept_then_drop", "count": 3})
            elif fault == "outage":
                until = time.time() + rng.uniform(0.5, 2.0)
                control("POST", "/_faults", {"mode": "outage", "until": until})
            elif fault == "latency":
                spike = {"mode": "latency", "latency_ms": 1500, "until": time.time() + 2}
                control("POST", "/_faults", spike)
            reports = [_file(user, workplace, trial * 10 + n) for n in range(REPORTS_PER_TRIAL)]
            all_reports += reports
            if fault in ("kill_child", "kill_worker", "redis_restart", "postgres_restart"):
                time.sleep(rng.uniform(0.0, 0.1))
                at = time.monotonic()
            if fault == "kill_child" and not worker.kill_child():
                fault = "kill_worker"
            if fault == "kill_worker":
                worker.kill()
                worker.start()
            elif fault == "redis_restart":
                services.redis_restart()
            elif fault == "postgres_restart":
                services.pg_restart()
            kinds[fault] += 1
            while True:
                # As a supervisor would (docker-compose's restart policy): a worker that
                # exited, e.g. on an unrecoverable broker error during a Redis restart, is
                # started again.
                if worker.exited():
                    supervised += 1
                    worker.start()
                left = _open_count(reports)
                if left == 0:
                    recoveries.append(time.monotonic() - at)
                    break
                if time.monotonic() - at > RECOVERY_BOUND_S:
                    lost_trials += 1
                    break
                time.sleep(0.05)
            control("DELETE", "/_faults")
        elapsed = time.monotonic() - started
        subs = list(Submission.objects.filter(report_id__in=all_reports))
        stats = control("GET", "/_stats")
        posts = stats["posts"]
        lost = sum(1 for s in subs if not s.is_final)
        # A send the agency took in for a reference it already had (a POST refused by a fault,
        # a 503 in an outage, was never taken in: its retry is no duplicate).
        duplicated = stats["duplicates"]
        refused_then_retried = sum(max(posts.get(str(s.reference), 0) - 1, 0) for s in subs)
        never_sent = sum(1 for s in subs if posts.get(str(s.reference), 0) == 0)
        not_accepted = sum(1 for s in subs if s.status != "accepted")
    finally:
        worker.kill()
        if beat is not None:
            beat.kill()
            beat.wait()
        if sandbox is not None:
            sandbox.shutdown()
            sandbox.server_close()
        services.stop()
    p = quantiles(recoveries, n=100, method="inclusive") if len(recoveries) > 1 else [0.0] * 99
    print(
        f"chaos: {args.trials} trials of {REPORTS_PER_TRIAL} hires ({len(subs)} submissions) "
        f"in {elapsed:.0f} s; {os.cpu_count()} CPUs"
    )
    print("  faults: " + ", ".join(f"{k} {kinds[k]}" for k in FAULTS))
    print(
        f"  lost {lost}, duplicated {duplicated}, never sent {never_sent}, "
        f"sends refused by a fault and retried {refused_then_retried - duplicated}, "
        f"not accepted {not_accepted}, trials past the {RECOVERY_BOUND_S:.0f} s bound "
        f"{lost_trials}"
    )
    print(f"  worker exits restarted by the supervisor: {supervised}")
    print(
        f"  recovery p50 {p[49]:.2f} s, p95 {p[94]:.2f} s, max {max(recoveries, default=0):.2f} s"
    )
    ok = lost == 0 and duplicated == 0 and never_sent == 0 and lost_trials == 0
    print(f"  nothing lost, nothing sent twice: {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
