"""Django's Redis cache, forgiving Redis being away.

The cache holds nothing that is not also elsewhere (sessions are `cached_db`: the database
has them), so while Redis is down a read is a miss and a write is skipped, logged once a
minute, instead of a 500 on every page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)
T = TypeVar("T")
_LOG_EVERY_SECONDS = 60.0
_last_logged = 0.0


def _forgive(call: Callable[[], T], fallback: T) -> T:
    global _last_logged
    try:
        return call()
    except redis.RedisError:
        now = time.monotonic()
        if now - _last_logged > _LOG_EVERY_SECONDS:
            _last_logged = now
            logger.warning("cache skipped: Redis unavailable", exc_info=True)
        return fallback


class ForgivingRedisCache(RedisCache):
    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return _forgive(
            lambda: super(ForgivingRedisCache, self).add(key, value, timeout, version), False
        )

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return _forgive(
            lambda: super(ForgivingRedisCache, self).get(key, default, version), default
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        _forgive(lambda: super(ForgivingRedisCache, self).set(key, value, timeout, version), None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return _forgive(
            lambda: super(ForgivingRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key: Any, version: Any = None) -> bool:
        return _forgive(lambda: super(ForgivingRedisCache, self).delete(key, version), False)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return _forgive(lambda: super(ForgivingRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: Any = None) -> bool:
        return _forgive(lambda: super(ForgivingRedisCache, self).has_key(key, version), False)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return _forgive(
            lambda: super(ForgivingRedisCache, self).set_many(data, timeout, version), list(data)
        )

    def delete_many(self, keys: Any, version: Any = None) -> None:
        _forgive(lambda: super(ForgivingRedisCache, self).delete_many(keys, version), None)
