"""Counters of every API request the simulator answered, so tests can assert "exactly one upstream call".

Each request is recorded once, after its response is known, as (method, path template, concrete
path, status, kind). `kind` is "token" for `POST /oauth2/token/` and otherwise the resource the path
names ("users", "heat-pumps", "electric-vehicles", "inverters", "cues"). Control endpoints under
`_sim/` are never counted.

For load tests, resource requests are also counted per second of their arrival (before any added
latency: what a rate limit on the caller's side bounds) and per Podero user id in the path; both come
with `snapshot(detail=True)` (`GET /_sim/stats?detail=1`).

    stats.reset()
    ...
    assert stats.count(method="GET", path_contains="/electric-vehicles") == 1
    assert stats.count(kind="token") == 1
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, NamedTuple

TOKEN = "token"


class Call(NamedTuple):
    method: str
    template: str  # e.g. "/org/{org}/users/{user}/electric-vehicles"
    path: str  # the concrete request path
    status: int
    kind: str


_lock = threading.Lock()
_calls: Counter[Call] = Counter()
_by_second: Counter[int] = Counter()  # epoch second of arrival -> resource requests
_by_user: Counter[str] = Counter()  # Podero user id in the path -> resource requests
KEEP_SECONDS = 2 * 60 * 60  # per-second counts older than this are dropped


def record(*, method: str, template: str, path: str, status: int, kind: str, arrived_at: float | None = None,
           user: str | None = None) -> None:
    with _lock:
        _calls[Call(method, template, path, status, kind)] += 1
        if kind == TOKEN:
            return
        second = int(time.time() if arrived_at is None else arrived_at)
        if second not in _by_second and len(_by_second) >= KEEP_SECONDS:  # a new second: drop the oldest
            for old in [s for s in _by_second if s <= second - KEEP_SECONDS]:
                del _by_second[old]
        _by_second[second] += 1
        if user:
            _by_user[user] += 1


def reset() -> None:
    with _lock:
        _calls.clear()
        _by_second.clear()
        _by_user.clear()


def count(
    method: str | None = None,
    path_contains: str | None = None,
    kind: str | None = None,
    status: int | None = None,
) -> int:
    """How many requests match every given filter.

    `kind=None` counts resource requests only (token requests are counted apart: `kind="token"`);
    `kind="all"` counts both. `path_contains` matches the concrete path or the template.
    """
    with _lock:
        items = list(_calls.items())
    return sum(n for call, n in items if _matches(call, method, path_contains, kind, status))


def snapshot(*, detail: bool = False) -> dict[str, Any]:
    """All counters as plain JSON-able dicts (also served by `GET /_sim/stats`). `detail` adds
    `by_second` ({epoch second: resource requests that arrived in it}) and `by_user` ({user id: n})."""
    with _lock:
        items = list(_calls.items())
        seconds = dict(_by_second) if detail else {}
        users = dict(_by_user) if detail else {}
    by_method: Counter[str] = Counter()
    by_path: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for call, n in items:
        by_kind[call.kind] += n
        if call.kind == TOKEN:
            continue
        by_method[call.method] += n
        by_path[f"{call.method} {call.template}"] += n
        by_status[str(call.status)] += n
    out: dict[str, Any] = {
        "total": sum(by_method.values()),
        "token_requests": by_kind[TOKEN],
        "by_method": dict(by_method),
        "by_path": dict(by_path),
        "by_status": dict(by_status),
        "by_kind": dict(by_kind),
    }
    if detail:
        out["by_second"] = {str(s): n for s, n in sorted(seconds.items())}
        out["by_user"] = users
    return out


def _matches(
    call: Call, method: str | None, path_contains: str | None, kind: str | None, status: int | None
) -> bool:
    if kind is None and call.kind == TOKEN:
        return False
    if kind not in (None, "all") and call.kind != kind:
        return False
    if method is not None and call.method != method.upper():
        return False
    if status is not None and call.status != status:
        return False
    return path_contains is None or path_contains in call.path or path_contains in call.template
