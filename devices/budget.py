"""One upstream budget: at most PODERO_MAX_RPS calls per second to Podero from all our processes.

Shared through Redis with the `limits` library (a moving window, so no burst at a window's edge can
pass the budget); an in-process store without Redis. Homeowner-facing calls (reads and writes made for a
page) take from the whole budget and wait briefly for a slot. Background jobs (warming, attention,
snapshots) also need a slot in their own share, BACKGROUND_SHARE of the budget, so a full background
run can never crowd out homeowners; when there is none they wait a little, then skip (counted, shown
on the admin's health page). A store that cannot be reached fails open with one log line.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from limits import RateLimitItemPerSecond, storage, strategies

log = logging.getLogger("devices.budget")

BACKGROUND_SHARE = 0.6
FOREGROUND_WAIT_S = 2.0  # a page waits at most this long for a slot, then shows last-known data
BACKGROUND_WAIT_S = 0.5
SKIPPED_KEY = "podero:budget:v1:skipped:{bucket}"  # per-minute count of background calls skipped

_background: contextvars.ContextVar[bool] = contextvars.ContextVar("podero_background", default=False)
_lock = threading.Lock()
_limiter: strategies.RateLimiter | None = None
_store_down_logged = False


class BudgetExhausted(Exception):
    """No slot in the upstream budget in time."""


@contextmanager
def background() -> Iterator[None]:
    """Calls made inside are background work: they use the background share and skip when it is full."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def is_background() -> bool:
    return _background.get()


def _get() -> strategies.RateLimiter:
    global _limiter
    if _limiter is None:
        with _lock:
            if _limiter is None:
                url = getattr(settings, "REDIS_URL", "")
                store = (storage.RedisStorage(url, key_prefix=f"{settings.CACHES['default'].get('KEY_PREFIX', '')}"
                                              ":podero-budget", socket_connect_timeout=1, socket_timeout=1)
                         if url else storage.MemoryStorage())
                _limiter = strategies.MovingWindowRateLimiter(store)
    return _limiter


def reset() -> None:
    """Forget the limiter (tests and settings changes build a new one)."""
    global _limiter
    with _lock:
        _limiter = None


def _items() -> tuple[RateLimitItemPerSecond, RateLimitItemPerSecond]:
    rps = max(1, int(getattr(settings, "PODERO_MAX_RPS", 20)))
    return RateLimitItemPerSecond(rps), RateLimitItemPerSecond(max(1, int(rps * BACKGROUND_SHARE)))


def acquire() -> None:
    """Take one slot for the call about to be made; raises BudgetExhausted when none comes in time."""
    global _store_down_logged
    total, share = _items()
    bg = is_background()
    deadline = time.monotonic() + (BACKGROUND_WAIT_S if bg else FOREGROUND_WAIT_S)
    delay = 0.02
    while True:
        try:
            limiter = _get()
            if bg and not limiter.test(share, "background"):
                ok = False
            else:
                ok = limiter.hit(total, "all") and (not bg or limiter.hit(share, "background"))
            _store_down_logged = False
        except Exception as exc:  # noqa: BLE001 - the store is down: fail open, say so once
            if not _store_down_logged:
                log.warning("budget_store_unavailable fail_open", extra={"error": type(exc).__name__})
                _store_down_logged = True
            return
        if ok:
            return
        if time.monotonic() + delay > deadline:
            if bg:
                _count_skip()
            raise BudgetExhausted("upstream budget exhausted")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)


def _count_skip() -> None:
    key = SKIPPED_KEY.format(bucket=int(time.time() // 60))
    if not cache.add(key, 1, 2 * 60 * 60):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, 2 * 60 * 60)


def skipped_last_hour() -> int:
    now = int(time.time() // 60)
    found = cache.get_many([SKIPPED_KEY.format(bucket=b) for b in range(now - 59, now + 1)])
    return sum(int(v) for v in found.values() if isinstance(v, int))
