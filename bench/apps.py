"""The bench app (only in bench.settings): with BENCH_TASK_LOG=1, every Celery task a worker runs is
noted in Redis, so bench/scale.py can time each periodic job from its dispatch to its last chunk.

One JSON line per finished task is appended to the list `<DJANGO_CACHE_PREFIX>:tasklog`:
{"name", "id", "parent", "start", "end" (epoch s), "n" (homeowners in a chunk), "result", "state"};
a chunk dropped unrun because it waited past its `expires` is noted with state "EXPIRED".
Celery sets `parent` on the chunks a dispatcher enqueues, which is how a run is put together.

With BENCH_BUDGET_LOG=1 every slot the upstream budget grants (devices.budget.acquire returning) is
counted per epoch second in the hash `<DJANGO_CACHE_PREFIX>:budget-admitted` (field: the second), so
the run can put what the budget admitted beside what the simulator saw arrive.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from django.apps import AppConfig

_started: dict[str, float] = {}


class BenchConfig(AppConfig):
    name = "bench"
    label = "bench"

    def ready(self) -> None:
        if os.environ.get("BENCH_BUDGET_LOG") == "1":
            _count_admissions()
        if os.environ.get("BENCH_TASK_LOG") != "1":
            return
        from celery.signals import task_postrun, task_prerun, task_revoked

        task_prerun.connect(_prerun, weak=False)
        task_postrun.connect(_postrun, weak=False)
        task_revoked.connect(_revoked, weak=False)


def _count_admissions() -> None:
    from django.conf import settings

    from devices import budget

    acquire = budget.acquire
    key = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:budget-admitted"

    def counted() -> None:
        acquire()  # raises BudgetExhausted when no slot came: not counted
        _redis().hincrby(key, str(int(time.time())), 1)

    budget.acquire = counted


def _redis() -> Any:
    import redis
    from django.conf import settings

    client = getattr(_redis, "client", None)
    if client is None:
        client = _redis.client = redis.Redis.from_url(settings.REDIS_URL)
    return client


def _prerun(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.time()


def _postrun(task_id: str | None = None, task: Any = None, args: Any = None, retval: Any = None,
             state: str | None = None, **_: Any) -> None:
    if not task_id:
        return
    first = args[0] if args else None
    line = {"name": getattr(task, "name", "?"), "id": task_id,
            "parent": getattr(getattr(task, "request", None), "parent_id", None),
            "start": _started.pop(task_id, None), "end": time.time(),
            "n": len(first) if isinstance(first, list) else None,
            "result": retval if isinstance(retval, int | float | bool | None) else repr(retval)[:200],
            "state": state}
    _push(line)


def _revoked(request: Any = None, expired: bool = False, **_: Any) -> None:
    """A chunk that waited past its `expires` is dropped unrun: noted too, so a run can be told complete."""
    if request is None:
        return
    now = time.time()
    _push({"name": getattr(request, "task", "?"), "id": getattr(request, "id", None),
           "parent": getattr(request, "parent_id", None), "start": None, "end": now, "n": None,
           "result": None, "state": "EXPIRED" if expired else "REVOKED"})


def _push(line: dict[str, Any]) -> None:
    from django.conf import settings

    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    _redis().rpush(f"{prefix}:tasklog", json.dumps(line))
