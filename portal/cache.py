"""Redis on the API's hot path: Django's cache reusing its clients, and bare round trips.

Django builds a new `redis.Redis` for every cache call; redis-py 8 fills a ~170-entry callback
table in each constructor (~0.25 ms of CPU), which the API's rate limit pays twice per request.
A client holds no per-call state and is thread-safe, so one per pool is enough.

`redis_round_trip` sends a few commands on the thread's own connection and reads their
replies, without redis-py's per-command layers (retry wrapper, event dispatch, response
callbacks, pipeline object, pool checkout): with hiredis, 36 instead of ~120 us of CPU for the
rate limit's three commands.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _Connections(threading.local):
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.by_pool: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


_connections = _Connections()


def _connection(pool: redis.ConnectionPool) -> Any:
    # This thread's own connection to the pool's server: no pool lock, no liveness poll on
    # every checkout. A forked child opens its own.
    if _connections.pid != os.getpid():
        _connections.pid, _connections.by_pool = os.getpid(), weakref.WeakKeyDictionary()
    conn = _connections.by_pool.get(pool)
    if conn is None:
        conn = _connections.by_pool[pool] = pool.connection_class(**pool.connection_kwargs)
    return conn


def redis_round_trip(client: redis.Redis, *commands: tuple[Any, ...]) -> list[Any]:
    """The raw replies (bytes, int or None) of `commands`, sent together in one round trip.

    A dropped connection is retried once on a fresh one, as redis-py retries it; any other
    failure closes the connection, which may still hold unread replies.
    """
    conn = _connection(client.connection_pool)
    for attempt in (1, 2):
        try:
            conn.send_packed_command(conn.pack_commands(commands))
            return [conn.read_response() for _ in commands]
        except (redis.ConnectionError, redis.TimeoutError):
            conn.disconnect()
            if attempt == 2:
                raise
        except BaseException:
            conn.disconnect()
            raise
    raise AssertionError("unreachable")


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._client(connection_pool=self._pools[index])
            self._clients[index] = client
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient
