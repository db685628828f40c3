"""Month-end peak benchmark (issue 18): a 10,000-hire bulk upload while API and browser clients work.

Usage: PG_DURABLE=1 .venv/bin/python scripts/with_services.py .venv/bin/python bench/peak.py
       [--clients 16] [--workers 3] [--list-seconds 10] [--cap 300] [--fast-sweeps]
(`make bench` runs it; DATABASE_URL and REDIS_URL come from with_services.)

The stack runs as docker-compose.yml runs it, on this machine's cores: gunicorn (3 sync workers,
DEBUG off), a Celery prefork worker with 2 processes, celery beat (production sweep intervals;
--fast-sweeps takes tests.pipeline.WORKER_ENV's short ones) and the agency sandbox deciding at
once (`run_agency_sandbox --result-delay 0`), on a throwaway database (bench/throwaway_db.py)
and Redis database 11 (flushed before and after).

Seed: a payroll workplace with 200 hires filed through filings.services.report_file and final;
16 staff members of it, each signed in with a second factor (a session cookie, as
tests/conftest.py sign_in_verified makes it); 16 other workplaces, each with its owner's API key.

Phase 1, nothing else running: the 16 browser clients read the report list (GET /reports/) for
--list-seconds. Targets: >= 150 requests/s, p95 < 300 ms.

Phase 2, the peak: the payroll workplace's owner uploads a 10,000-hire CSV (tests/api/test_bulk.py
hire_rows) with POST /api/v1/workplaces/{id}/bulk-reports/ (dry_run=false: the upload is
validated in the request, then a Celery task files every row), while 16 API clients keep filing
single hires (POST /api/v1/workplaces/{id}/reports/, one workplace and key each) and the 16
browser clients keep reading the report list. Everything runs until every submission of the
upload's reports is final (filings.models.FINAL_STATUSES), or --cap seconds after the upload.
Targets: all final within 120 s of the upload request (the time is the last decision's, from
the database); API p95 < 250 ms during the peak. The report list's throughput and p95 during
the peak are printed beside phase 1's.

Clients are closed loops (send a request, read the answer to EOF, send the next), all driven by
one thread on a selector, as bench/api.py drives its clients, so that they take little of the
two cores from the server. Logs (gunicorn, worker, beat, sandbox) are kept in $BENCH_LOG_DIR or a
new /tmp/bench-peak-* folder, printed at the end with a count of their error lines.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api import _hire, _machine_check, _percentile
from fanout import _analyze, _start_worker, _wait_port
from throwaway_db import database_create_from_env, database_drop, django_setup, verdict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from with_services import free_port, wait_port  # noqa: E402

BULK_ROWS = 10_000
SEED_REPORTS = 200
TARGET_FINAL_S = 120.0
TARGET_API_P95_MS = 250.0
TARGET_LIST_RPS = 150.0
TARGET_LIST_P95_MS = 300.0
REDIS_DB = 11
# The intervals of tests.pipeline.WORKER_ENV that only make the sweepers run more often.
SWEEP_SETTINGS = (
    "OUTBOX_SWEEP_SECONDS",
    "RESULTS_POLL_SECONDS",
    "DISCREPANCY_CHECK_SECONDS",
    "RESULT_POLL_INTERVAL_SECONDS",
)


@dataclass
class Stream:
    """One kind of client: a request maker per client, and every answer (when, how long, code)."""

    label: str
    requests: list[Callable[[], bytes]]
    expected: int
    answers: list[tuple[float, float, int]] = field(default_factory=list)

    def window(self, start: float, end: float) -> tuple[list[float], Counter[int]]:
        """Latencies (ms) and status codes of the answers that came in between start and end;
        code 0 = the connection closed or failed without an answer."""
        picked = [(ms, code) for at, ms, code in self.answers if start <= at <= end]
        return [ms for ms, _ in picked], Counter(code for _, code in picked)


class ClosedLoop:
    """Every client of every stream: a new connection per request (gunicorn's sync workers
    close each one anyway), the next request as soon as the answer is read to EOF."""

    def __init__(self, port: int, streams: list[Stream]) -> None:
        self.address = ("127.0.0.1", port)
        self.streams = streams
        self.selector = selectors.DefaultSelector()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="clients", daemon=True)

    def start(self) -> float:
        self.started = time.monotonic()
        self.thread.start()
        return self.started

    def stop(self, grace: float = 90.0) -> float:
        """Send no more requests; wait (up to `grace` s) for the ones under way to be answered."""
        self.stopped = time.monotonic()
        self.stopping.set()
        self.thread.join(grace)
        return self.stopped

    def _begin(self, stream: Stream, client: int) -> None:
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(self.address)
        state = {
            "stream": stream,
            "client": client,
            "out": memoryview(stream.requests[client]()),
            "in": [],
            "started": time.perf_counter(),
        }
        self.selector.register(sock, selectors.EVENT_WRITE, state)

    def _end(self, sock: socket.socket, state: dict[str, Any], code: int) -> None:
        elapsed_ms = (time.perf_counter() - state["started"]) * 1000
        state["stream"].answers.append((time.monotonic(), elapsed_ms, code))
        self.selector.unregister(sock)
        sock.close()
        if not self.stopping.is_set():
            self._begin(state["stream"], state["client"])

    def _run(self) -> None:
        for stream in self.streams:
            for client in range(len(stream.requests)):
                self._begin(stream, client)
        while self.selector.get_map():
            for key, _mask in self.selector.select(timeout=1):
                sock, state = key.fileobj, key.data
                assert isinstance(sock, socket.socket)
                try:
                    if state["out"]:
                        sent = sock.send(state["out"])
                        state["out"] = state["out"][sent:]
                        if not state["out"]:
                            self.selector.modify(sock, selectors.EVENT_READ, state)
                        continue
                    chunk = sock.recv(65536)
                except OSError:
                    self._end(sock, state, 0)
                    continue
                if chunk:
                    state["in"].append(chunk)
                    continue
                head = b"".join(state["in"])[:12]  # "HTTP/1.1 201"
                self._end(sock, state, int(head[9:12]) if head[9:12].isdigit() else 0)


def page_request(port: int, cookie: str) -> Callable[[], bytes]:
    raw = (
        f"GET /reports/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
        "Accept: text/html\r\nAccept-Language: ko\r\nConnection: close\r\n\r\n"
    ).encode()
    return lambda: raw


def hire_request(port: int, token: str, workplace_id: int, people: itertools.count) -> Callable:
    path = f"/api/v1/workplaces/{workplace_id}/reports/"

    def make() -> bytes:
        n = next(people)
        body = json.dumps(_hire(n)).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: peak-{n}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode() + body

    return make


@dataclass
class Fixtures:
    payroll_id: int
    payroll_token: str
    cookies: list[str]
    api_clients: list[tuple[int, str]]  # (workplace id, raw key)


def fixtures_create(clients: int) -> Fixtures:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from filings.services import report_file
    from portal.models import Membership
    from portal.services import api_key_issue
    from tests.conftest import sign_in_verified
    from tests.factories import WorkplaceFactory

    User = get_user_model()
    payroll = WorkplaceFactory(name="월말급여 사업장", headcount=BULK_ROWS)
    owner = User.objects.create(username="peak-owner")
    Membership.objects.create(user=owner, workplace=payroll, role=Membership.Role.OWNER)
    _, payroll_token = api_key_issue(user=owner, name="payroll upload")
    for n in range(SEED_REPORTS):
        # Serials from 10,000 up: never one of the upload's people (serials 0..9,999).
        report_file(actor=owner, workplace=payroll, data=_hire(10_000 + n))
    cookies = []
    for n in range(clients):
        staff = User.objects.create(username=f"peak-staff{n}")
        Membership.objects.create(user=staff, workplace=payroll, role=Membership.Role.HR)
        browser = Client()
        sign_in_verified(browser, staff)
        name = settings.SESSION_COOKIE_NAME
        cookies.append(f"{name}={browser.cookies[name].value}")
    api_clients = []
    for n in range(clients):
        workplace = WorkplaceFactory(name=f"API 사업장 {n}")
        user = User.objects.create(username=f"peak-api{n}")
        Membership.objects.create(user=user, workplace=workplace, role=Membership.Role.OWNER)
        _, raw = api_key_issue(user=user, name="payroll program")
        api_clients.append((workplace.pk, raw))
    return Fixtures(payroll.pk, payroll_token, cookies, api_clients)


def bulk_csv() -> bytes:
    from tests.api.test_bulk import as_csv, hire_rows

    rows, _ = hire_rows(BULK_ROWS)
    return as_csv(rows)


def all_final(timeout: float) -> bool:
    from filings.models import FINAL_STATUSES, Submission

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Submission.objects.exclude(status__in=FINAL_STATUSES).exists():
            return True
        time.sleep(0.5)
    return False


def bulk_progress(upload_id: int) -> dict[str, Any]:
    """The upload's rows and the submissions of the reports it filed."""
    from django.db.models import Count, Max, Q
    from django.db.models.functions import Coalesce

    from filings.models import FINAL_STATUSES, BulkRow, BulkUpload, Submission

    upload = BulkUpload.objects.get(pk=upload_id)
    reports = BulkRow.objects.filter(upload_id=upload_id, report__isnull=False).values("report_id")
    subs = Submission.objects.filter(report_id__in=reports, action=Submission.Action.FILE)
    return {
        "status": upload.status,
        "finished_at": upload.finished_at,
        "filed_rows": upload.filed_rows,
        "failed_rows": upload.failed_rows,
        **subs.aggregate(
            total=Count("id"),
            final=Count("id", filter=Q(status__in=FINAL_STATUSES)),
            last=Max(Coalesce("decided_at", "updated_at")),
        ),
        "by_status": dict(Counter(subs.values_list("status", flat=True))),
    }


