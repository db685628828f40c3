"""API benchmark: hire reports POSTed by 16 clients to gunicorn on PostgreSQL, then a bulk upload.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/3 \
       .venv/bin/python bench/api.py [--seconds 30] [--clients 16] [--workers 3]

A throwaway database (<name>_apibench_<pid>) is created and dropped. Targets: p95 < 100 ms for the
POSTs; validating and persisting 5,000 upload rows < 3 s. Tasks go to the broker (no worker is
started, so the numbers are the API's own); the bench purges its queue at the end.
"""

from __future__ import annotations

import argparse
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    conn.autocommit = True
    return conn


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    # As docker-compose.yml runs it (3 sync workers).
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    if not base.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL")
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'portal'}_apibench_{os.getpid()}"
    admin = _admin_connect(base)
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}")),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "API_KEY_THROTTLE_RATE": "1000000/min",
        "SECURE_SSL_REDIRECT": "false",
        # Production-like: DEBUG off (Django would otherwise record every query).
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "false",
        # Its own rate-limit counters: a shared Redis keeps them after the bench's key is gone.
        "CACHE_KEY_PREFIX": f"apibench{os.getpid()}",
    }
    os.environ.update(env)
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        token, workplace_id = _fixtures()
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        _wait_for(port)
        before = _machine_check()
        _post_hires(port, token, workplace_id, args.seconds, args.clients)
        print(
            f"  machine check: {before:.0f} ms before, {_machine_check():.0f} ms after "
            "(CPU time of a fixed Python workload: higher means a slower machine)"
        )
        _bulk(workplace_id, args.rows)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        _purge_queue()
        from django.db import connections

        connections.close_all()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _fixtures() -> tuple[str, int]:
    from portal.models import Membership
    from portal.services import api_key_issue
    from tests.factories import MembershipFactory

    member = MembershipFactory(role=Membership.Role.OWNER)
    _, raw = api_key_issue(user=member.user, name="bench")
    return raw, member.workplace_id


def _machine_check() -> float:
    """CPU ms of a fixed workload. This machine's speed has varied by 2x within an hour; the
    figure lets runs made at different times be compared."""
    import hashlib
    import json

    started = time.process_time()
    document = {"name": "벤치", "monthly_wage": 3_000_000, "dates": ["2026-11-20"] * 8}
    for n in range(20_000):
        payload = json.dumps({**document, "n": n}, ensure_ascii=False).encode()
        hashlib.sha256(payload).hexdigest()
    return (time.process_time() - started) * 1000


def _wait_for(port: int) -> None:
    import http.client

    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/schema/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _hire(n: int) -> dict:
    from tests.factories import valid_rrn

    birth = date(1960 + (n // 28) % 40, 1 + n % 12, 1 + n % 28)
    return {
        "kind": "hire",
        "employee": {"name": f"벤치{n}", "rrn": valid_rrn(birth, serial=n % 100_000)},
        "hire_date": (date.today() - timedelta(days=3)).isoformat(),
        "monthly_wage": 3_000_000,
        "employment_type": "regular",
        "weekly_hours": 40,
        "job_code": "024",
    }


def _post_hires(port: int, token: str, workplace_id: int, seconds: float, clients: int) -> None:
    import json

    # The clients share the server's two cores, so whatever CPU they spend is taken from the
    # server. Bodies are built before the clock starts; each of the `clients` connections is a
    # closed loop (send a request, read the answer to EOF, open the next), all driven by one
    # thread on a selector: 16 client threads spent their CPU fighting over the GIL, and a
    # thread waiting for it read its answer (and closed the connection gunicorn waits on) late.
    path = f"/api/v1/workplaces/{workplace_id}/reports/"

    def request(n: int) -> bytes:
        body = json.dumps(_hire(n)).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: b-{n}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        return head.encode() + body

    prepared = [request(n) for n in range(int(seconds * 800))]
    latencies: list[float] = []
    errors: dict[int, int] = {}
    counter = iter(range(10**9))
    selector = selectors.DefaultSelector()

    def begin() -> None:
        n = next(counter)
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        raw = prepared[n] if n < len(prepared) else request(n)
        state = {"out": memoryview(raw), "in": [], "started": time.perf_counter()}
        selector.register(sock, selectors.EVENT_WRITE, state)

    began = time.monotonic()
    stop = began + seconds
    for _ in range(clients):
        begin()
    while selector.get_map():
        for key, _mask in selector.select(timeout=30):
            sock, state = key.fileobj, key.data
            if state["out"]:
                sent = sock.send(state["out"])
                state["out"] = state["out"][sent:]
                if not state["out"]:
                    selector.modify(sock, selectors.EVENT_READ, state)
                continue
            chunk = sock.recv(65536)
            if chunk:
                state["in"].append(chunk)
                continue
            latencies.append((time.perf_counter() - state["started"]) * 1000)
            selector.unregister(sock)
            sock.close()
            status = int(b"".join(state["in"])[9:12] or 0)  # "HTTP/1.1 201 ..."
            if status != 201:
                errors[status] = errors.get(status, 0) + 1
            if time.monotonic() < stop:
                begin()
    wall = time.monotonic() - began
    print(f"hire POSTs: {len(latencies)} in {wall:.1f} s with {clients} clients")
    print(f"  requests/s: {len(latencies) / wall:.1f}")
    print(
        f"  latency ms: p50 {_percentile(latencies, 0.50):.1f}  p95 {_percentile(latencies, 0.95):.1f}"
        f"  p99 {_percentile(latencies, 0.99):.1f}  mean {statistics.fmean(latencies):.1f}"
    )
    print(f"  non-201 answers: {errors or 'none'}  (target p95 < 100 ms)")


def _bulk(workplace_id: int, rows: int) -> None:
    import csv
    import io

    from filings.bulk import HIRE_COLUMNS, bulk_validate
    from portal.models import Workplace

    workplace = Workplace.objects.get(pk=workplace_id)
    user = workplace.memberships.first().user
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in HIRE_COLUMNS])
    for i in range(rows):
        body = _hire(500_000 + i)
        writer.writerow(
            [
                body["employee"]["name"],
                body["employee"]["rrn"],
                "KR",
                "",
                body["hire_date"],
                "3000000",
                "상용",
                "40",
                "",
                "024",
                "아니오",
                "",
            ]
        )
    content = out.getvalue().encode("utf-8-sig")
    started = time.perf_counter()
    upload, _ = bulk_validate(
        actor=user, workplace=workplace, content=content, filename="bench.csv"
    )
    elapsed = time.perf_counter() - started
    print(
        f"bulk upload: {upload.total_rows} rows validated + persisted in {elapsed:.2f} s "
        f"({upload.valid_rows} valid, {upload.error_rows} with errors; target < 3 s)"
    )


def _purge_queue() -> None:
    if not os.environ.get("REDIS_URL"):
        return
    try:
        from portal.celery import app

        app.control.purge()
    except Exception as exc:  # the numbers are printed already; a dirty queue is not fatal
        print(f"could not purge the broker queue: {exc}")


if __name__ == "__main__":
    main()
