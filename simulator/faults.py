"""Fault injection for the simulator's API endpoints (never the `_sim/` control endpoints).

Each fault is switched on with a `*_rate` (share of matching requests, drawn from a seeded
`random.Random`, so runs repeat) or a `*_count` (the next N matching requests: deterministic for
tests). A `path` regex narrows every fault to the matching request paths. Without `path` the token
endpoint is left alone, so "fail the next request" means the next resource request, not the
client's token fetch; pass e.g. `path=r"oauth2/token"` to aim at the token endpoint.

    faults.configure(error_count=1, error_status=503)
    with faults.injected(timeout_count=1, timeout_s=0.2):
        ...
    faults.reset()

Faults, in the order a request meets them: `latency_ms` (every matching request), timeouts (sleep
`timeout_s`, then answer normally; `timeout_phase="after"` handles the request first, so a write is
applied and only its answer is late, `"drop"` never handles it), 429 with `Retry-After: retry_after`, 5xx (`error_status`, or
the cycle 500/502/503/504), expired tokens (each bearer token is refused once with 401, so the
client must renew), boost `internal_error` (409 on POST .../boost), and malformed 200 bodies
(`malformed="truncated"`: JSON cut in half; `"wrong_types"`: numbers as strings, booleans as "yes",
unknown enum values, random nulls). Sleeps wait on an event that `reset()` sets, so no test thread
is left hanging.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

ERROR_CYCLE = (500, 502, 503, 504)
MALFORMED_MODES = ("truncated", "wrong_types")
TIMEOUT_PHASES = ("before", "after", "drop")
TOKEN_PATH_RE = re.compile(r"oauth2/token")
_COUNTED = ("error", "timeout", "rate_limit", "expired_token", "malformed", "boost_error")


@dataclass
class FaultConfig:
    """The whole fault state; `GET /_sim/faults` shows it as JSON."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_count: int = 0
    error_status: int | None = None  # None: cycle through ERROR_CYCLE
    timeout_rate: float = 0.0
    timeout_count: int = 0
    timeout_s: float = 30.0  # longer than any sane client read timeout
    # When the stall happens: "before" the request is handled (it is handled late, after the sleep),
    # "after" it was handled (a write is applied, its answer never arrives in time), or "drop" (the
    # request is never handled: a write is not applied).
    timeout_phase: str = "before"
    rate_limit_rate: float = 0.0
    rate_limit_count: int = 0
    retry_after: int = 2
    expired_token_rate: float = 0.0
    expired_token_count: int = 0
    malformed: str | None = None
    malformed_rate: float = 0.0
    malformed_count: int = 0
    boost_error_rate: float = 0.0
    boost_error_count: int = 0
    path: str | None = None
    seed: int = 1234
    _counters: dict[str, int] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Plan:
    """What the faults decided for one request (drawn once, applied outside the lock)."""

    latency_s: float = 0.0
    timeout_s: float = 0.0
    timeout_phase: str = "before"
    status: int | None = None  # 429 or 5xx: answer this instead of calling the view
    retry_after: int = 0
    malformed: str | None = None
    boost_error: bool = False
    matched: bool = False


_lock = threading.RLock()
_config = FaultConfig()
_rng = random.Random(_config.seed)  # noqa: S311 - reproducible fault draws, not security
_rejected_tokens: set[str] = set()
_wake = threading.Condition(threading.Lock())
_generation = 0  # bumped by reset()/leaving injected(): wakes every fault sleep
_error_cycle_pos = 0


def configure(**kw: Any) -> FaultConfig:
    """Change the named faults, keeping the others. Unknown names raise TypeError."""
    global _config, _rng
    names = {f.name for f in fields(FaultConfig) if not f.name.startswith("_")}
    unknown = set(kw) - names
    if unknown:
        raise TypeError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
    if kw.get("malformed") not in (None, *MALFORMED_MODES):
        raise ValueError(f"malformed must be one of {MALFORMED_MODES} or None")
    if kw.get("malformed") and "malformed_rate" not in kw and "malformed_count" not in kw:
        kw["malformed_rate"] = 1.0  # naming a mode alone means "every matching response"
    if kw.get("path") is not None:
        re.compile(kw["path"])
    if kw.get("timeout_phase", "before") not in TIMEOUT_PHASES:
        raise ValueError(f"timeout_phase must be one of {TIMEOUT_PHASES}")
    with _lock:
        _config = replace(_config, **kw)
        if "seed" in kw:
            _rng = random.Random(_config.seed)  # noqa: S311
        return _config