def broker_waiting() -> int:
    """Tasks waiting in the broker's queues (not yet taken by the worker)."""
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    return sum(broker.llen(name) for name in getattr(settings, "CELERY_TASK_QUEUES", {"celery": 0}))


def upload_send(port: int, fx: Fixtures, content: bytes, out: dict[str, Any]) -> None:
    import httpx

    out["sent_at"] = time.time()
    try:
        answer = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/workplaces/{fx.payroll_id}/bulk-reports/",
            headers={"Authorization": f"Token {fx.payroll_token}"},
            files={"file": ("월말_취득신고.csv", content, "text/csv")},
            data={"dry_run": "false", "kind": "hire"},
            timeout=600,
        )
        out["status"] = answer.status_code
        out["body"] = (
            answer.json()
            if answer.headers.get("content-type", "").startswith("application/json")
            else answer.text[:500]
        )
    except Exception as exc:  # reported with the figures; the phase ends without an upload
        out["error"] = repr(exc)
    out["answered_at"] = time.time()


def latency_line(latencies: list[float], codes: Counter[int], expected: int, wall: float) -> str:
    others = {code: n for code, n in sorted(codes.items()) if code != expected}
    if not latencies:
        return "no answers"
    return (
        f"{len(latencies):,} answers = {len(latencies) / wall:.1f}/s; ms p50 "
        f"{_percentile(latencies, 0.50):.0f}  p95 {_percentile(latencies, 0.95):.0f}  "
        f"p99 {_percentile(latencies, 0.99):.0f}  max {max(latencies):.0f}; "
        f"not {expected}: {others or 'none'}"
    )


