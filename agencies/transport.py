"""The one outbound HTTP seam to the agencies (or to the sandbox standing in for them).

Every exchange comes back as an `Exchange` the caller stores as an attempt row, including the
failed ones: errors carry the exchange on `exc.exchange`. Request bodies are stored redacted.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import httpx

from portal.identifiers import mask_rrn_text

T = TypeVar("T")
U = TypeVar("U")

RESPONSE_BODY_LIMIT = 10_000
DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_SANDBOX_URL = "http://127.0.0.1:8700"


@dataclass(frozen=True)
class Exchange(Generic[T]):
    """One HTTP exchange, ready to be stored as an attempt. `request_body` is already redacted."""

    method: str
    url: str
    request_body: str = ""
    status_code: int | None = None
    response_body: str = ""
    duration_ms: int = 0
    error: str = ""
    value: T | None = None

    def with_value(self, value: U) -> Exchange[U]:
        # The same exchange carrying a value of another type (no other field depends on T).
        untyped: Exchange[Any] = self
        return replace(untyped, value=value)


class AgencyError(Exception):
    """Base for failures talking to an agency; `exchange` is the attempt to store."""

    def __init__(self, message: str, *, exchange: Exchange[Any] | None = None) -> None:
        super().__init__(message)
        self.exchange = exchange


class TransientError(AgencyError):
    """Worth retrying later: timeouts, refused or dropped connections, 429, 5xx.

    `maybe_delivered` is True when the agency may have processed the request before the failure
    (read timeout, dropped response, 5xx): query by reference before sending again.
    """

    def __init__(
        self, message: str, *, exchange: Exchange[Any] | None = None, maybe_delivered: bool = True
    ) -> None:
        super().__init__(message, exchange=exchange)
        self.maybe_delivered = maybe_delivered


class PermanentError(AgencyError):
    """The agency refused the message itself; resending the same message cannot help."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str = "",
        exchange: Exchange[Any] | None = None,
    ) -> None:
        super().__init__(f"{code} {message}".strip(), exchange=exchange)
        self.code = code
        self.message = message
        self.field = field


def _setting(name: str, default: Any) -> Any:
    # Lazy and tolerant: the transport also runs in scripts and tests without Django configured.
    try:
        from django.conf import settings

        if not settings.configured:
            return default
        return getattr(settings, name, default)
    except Exception:
        return default


_client_lock = threading.Lock()
_client: httpx.Client | None = None
_client_pid: int | None = None


def shared_client() -> httpx.Client:
    """One keep-alive client per process, recreated after a fork (Celery prefork children)."""
    global _client, _client_pid
    pid = os.getpid()
    with _client_lock:
        if _client is None or _client_pid != pid:
            _client = httpx.Client(
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                headers={"User-Agent": "sabo-portal-agency-transport/1"},
            )
            _client_pid = pid
        return _client


