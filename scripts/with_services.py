"""Run a command with PostgreSQL and Redis available.

If DATABASE_URL and REDIS_URL are both set, the command runs against them as they are.
Otherwise throwaway servers are started in a temporary folder (initdb/pg_ctl, redis-server on a
free port) and removed afterwards. Debian keeps initdb and pg_ctl off the PATH, so the versioned
bin folders are searched too; initdb refuses to run as root, so as root the cluster belongs to
the unprivileged 'nobody' user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

INSTALL_HINT = (
    "PostgreSQL and Redis are needed for the tests. Either set DATABASE_URL and REDIS_URL, or\n"
    "install the servers so throwaway ones can be started:\n"
    "  Debian/Ubuntu: sudo apt-get install postgresql redis-server\n"
    "  macOS (Homebrew): brew install postgresql@16 redis\n"
)


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start within {timeout:.0f}s")


def as_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--", *cmd]
    return cmd


def main() -> int:
    command = sys.argv[1:]
    if not command:
        print("usage: with_services.py COMMAND...", file=sys.stderr)
        return 2
    env = dict(os.environ)
    if env.get("DATABASE_URL") and env.get("REDIS_URL"):
        return subprocess.call(command, env=env)

    initdb, pg_ctl, redis = (
        find_binary("initdb"),
        find_binary("pg_ctl"),
        find_binary("redis-server"),
    )
    missing = [
        n for n, b in (("initdb", initdb), ("pg_ctl", pg_ctl), ("redis-server", redis)) if not b
    ]
    if missing:
        print(f"missing: {', '.join(missing)}\n{INSTALL_HINT}", file=sys.stderr)
        return 3

    tmp = tempfile.mkdtemp(prefix="portal-services-")
    os.chmod(tmp, 0o755)  # noqa: S103  (the unprivileged server user must enter it)
    pgdata, sockdir = os.path.join(tmp, "pg"), os.path.join(tmp, "sock")
    os.makedirs(sockdir)
    if os.geteuid() == 0:
        shutil.chown(tmp, "nobody", "nogroup")
        shutil.chown(sockdir, "nobody", "nogroup")
    pg_port, redis_port = free_port(), free_port()
    redis_proc = None
    pg_started = False
    try:
        subprocess.run(
            as_user(
                [
                    initdb,
                    "-D",
                    pgdata,
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=tmp,
        )
        options = f"-p {pg_port} -k {sockdir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not os.environ.get("PG_DURABLE"):
            # Tests need no durability; benchmarks (make bench sets PG_DURABLE) measure with it,
            # because a commit that does not wait for its WAL flush flatters every write path.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            as_user(
                [
                    pg_ctl,
                    "-D",
                    pgdata,
                    "-o",
                    options,
                    "-l",
                    os.path.join(tmp, "pg.log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=tmp,
        )
        pg_started = True
        redis_proc = subprocess.Popen(
            [
                redis,
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                tmp,
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_port(pg_port)
        wait_port(redis_port)
        createdb = find_binary("createdb")
        if createdb:
            subprocess.run(
                [createdb, "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "portal"],
                check=True,
            )
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{pg_port}/portal"
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        print(f"throwaway PostgreSQL on :{pg_port}, Redis on :{redis_port}", flush=True)
        return subprocess.call(command, env=env)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
        if pg_started:
            subprocess.run(
                as_user([pg_ctl, "-D", pgdata, "-m", "immediate", "stop"]),
                stdout=subprocess.DEVNULL,
                cwd=tmp,
            )
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
