"""The production cache: Redis, and while Redis cannot be reached, a per-process memory cache.

Everything shared between processes lives in the cache: the device lists, the single-flight locks, the
Podero token and circuit breaker, our write limit and allauth's login limits. django-redis's
IGNORE_EXCEPTIONS turns an outage into `None` answers, which break all of these in quiet ways: `add`
never succeeds (so every login is "too many attempts" and every single-flight waiter times out), `incr`
answers None (a TypeError in a limiter). Here an outage instead switches this process to a local
LocMemCache for `RETRY_AFTER_S`, with one warning line, then tries Redis again. Limits become
per-process for that time (they fail open rather than lock everyone out), reads still reach Podero
through the client, and nothing raises.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("dashboard.cache")

OUTAGE = (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)
RETRY_AFTER_S = 5.0  # while Redis is down, try it again this often (each try may cost the connect timeout)

# Methods the local fallback can answer (Django's cache API). The Redis-only extras answer a neutral value.
_BASIC = ("get", "set", "add", "delete", "get_many", "set_many", "delete_many", "incr", "decr", "has_key",
          "touch", "clear")
_REDIS_ONLY = {"keys": list, "iter_keys": lambda: iter(()), "delete_pattern": lambda: 0, "ttl": lambda: None,
               "expire": lambda: False, "persist": lambda: False, "zadd": lambda: 0, "zrem": lambda: 0,
               "zrangebyscore": list, "zremrangebyscore": lambda: 0, "zcard": lambda: 0}


class FallbackRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": {**params.get("OPTIONS", {}), "IGNORE_EXCEPTIONS": False}}
        super().__init__(server, params)
        # Django makes one cache object per thread: the fallback store and the outage state are shared by
        # every thread of the process (LocMemCache shares its storage by name).
        name = f"fallback:{server}:{self.key_prefix}"
        self._local = LocMemCache(name, {"OPTIONS": {"MAX_ENTRIES": 20000}})
        self._state = _STATES.setdefault(name, _Outage())

    @property
    def redis_down(self) -> bool:
        return time.monotonic() < self._state.down_until

    def _went_down(self, exc: BaseException) -> None:
        with self._state.lock:
            first = not self._state.down
            self._state.down = True
            self._state.down_until = time.monotonic() + RETRY_AFTER_S
        if first:
            log.warning("cache_unavailable fallback=local", extra={"error": type(exc).__name__,
                                                                   "retry_in_s": RETRY_AFTER_S})

    def _came_back(self) -> None:
        if self._state.down:
            with self._state.lock:
                was_down, self._state.down = self._state.down, False
            if was_down:
                log.warning("cache_recovered")


    def set_and_zadd(self, key: str, value: Any, timeout: int, zkey: str, mapping: dict[Any, float]) -> None:
        """A SET with expiry and a ZADD in one round trip (devices.services.activity notes every page and poll:
        a busy machine pays per round trip). While Redis is down: the SET goes to the local cache and the ZADD
        is dropped, as `set` and `zadd` one by one would do."""
        if not self.redis_down:
            try:
                pipe = self.client.get_client(write=True).pipeline(transaction=False)
                self.client.set(key, value, timeout=timeout, client=pipe)
                self.client.zadd(zkey, mapping, client=pipe)
                pipe.execute()
            except OUTAGE as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return
        self._local.set(key, value, timeout)


class _Outage:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down = False  # an outage is under way (logged once)
        self.down_until = 0.0  # monotonic time before which Redis is not tried again


_STATES: dict[str, _Outage] = {}


def _basic(name: str):
    redis_method = getattr(RedisCache, name)

    def method(self: FallbackRedisCache, *args: Any, **kwargs: Any) -> Any:
        if not self.redis_down:
            try:
                result = redis_method(self, *args, **kwargs)
            except OUTAGE as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return result
        kwargs.pop("client", None)
        return getattr(self._local, name)(*args, **kwargs)

    method.__name__ = name
    return method


def _redis_only(name: str, neutral):
    redis_method = getattr(RedisCache, name)

    def method(self: FallbackRedisCache, *args: Any, **kwargs: Any) -> Any:
        if not self.redis_down:
            try:
                result = redis_method(self, *args, **kwargs)
            except OUTAGE as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return result
        return neutral()

    method.__name__ = name
    return method


for _name in _BASIC:
    setattr(FallbackRedisCache, _name, _basic(_name))
for _name, _neutral in _REDIS_ONLY.items():
    setattr(FallbackRedisCache, _name, _redis_only(_name, _neutral))
