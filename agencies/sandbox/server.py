"""HTTP front of the sandbox: stdlib ThreadingHTTPServer, JSON in and out, faults on demand."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agencies.sandbox import rules
from agencies.sandbox.state import Fault, SandboxState, current_time

logger = logging.getLogger("agencies.sandbox")

MAX_BODY = 1_000_000
_AGENCY_PATH = re.compile(r"^/(?P<agency>[a-z_]+)/reports(?:/(?P<reference>[^/?#]+))?/?$")


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        super().__init__(address, SandboxHandler)
        self.state = state

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Dropped(Exception):
    """Close the connection without answering."""


class _Answered(Exception):
    """A fault already wrote the answer."""


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real transport expects
    timeout = 60  # idle keep-alive connections do not pin a thread forever
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: SandboxServer
    _status: int | str  # the answer's status code, or why there was none (for the log line)

    # -- plumbing ----------------------------------------------------------------------

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: one line per request is logged by `_finish` instead."""

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox: " + format, *args)

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise ValueError("body too large")
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw.decode("utf-8")) if raw else None

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        # Books on disk before the answer leaves: what a caller was told survives a restart.
        self.server.state.save()
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        self._status = status

    def _drop(self) -> None:
        self.server.state.save()
        self.close_connection = True
        self._status = "dropped"

    def _handle(self, method: str) -> None:
        started = time.monotonic()
        self._status = "-"
        try:
            self._route(method)
        except _Dropped:
            self._drop()
        except Exception:
            logger.exception("sandbox: unhandled error on %s %s", method, self.path)
            self._reply(500, {"code": "E500", "message": "일시적인 시스템 오류입니다."})
        # The path carries only the agency and our reference, never an RRN.
        logger.info(
            "%s %s %s %dms", method, self.path, self._status, (time.monotonic() - started) * 1000
        )

    def do_GET(self) -> None:  # noqa: N802 (stdlib hook name)
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    # -- routing ------------------------------------------------------------------------

    def _route(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        state = self.server.state
        if path.startswith("/_"):
            self._control(method, path, state)
            return
        match = _AGENCY_PATH.match(path)
        if not match or match["agency"] not in rules.AGENCIES:
            self._reply(404, {"code": "E404", "message": "없는 주소입니다."})
            return
        agency, reference = match["agency"], match["reference"]
        if method == "POST" and reference is None:
            self._post_report(agency, state)
        elif method == "GET" and reference is not None:
            self._get_report(agency, reference, state)
        else:
            self._reply(405, {"code": "E405", "message": "허용되지 않는 요청입니다."})

    def _control(self, method: str, path: str, state: SandboxState) -> None:
        now = current_time()
        if (method, path) == ("GET", "/_health"):
            self._reply(200, {"status": "ok"})
        elif (method, path) == ("GET", "/_stats"):
            self._reply(200, state.stats(now))
        elif (method, path) == ("POST", "/_reset"):
            self._read_json()
            state.reset()
            self._reply(200, {"status": "reset"})
        elif (method, path) == ("POST", "/_config"):
            body = self._read_json() or {}
            self._reply(200, state.configure(**{k: body[k] for k in state.config if k in body}))
        elif (method, path) == ("POST", "/_faults"):
            try:
                fault = state.add_fault(self._read_json() or {})
            except (ValueError, TypeError) as exc:
                self._reply(400, {"code": "E400", "message": str(exc)})
                return
            self._reply(201, fault.describe())
        elif (method, path) == ("GET", "/_faults"):
            with state.lock:
                self._reply(200, {"faults": [f.describe() for f in state.faults]})
        elif (method, path) == ("DELETE", "/_faults"):
            state.clear_faults()
            self._reply(200, {"faults": []})
        elif (method, path) == ("POST", "/_members"):
            try:
                taken = state.members_tell(self._read_json())
            except (ValueError, TypeError) as exc:
                self._reply(400, {"code": "E400", "message": str(exc)})
                return
            self._reply(200, {"members": taken})
        elif (method, path) == ("GET", "/_members"):
            self._reply(200, {"members": state.members_list()})
        else:
            self._reply(404, {"code": "E404", "message": "없는 주소입니다."})

    def _before(self, fault: Fault | None) -> None:
        """Faults that act before the agency looks at the request."""
        if fault is None:
            return
        if fault.mode == "latency":
            time.sleep(fault.latency_ms / 1000)
        elif fault.mode == "drop":
            raise _Dropped
        elif fault.mode == "error_5xx":
            self._reply(
                fault.status, {"code": f"E{fault.status}", "message": "일시적인 시스템 오류입니다."}
            )
            raise _Answered
        elif fault.mode == "outage":
            self._reply(fault.status, {"code": "E503", "message": "시스템 점검 중입니다."})
            raise _Answered

    def _after(self, fault: Fault | None, status: int, body: dict[str, Any]) -> None:
        """Faults that act after the agency processed the request, then the answer."""
        if fault is not None and fault.mode == "accept_then_drop":
            raise _Dropped
        if fault is not None and fault.mode == "timeout":
            time.sleep(fault.sleep_s)
        self._reply(status, body)

    def _post_report(self, agency: str, state: SandboxState) -> None:
        # Read the body first, whatever happens next: an unread body would corrupt the next
        # request on this keep-alive connection.
        try:
            payload = self._read_json()
        except (ValueError, UnicodeDecodeError):
            payload = _UNREADABLE
        reference = (self.headers.get("Idempotency-Key") or "").strip()
        if reference:
            state.count_post(agency, reference)
        fault = state.take_fault(agency, "POST", current_time())
        try:
            self._before(fault)
        except _Answered:
            return
        if payload is _UNREADABLE:
            self._reply(422, _invalid("E100", "신고 내용은 JSON 객체여야 합니다.", "body"))
            return
        if not reference:
            self._reply(
                422, _invalid("E108", "Idempotency-Key 헤더가 필요합니다.", "Idempotency-Key")
            )
            return
        if isinstance(payload, dict) and payload.get("reference") not in (None, reference):
            self._reply(
                422, _invalid("E109", "참조번호가 Idempotency-Key와 다릅니다.", "reference")
            )
            return
        status, body = state.intake(agency, reference, payload, now=current_time())
        self._after(fault, status, body)

    def _get_report(self, agency: str, reference: str, state: SandboxState) -> None:
        fault = state.take_fault(agency, "GET", current_time())
        try:
            self._before(fault)
        except _Answered:
            return
        found = state.lookup(agency, reference, now=current_time())
        if found is None:
            self._after(fault, 404, {"code": "E404", "message": "접수된 신고가 없습니다."})
        else:
            self._after(fault, 200, found)


_UNREADABLE = object()


def _invalid(code: str, message: str, field: str) -> dict[str, str]:
    return {"code": code, "message": message, "field": field}


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    result_delay: float = 2.0,
    state_file: str | os.PathLike[str] | None = None,
) -> SandboxServer:
    """`state_file`: keep the books in that file across restarts (agencies.sandbox.books)."""
    state = SandboxState(result_delay=result_delay, state_file=state_file)
    return SandboxServer((host, port), state)


def start_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    result_delay: float = 2.0,
    state_file: str | os.PathLike[str] | None = None,
) -> tuple[SandboxServer, str]:
    """Start the sandbox on a daemon thread; returns (server, base_url). Stop with
    `server.shutdown(); server.server_close()`."""
    server = make_server(host, port, result_delay=result_delay, state_file=state_file)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.2},
        daemon=True,
        name="agency-sandbox",
    )
    thread.start()
    return server, server.base_url


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8700,
    *,
    result_delay: float = 2.0,
    state_file: str | os.PathLike[str] | None = None,
) -> None:
    """Run the sandbox in the foreground until interrupted."""
    server = make_server(host, port, result_delay=result_delay, state_file=state_file)
    logger.info("agency sandbox listening on %s (result_delay=%ss)", server.base_url, result_delay)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