def phase_list_alone(port: int, fx: Fixtures, seconds: float) -> None:
    stream = Stream("report list", [page_request(port, c) for c in fx.cookies], 200)
    loop = ClosedLoop(port, [stream])
    start = loop.start()
    time.sleep(seconds)
    end = loop.stop()
    latencies, codes = stream.window(start, end)
    rate = len(latencies) / (end - start)
    p95 = _percentile(latencies, 0.95) if latencies else float("inf")
    print(f"phase 1, report list alone: {len(fx.cookies)} browser clients, {end - start:.0f} s")
    print(f"  {latency_line(latencies, codes, 200, end - start)}")
    print(f"  throughput {rate:.1f} requests/s (target >= {TARGET_LIST_RPS:.0f}): ", end="")
    print(verdict(rate >= TARGET_LIST_RPS and codes[200] == len(latencies)))
    print(f"  p95 {p95:.0f} ms (target < {TARGET_LIST_P95_MS:.0f} ms): ", end="")
    print(verdict(p95 < TARGET_LIST_P95_MS), flush=True)


def phase_peak(port: int, fx: Fixtures, content: bytes, cap: float) -> bool:
    people = itertools.count(20_000)
    api = Stream(
        "API hire POSTs",
        [hire_request(port, token, wp, people) for wp, token in fx.api_clients],
        201,
    )
    pages = Stream("report list", [page_request(port, c) for c in fx.cookies], 200)
    loop = ClosedLoop(port, [api, pages])
    upload: dict[str, Any] = {}
    sender = threading.Thread(target=upload_send, args=(port, fx, content, upload), daemon=True)
    start = loop.start()
    sender.start()
    print(
        f"phase 2, the peak: {BULK_ROWS:,}-hire upload, {len(fx.api_clients)} API clients, "
        f"{len(fx.cookies)} browser clients",
        flush=True,
    )
    progress: dict[str, Any] = {}
    shown = 0.0
    while True:
        time.sleep(1)
        elapsed = time.monotonic() - start
        if sender.is_alive():
            line = "upload being validated"
        elif upload.get("status") != 201:
            break
        else:
            progress = bulk_progress(upload["body"]["id"])
            line = (
                f"rows filed {progress['filed_rows']:,}, submissions final "
                f"{progress['final']:,}/{progress['total']:,}"
            )
            if progress["status"] == "done" and progress["final"] == progress["total"]:
                break
        if elapsed >= cap:
            break
        if elapsed - shown >= 15:
            shown = elapsed
            print(
                f"  {elapsed:4.0f} s: {line}; answers: API {len(api.answers):,}, "
                f"list {len(pages.answers):,}; tasks in the broker {broker_waiting():,}",
                flush=True,
            )
    end = loop.stop()
    if upload.get("status") != 201:
        print(f"  upload refused or failed: {upload}")
        return False
    body = upload["body"]
    print(
        f"  upload answered {upload['status']} in {upload['answered_at'] - upload['sent_at']:.1f} s:"
        f" {body['valid_rows']:,} valid rows, {body['error_rows']:,} with errors"
    )
    done = progress["status"] == "done" and progress["final"] == progress["total"]
    if progress["finished_at"]:
        filed_s = progress["finished_at"].timestamp() - upload["sent_at"]
        print(
            f"  every row filed (the upload's task done) {filed_s:.1f} s after the upload request"
        )
    final_s = progress["last"].timestamp() - upload["sent_at"] if progress["last"] else cap
    print(
        f"  submissions of the upload: {progress['total']:,} ({progress['filed_rows']:,} rows "
        f"filed, {progress['failed_rows']:,} failed); by status {progress['by_status']}"
    )
    if done:
        print(f"  all final {final_s:.1f} s after the upload request ", end="")
    else:
        print(
            f"  NOT all final {cap:.0f} s after the upload (cap): {progress['final']:,} were ",
            end="",
        )
    print(f"(target <= {TARGET_FINAL_S:.0f} s): {verdict(done and final_s <= TARGET_FINAL_S)}")
    wall = end - start
    latencies, codes = api.window(start, end)
    p95 = _percentile(latencies, 0.95) if latencies else float("inf")
    print(f"  API hire POSTs over the {wall:.0f} s: {latency_line(latencies, codes, 201, wall)}")
    print(f"  API p95 {p95:.0f} ms (target < {TARGET_API_P95_MS:.0f} ms): ", end="")
    print(verdict(p95 < TARGET_API_P95_MS))
    latencies, codes = pages.window(start, end)
    print(f"  report list over the {wall:.0f} s: {latency_line(latencies, codes, 200, wall)}")
    rate = len(latencies) / wall
    p95 = _percentile(latencies, 0.95) if latencies else float("inf")
    print(
        f"  report list during the peak: {rate:.1f} requests/s, p95 {p95:.0f} ms "
        f"(alone: >= {TARGET_LIST_RPS:.0f}/s, p95 < {TARGET_LIST_P95_MS:.0f} ms)",
        flush=True,
    )
    return True


