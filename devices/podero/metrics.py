"""Call counters: in-process for tests and benchmarks, per minute in the shared cache for the health page."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache

from .constants import METRICS_BUCKET_S, METRICS_KEEP_S

log = logging.getLogger("devices.podero")

@dataclass(frozen=True, slots=True)
class CallRecord:
    method: str
    path: str
    status: int  # 0 = no HTTP answer
    duration_ms: float


class _LocalStats:
    """In-process counters; `calls` counts HTTP requests sent, retries included."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.history: list[CallRecord] = []

    def record(self, rec: CallRecord) -> None:
        with self._lock:
            self.calls[rec.method] += 1
            self.calls["total"] += 1
            self.history.append(rec)
            del self.history[:-1000]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.history.clear()


local_stats = _LocalStats()


def _bucket(ts: float) -> int:
    return int(ts // METRICS_BUCKET_S)


def _record_metrics(rec: CallRecord) -> None:
    """Per-minute shared counters in the cache: calls, errors, total latency."""
    local_stats.record(rec)
    b = _bucket(time.time())
    failed = rec.status == 0 or rec.status >= 500 or rec.status == 429
    for name, amount in (("calls", 1), ("errors", 1 if failed else 0), ("ms", int(rec.duration_ms))):
        if not amount:
            continue
        key = f"podero:metrics:v1:{b}:{name}"
        try:
            if not cache.add(key, amount, METRICS_KEEP_S):
                cache.incr(key, amount)
        except ValueError:  # expired between add and incr
            cache.set(key, amount, METRICS_KEEP_S)


def metrics_last_hour() -> dict[str, float]:
    """Calls, error rate and mean latency over the last 60 minutes, from the shared counters."""
    now_b = _bucket(time.time())
    keys = [f"podero:metrics:v1:{b}:{n}" for b in range(now_b - 59, now_b + 1) for n in ("calls", "errors", "ms")]
    values = cache.get_many(keys)
    total = {n: sum(v for k, v in values.items() if k.endswith(":" + n)) for n in ("calls", "errors", "ms")}
    calls = total["calls"]
    return {
        "calls": calls,
        "errors": total["errors"],
        "error_rate": (total["errors"] / calls) if calls else 0.0,
        "mean_latency_ms": (total["ms"] / calls) if calls else 0.0,
    }

