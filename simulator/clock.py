"""The simulator's clock: real UTC time, or a frozen instant that tests set and advance.

Every reading the simulator serves is a pure function of stored facts and `now()`, so freezing the
clock makes payloads reproducible and advancing it replaces real sleeps (a 5 s boost delay becomes
`advance(seconds=5)`). The override is module-level, not thread-local, on purpose: pytest-django's
live_server answers requests from another thread of the same process and must see the same time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_frozen_at: datetime | None = None


def now() -> datetime:
    """The current instant as an aware UTC datetime (the frozen one while frozen)."""
    frozen = _frozen_at
    return frozen if frozen is not None else datetime.now(UTC)


def is_frozen() -> bool:
    return _frozen_at is not None


def freeze(dt: datetime | None = None) -> datetime:
    """Stop the clock at `dt` (default: the current instant). Naive datetimes are taken as UTC."""
    global _frozen_at
    at = dt or datetime.now(UTC)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    with _lock:
        _frozen_at = at
    return at


def unfreeze() -> None:
    """Let the clock run with real time again."""
    global _frozen_at
    with _lock:
        _frozen_at = None


def advance(delta: timedelta | None = None, **kwargs: float) -> datetime:
    """Move a frozen clock forward by `delta` or by timedelta keywords (`advance(seconds=5)`)."""
    global _frozen_at
    step = delta or timedelta(**kwargs)
    with _lock:
        if _frozen_at is None:
            raise RuntimeError("advance() needs a frozen clock; call freeze() first")
        _frozen_at = _frozen_at + step
        return _frozen_at


@contextmanager
def frozen(dt: datetime | None = None) -> Iterator[datetime]:
    """Freeze the clock for a `with` block, restoring whatever was there before."""
    previous = _frozen_at
    at = freeze(dt)
    try:
        yield at
    finally:
        if previous is None:
            unfreeze()
        else:
            freeze(previous)


def iso(dt: datetime | None) -> str | None:
    """Podero's timestamp format: ISO-8601 in UTC with a `Z`, whole seconds."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str | None) -> datetime | None:
    """Inverse of `iso` (accepts any ISO-8601 form Python reads; naive means UTC)."""
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def floor_5min(dt: datetime) -> datetime:
    """Device state refreshes on a 5-minute grid (the docs say every 5–15 min)."""
    return dt.replace(minute=dt.minute - dt.minute % 5, second=0, microsecond=0)