LOG_ERRORS = re.compile(rb"(ERROR|CRITICAL|Traceback|Internal Server Error|WORKER TIMEOUT)")
LOG_WARNINGS = re.compile(rb"WARNING")


def logs_sizes(log_dir: Path) -> dict[str, int]:
    return {log.name: log.stat().st_size for log in log_dir.glob("*.log")}


def logs_report(log_dir: Path, measured: dict[str, int]) -> None:
    """Error and warning lines of each log up to the end of the measurement (`measured`: the
    sizes then); what the shutdown adds (a SIGTERM'd pool child is an ERROR) is counted apart."""
    print(f"logs in {log_dir} (error and warning lines until the end of the peak):")
    for log in sorted(log_dir.glob("*.log")):
        content = log.read_bytes()
        cut = measured.get(log.name, len(content))
        lines = content[:cut].splitlines()
        errors = [line for line in lines if LOG_ERRORS.search(line)]
        warnings = [line for line in lines if LOG_WARNINGS.search(line)]
        later = len(LOG_ERRORS.findall(content[cut:]))
        print(
            f"  {log.name}: {len(lines):,} lines, {len(errors)} error, {len(warnings)} warning"
            f" ({later} error lines more at shutdown)"
        )
        samples = Counter(re.sub(rb"\d+", b"N", line)[:160] for line in errors + warnings)
        for sample, n in samples.most_common(5):
            print(f"    {n:5d} x {sample.decode(errors='replace')}")