def reset() -> None:
    """Switch every fault off, forget refused tokens and wake any request sleeping in a fault."""
    global _config, _rng, _error_cycle_pos
    with _lock:
        _interrupt_sleepers()
        _config = FaultConfig()
        _rng = random.Random(_config.seed)  # noqa: S311
        _rejected_tokens.clear()
        _error_cycle_pos = 0


@contextmanager
def injected(**kw: Any) -> Iterator[FaultConfig]:
    """Apply faults for a `with` block, then restore the previous configuration."""
    global _config
    with _lock:
        previous = replace(_config)
    try:
        yield configure(**kw)
    finally:
        with _lock:
            _interrupt_sleepers()
            _config = previous


def current() -> dict[str, Any]:
    with _lock:
        data = asdict(_config)
    data.pop("_counters", None)
    return data


def is_active() -> bool:
    with _lock:
        c = _config
        return bool(c.latency_ms or c.malformed or any(_rate(c, n) or _count(c, n) for n in _COUNTED))


# --- Decisions (called by simulator.http) -----------------------------------------------------
def plan(*, method: str, path: str) -> Plan:
    """Draw this request's faults. Counts are consumed here, under the lock."""
    with _lock:
        c = _config
        if not _matches(c, path):
            return Plan()
        timeout = _draw(c, "timeout")
        status: int | None = None
        if _draw(c, "rate_limit"):
            status = 429
        elif _draw(c, "error"):
            status = c.error_status or _next_error_status()
        boost_error = method == "POST" and path.rstrip("/").endswith("/boost") and _draw(c, "boost_error")
        malformed = c.malformed if c.malformed and status is None and _draw(c, "malformed") else None
        return Plan(
            latency_s=c.latency_ms / 1000,
            timeout_s=c.timeout_s if timeout else 0.0,
            timeout_phase=c.timeout_phase,
            status=status,
            retry_after=c.retry_after,
            malformed=malformed,
            boost_error=boost_error,
            matched=True,
        )


def reject_token(token: str, *, path: str) -> bool:
    """True if this bearer token must be refused as expired (each token at most once)."""
    with _lock:
        c = _config
        if token in _rejected_tokens or not _matches(c, path):
            return False
        if _draw(c, "expired_token"):
            _rejected_tokens.add(token)
            return True
        return False


def sleep(seconds: float) -> None:
    """Sleep that `reset()` (or leaving `injected`) interrupts."""
    if seconds <= 0:
        return
    with _wake:
        started = _generation
        _wake.wait_for(lambda: _generation != started, timeout=seconds)


def _interrupt_sleepers() -> None:
    global _generation
    with _wake:
        _generation += 1
        _wake.notify_all()


def corrupt(body: bytes, mode: str) -> bytes:
    """Turn a JSON body into the chosen kind of malformed body."""
    if mode == "truncated":
        return body[: max(1, len(body) // 2)]
    with _lock:
        rng = random.Random(_rng.random())  # noqa: S311 - one draw from the seeded stream
    return json.dumps(_wrong_types(json.loads(body), rng)).encode()


# --- Internals --------------------------------------------------------------------------------
def _matches(c: FaultConfig, path: str) -> bool:
    if c.path is None:
        return not TOKEN_PATH_RE.search(path)
    return re.search(c.path, path) is not None


def _rate(c: FaultConfig, name: str) -> float:
    return float(getattr(c, f"{name}_rate"))


def _count(c: FaultConfig, name: str) -> int:
    return int(getattr(c, f"{name}_count"))


def _draw(c: FaultConfig, name: str) -> bool:
    count = _count(c, name)
    if count > 0:
        setattr(c, f"{name}_count", count - 1)
        return True
    rate = _rate(c, name)
    return rate > 0 and _rng.random() < rate


def _next_error_status() -> int:
    global _error_cycle_pos
    status = ERROR_CYCLE[_error_cycle_pos % len(ERROR_CYCLE)]
    _error_cycle_pos += 1
    return status


_KEEP_AS_IS = frozenset({"id"})  # an unparseable id would only test the client's id handling


def _wrong_types(value: Any, rng: random.Random, key: str | None = None) -> Any:
    """Numbers become strings, booleans "yes"/"no", enum-like strings unknown values, some values null."""
    if key in _KEEP_AS_IS:
        return value
    if isinstance(value, dict):
        return {k: _wrong_types(v, rng, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrong_types(v, rng) for v in value]
    if rng.random() < 0.15:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if (
        isinstance(value, str)
        and key
        and (key.endswith(("_status", "_state", "_mode", "_level")) or key == "price_zone")
    ):
        return "mystery_value"
    return value