@dataclass
class Transport:
    """Sends JSON to an agency's base URL and maps failures to Transient/PermanentError.

    base_urls maps agency code -> base URL (e.g. 'http://host:8700/pension'); sandbox_root
    serves every agency under /<code>. Without either, the URL comes from
    settings.AGENCY_URLS[code], then from $AGENCY_SANDBOX_URL + '/' + code.
    """

    base_urls: dict[str, str] | None = None
    # One server for every agency, each under /<agency code> (the sandbox).
    sandbox_root: str | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    client: httpx.Client | None = field(default=None, repr=False)

    @classmethod
    def for_sandbox(cls, base_url: str, **kwargs: Any) -> Transport:
        """A transport pointing every agency at one sandbox server."""
        return cls(sandbox_root=base_url.rstrip("/"), **kwargs)

    def base_url(self, agency: str) -> str:
        if self.base_urls and agency in self.base_urls:
            return self.base_urls[agency].rstrip("/")
        if self.sandbox_root:
            return f"{self.sandbox_root}/{agency}"
        configured = _setting("AGENCY_URLS", None) or {}
        if agency in configured:
            return str(configured[agency]).rstrip("/")
        root = os.environ.get("AGENCY_SANDBOX_URL", DEFAULT_SANDBOX_URL).rstrip("/")
        return f"{root}/{agency}"

    def _timeout(self) -> httpx.Timeout:
        connect = self.connect_timeout
        if connect is None:
            connect = float(_setting("AGENCY_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT))
        read = self.read_timeout
        if read is None:
            read = float(_setting("AGENCY_READ_TIMEOUT", DEFAULT_READ_TIMEOUT))
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def post_json(
        self,
        agency: str,
        path: str,
        *,
        body: dict[str, Any],
        redacted_body: dict[str, Any],
        idempotency_key: str,
    ) -> Exchange[dict[str, Any]]:
        """POST a message; 2xx -> Exchange with the parsed JSON answer, else raises."""
        exchange, _ = self._send(
            "POST",
            f"{self.base_url(agency)}{path}",
            body=body,
            stored_body=json.dumps(redacted_body, ensure_ascii=False, sort_keys=True),
            headers={"Idempotency-Key": idempotency_key},
            missing_ok=False,
        )
        return exchange

    def get_json(
        self, agency: str, path: str, *, missing_ok: bool = False
    ) -> tuple[Exchange[dict[str, Any]], bool]:
        """GET; returns (exchange, found). With missing_ok a 404 is (exchange, False)."""
        return self._send(
            "GET",
            f"{self.base_url(agency)}{path}",
            body=None,
            stored_body="",
            headers={},
            missing_ok=missing_ok,
        )

    def _send(
        self,
        method: str,
        url: str,
        *,
        body: dict[str, Any] | None,
        stored_body: str,
        headers: dict[str, str],
        missing_ok: bool,
    ) -> tuple[Exchange[dict[str, Any]], bool]:
        client = self.client or shared_client()
        base = Exchange[dict[str, Any]](method=method, url=url, request_body=stored_body)
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            response = client.request(
                method, url, json=body, headers=headers, timeout=self._timeout()
            )
        except httpx.ConnectTimeout as exc:
            failed = replace(base, duration_ms=elapsed(), error=f"connect_timeout: {exc}")
            raise TransientError("connect timeout", exchange=failed, maybe_delivered=False) from exc
        except httpx.ConnectError as exc:
            failed = replace(base, duration_ms=elapsed(), error=f"connect_error: {exc}")
            raise TransientError("connect error", exchange=failed, maybe_delivered=False) from exc
        except httpx.PoolTimeout as exc:
            failed = replace(base, duration_ms=elapsed(), error=f"pool_timeout: {exc}")
            raise TransientError("pool timeout", exchange=failed, maybe_delivered=False) from exc
        except httpx.TimeoutException as exc:
            failed = replace(base, duration_ms=elapsed(), error=f"timeout: {exc!r}")
            raise TransientError("read timeout", exchange=failed) from exc
        except httpx.TransportError as exc:
            # Dropped connection / protocol error: the agency may have processed the request.
            failed = replace(base, duration_ms=elapsed(), error=f"protocol_error: {exc!r}")
            raise TransientError("connection dropped", exchange=failed) from exc

        text = mask_rrn_text(response.text)[:RESPONSE_BODY_LIMIT]
        done = replace(
            base, status_code=response.status_code, response_body=text, duration_ms=elapsed()
        )
        status = response.status_code
        if status == 429 or status >= 500:
            failed = replace(done, error=f"http_{status}")
            raise TransientError(f"HTTP {status}", exchange=failed, maybe_delivered=status >= 500)
        payload = _json_or_none(response)
        if status == 404 and missing_ok:
            return replace(done, value=payload or {}), False
        if status >= 400:
            data = payload or {}
            code = str(data.get("code") or f"HTTP{status}")
            message = str(data.get("message") or response.reason_phrase or "")
            failed = replace(done, error=f"http_{status}: {code}")
            raise PermanentError(code, message, field=str(data.get("field") or ""), exchange=failed)
        if payload is None:
            failed = replace(done, error="unparseable_response")
            raise TransientError("unparseable response", exchange=failed)
        return replace(done, value=payload), True


def _json_or_none(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
