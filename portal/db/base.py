"""Django's PostgreSQL backend, with a connection health check that needs no round trip.

With CONN_HEALTH_CHECKS Django asks a persistent connection `SELECT 1` at the start of every
request before using it: a round trip and ~0.1 ms of CPU on each side, on every API call.
An idle connection, though, receives nothing from the server unless the server is saying
goodbye (its FATAL message on a shutdown, restart or pg_terminate_backend, then the socket's
close) or, rarely, reporting a changed setting. So: nothing to read means usable; anything to
read, or a connection not idle, gets Django's own `SELECT 1`.

A peer that vanished without closing the socket looks usable here, as it does to `SELECT 1`
until the TCP timeout: the first query then fails, and Django closes the connection at the end
of that request.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg2.extensions import TRANSACTION_STATUS_IDLE


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        raw = self.connection
        if raw is None or raw.closed:
            return False
        if raw.get_transaction_status() != TRANSACTION_STATUS_IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([raw.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable or super().is_usable()