def process_start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killpg takes its children too
    )


def processes_stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16, help="API clients, and browser clients")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--list-seconds", type=float, default=10)
    parser.add_argument("--cap", type=float, default=300, help="seconds after the upload")
    parser.add_argument("--fast-sweeps", action="store_true")
    args = parser.parse_args()

    began = time.monotonic()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    redis_url = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    log_dir = Path(os.environ.get("BENCH_LOG_DIR") or tempfile.mkdtemp(prefix="bench-peak-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    sandbox_port, port = free_port(), free_port()
    overrides = {
        "REDIS_URL": redis_url,
        "AGENCY_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        # As docker-compose.yml runs the stack: DEBUG off, plain HTTP behind the TLS proxy.
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        # No collectstatic into the work tree: pages name static files without the manifest.
        "STATIC_MANIFEST": "false",
        "LOG_LEVEL": "WARNING",
        "CACHE_KEY_PREFIX": f"peak{os.getpid()}",
    }
    if args.fast_sweeps:
        from tests.pipeline import WORKER_ENV

        overrides.update({name: WORKER_ENV[name] for name in SWEEP_SETTINGS})
    os.environ.update(overrides)
    url = database_create_from_env()
    procs: list[subprocess.Popen] = []
    try:
        django_setup(url)  # sets DATABASE_URL in os.environ too
        env = dict(os.environ)
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        procs.append(
            process_start(
                [sys.executable, "manage.py", "run_agency_sandbox"]
                + ["--port", str(sandbox_port), "--result-delay", "0"],
                env,
                log_dir / "sandbox.log",
            )
        )
        _wait_port(overrides["AGENCY_SANDBOX_URL"])
        procs.append(_start_worker(env, log_dir / "worker.log"))
        procs.append(
            process_start(
                [sys.executable, "-m", "celery", "-A", "portal", "beat", "-l", "WARNING"]
                + ["--schedule", str(log_dir / "beat-schedule")],
                env,
                log_dir / "beat.log",
            )
        )
        procs.append(
            process_start(
                [sys.executable, "-m", "gunicorn", "portal.wsgi:application"]
                + ["-b", f"127.0.0.1:{port}", "-w", str(args.workers), "--timeout", "60"]
                + ["--log-level", "warning"],
                env,
                log_dir / "gunicorn.log",
            )
        )
        fx = fixtures_create(args.clients)
        content = bulk_csv()
        wait_port(port)
        # Warm-up (each gunicorn worker's first requests import and compile), not measured.
        people = itertools.count(90_000)
        warm = ClosedLoop(
            port,
            [
                Stream("list", [page_request(port, c) for c in fx.cookies], 200),
                Stream(
                    "api",
                    [hire_request(port, token, wp, people) for wp, token in fx.api_clients],
                    201,
                ),
            ],
        )
        warm.start()
        time.sleep(3)
        warm.stop()
        for stream in warm.streams:
            codes = Counter(code for _, _, code in stream.answers)
            if set(codes) != {stream.expected}:
                raise SystemExit(f"warm-up {stream.label}: answers {dict(codes)} (see {log_dir})")
        if not all_final(timeout=120):
            raise SystemExit(f"the seeded reports did not become final (see {log_dir})")
        _analyze()
        print(
            f"machine check: {_machine_check():.0f} ms (CPU time of bench/api.py's fixed "
            "workload: higher means a slower machine)"
        )
        print(
            f"stack: gunicorn {args.workers} sync workers, Celery worker 2 processes + beat "
            f"({'short' if args.fast_sweeps else 'production'} sweep intervals), sandbox with "
            f"zero result delay; {os.cpu_count()} CPUs; seeded {SEED_REPORTS} final reports",
            flush=True,
        )
        phase_list_alone(port, fx, args.list_seconds)
        ok = phase_peak(port, fx, content, args.cap)
        measured = logs_sizes(log_dir)
    finally:
        processes_stop(procs)
        try:
            import redis
            from django.db import connections

            connections.close_all()
            redis.Redis.from_url(redis_url).flushdb()
        finally:
            database_drop(url)
    logs_report(log_dir, measured)
    print(f"run took {time.monotonic() - began:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
