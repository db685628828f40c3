from __future__ import annotations

from collections.abc import Iterator

import pytest

from agencies.sandbox import start_in_thread
from agencies.transport import Transport
from tests.agencies.helpers import Sandbox


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[str]:
    server, base_url = start_in_thread(result_delay=0)
    yield base_url
    server.shutdown()
    server.server_close()


@pytest.fixture
def sandbox(sandbox_server: str) -> Iterator[Sandbox]:
    handle = Sandbox(sandbox_server)
    handle.reset()
    yield handle
    handle.reset()
    handle.http.close()


@pytest.fixture
def transport(sandbox: Sandbox) -> Transport:
    return Transport.for_sandbox(sandbox.base_url, connect_timeout=1.0, read_timeout=1.0)
