"""Fan-out benchmark (issue 3): Celery no-op throughput vs. filing 1,000 hires to four agencies.

Run through `make bench` (throwaway PostgreSQL and Redis) or with DATABASE_URL/REDIS_URL set.
Creates its own database (bench_fanout_<pid>) and drops it afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

N_NOOP = 4000
N_HIRES = 1000
# The setting is 2; BENCH_WORKER_PROCESSES=4 shows how much of the send is waiting on I/O.
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", "2"))


def _db_urls() -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parsed = urlparse(base)
    name = f"bench_fanout_{os.getpid()}"
    admin = parsed._replace(path="/postgres").geturl()
    return admin, parsed._replace(path=f"/{name}").geturl()


def _psql(admin_url: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def _wait_port(url: str) -> None:
    import httpx

    for _ in range(100):
        try:
            httpx.get(f"{url}/_health", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("sandbox did not start")


def _analyze() -> None:
    """Planner statistics, as autovacuum keeps them in a database that has been running a
    while; a database created seconds ago has none, and its plans would not be production's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _start_worker(env: dict[str, str], log: Path, *, wait: bool = True) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-P",
        "prefork",
        "-c",
        str(WORKER_PROCESSES),
        "--without-mingle",
        "--without-gossip",
        "-l",
        "INFO",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    if wait:
        while b"ready" not in log.read_bytes():
            time.sleep(0.05)
    return proc


def main() -> None:
    admin_url, db_url = _db_urls()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    redis_url = redis_url.rsplit("/", 1)[0] + "/9"
    name = urlparse(db_url).path.lstrip("/")
    _psql(admin_url, f'CREATE DATABASE "{name}"')
    sandbox_port = 8790 + os.getpid() % 100
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        AGENCY_SANDBOX_URL=sandbox_url,
        CONN_MAX_AGE="600",
        # Production-like: with DEBUG on, Django keeps every query in memory.
        DEBUG="false",
        LOG_LEVEL="WARNING",
    )
    os.environ.update(env)
    procs: list[subprocess.Popen] = []
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        import redis

        r = redis.Redis.from_url(redis_url)
        r.flushdb()
        log_dir = Path(os.environ.get("BENCH_LOG_DIR", "/tmp"))  # noqa: S108
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "run_agency_sandbox",
                    "--port",
                    str(sandbox_port),
                    "--result-delay",
                    "0",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        _wait_port(sandbox_url)
        worker = _start_worker(env, log_dir / "bench-worker.log")
        procs.append(worker)

        # 1) Celery's own speed: a group of no-op tasks on the same worker settings.
        from celery import group

        from portal.tasks import noop

        key = f"bench:noop:{uuid.uuid4()}"
        started = time.perf_counter()
        group(noop.s(key) for _ in range(N_NOOP)).apply_async()
        while int(r.get(key) or 0) < N_NOOP:
            time.sleep(0.01)
        noop_s = time.perf_counter() - started
        noop_rate = N_NOOP / noop_s

        # 2) The product: 1,000 hires, each fanned out to four agencies, until all are final.
        from django.contrib.auth.models import User

        from filings.models import Submission
        from filings.services import report_file
        from portal.models import Membership, Workplace
        from tests.factories import valid_brn, valid_rrn

        user = User.objects.create_user("bench", password="bench-pass-2026!")
        brn = valid_brn(1)
        workplace = Workplace.objects.create(
            name="벤치마크 사업장", business_registration_number=brn, management_number=brn + "0"
        )
        Membership.objects.create(user=user, workplace=workplace, role="owner")
        hire_date = (date.today() - timedelta(days=2)).isoformat()
        bodies = [
            {
                "kind": "hire",
                "employee": {
                    "name": f"근로자{i}",
                    "rrn": valid_rrn(date(1970 + i % 30, 1 + i % 12, 1 + i % 28), serial=i),
                },
                "hire_date": hire_date,
                "monthly_wage": 2_500_000 + i,
                "employment_type": "regular",
                "weekly_hours": 40,
                "job_code": "024",
                "is_representative": False,
            }
            for i in range(2 * N_HIRES)
        ]
        total = N_HIRES * 4

        def accepted() -> int:
            return Submission.objects.filter(status="accepted").count()

        # a) End to end: filing (the web request's work) and fanning out share the two cores.
        started = time.perf_counter()
        for body in bodies[:N_HIRES]:
            report_file(actor=user, workplace=workplace, data=body)
        filed_s = time.perf_counter() - started
        while accepted() < total:
            time.sleep(0.05)
        fanout_s = time.perf_counter() - started
        fanout_rate = total / fanout_s

        # b) The fan-out machinery alone, measured like the no-op group: 1,000 more hires are
        # filed while the worker is stopped (their tasks wait in Redis), then a started worker
        # drains them; timed from the worker's "ready" to the last final submission.
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        for body in bodies[N_HIRES:]:
            report_file(actor=user, workplace=workplace, data=body)
        _analyze()
        log = log_dir / "bench-worker-2.log"
        worker = _start_worker(env, log, wait=False)
        procs.append(worker)
        while b"ready" not in log.read_bytes():
            time.sleep(0.01)
        started = time.perf_counter()
        while accepted() < 2 * total:
            time.sleep(0.05)
        drain_s = time.perf_counter() - started
        drain_rate = total / drain_s
        failed = Submission.objects.exclude(status="accepted").count()

        print(
            f"celery no-op: {N_NOOP} tasks, {WORKER_PROCESSES} worker processes: "
            f"{noop_s:.2f} s = {noop_rate:.0f} tasks/s"
        )
        print(
            f"fan-out end to end: {N_HIRES} hires = {total} submissions final (accepted) in "
            f"{fanout_s:.2f} s = {fanout_rate:.0f} submissions/s (filing alone took "
            f"{filed_s:.2f} s of it)"
        )
        print(
            f"fan-out drain (tasks already queued, like the no-op group): {total} submissions in "
            f"{drain_s:.2f} s = {drain_rate:.0f} submissions/s; {failed} not accepted"
        )
        # End to end also files the hires on the same two cores; the drain is the machinery alone.
        targets = (("end to end", fanout_rate, 0.33), ("drain", drain_rate, 0.5))
        for label, rate, target in targets:
            ratio = rate / noop_rate
            verdict = "PASS" if ratio >= target else "MISS"
            print(
                f"ratio fan-out ({label}) / no-op = {ratio:.1%} (target >= {target:.0%}): {verdict}"
            )
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        _psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
