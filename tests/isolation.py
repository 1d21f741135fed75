"""The suite touches only keys of its own, whatever Redis it is pointed at.

Every cache of the test settings gets a key prefix of this run (`RUN_PREFIX`: the process id and a
random part), and clearing a cache between tests deletes only the keys under that prefix (SCAN by
pattern, then DEL). Django's `cache.clear()` on django-redis is FLUSHDB: with REDIS_URL in the
environment it would empty a whole Redis database that may hold someone else's data.

Nor does the suite rewrite a file git tracks (a screenshot in docs/, a fixture): tests/conftest.py
hashes them when the run starts and fails the run if any changed by its end.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

RUN_PREFIX = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
_GLOB = str.maketrans({c: f"\\{c}" for c in "*?[]\\"})


def use_run_prefix() -> None:
    """Give every configured cache this run's key prefix, before anything has used a cache."""
    from django.conf import settings
    from django.test.signals import setting_changed

    for alias, config in settings.CACHES.items():
        config["KEY_PREFIX"] = RUN_PREFIX if alias == "default" else f"{RUN_PREFIX}-{alias}"
    # What override_settings does: close the cache connections, rebuild the handler from CACHES.
    setting_changed.send(sender=None, setting="CACHES", value=settings.CACHES, enter=True)
    from devices import budget

    budget.reset()  # the upstream budget's Redis keys carry the cache prefix too


def clear_own_keys(cache: Any = None) -> int:
    """Empty `cache` (default: the default cache) of this process's keys and nothing else.

    On Redis only keys under the cache's own prefix are deleted; a cache without a prefix is refused
    rather than flushed. A LocMemCache lives in this process and is cleared whole; any other backend
    (which may be shared) is refused.
    Returns the number of Redis keys deleted.
    """
    from django.core.cache import caches
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache
    from django_redis.cache import RedisCache

    if cache is None:
        cache = caches["default"]  # the backend itself: `django.core.cache.cache` is only a proxy to it
    elif hasattr(cache, "_alias") and hasattr(cache, "_connections"):
        cache = cache._connections[cache._alias]  # that proxy, passed in: resolve it the same way
    if isinstance(cache, LocMemCache | DummyCache):
        cache.clear()
        return 0
    if not isinstance(cache, RedisCache):
        raise RuntimeError(f"refusing to clear a {type(cache).__name__}: it may be shared, and only "
                           "this run's keys may be deleted")
    prefix = cache.key_prefix
    if not prefix:
        raise RuntimeError("refusing to clear a Redis cache without a KEY_PREFIX: that would be FLUSHDB")
    local = getattr(cache, "_local", None)  # FallbackRedisCache's per-process store while Redis is down
    if local is not None:
        local.clear()
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    deleted = 0
    try:
        client = cache.client.get_client(write=True)
        batch: list[bytes] = []
        for key in client.scan_iter(match=prefix.translate(_GLOB) + ":*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += client.delete(*batch)
                batch.clear()
        if batch:
            deleted += client.delete(*batch)
    except (RedisConnectionError, RedisTimeoutError, OSError):
        return deleted  # a Redis that is not there (the outage tests) holds nothing of ours to delete
    return deleted


# --- No tracked file is rewritten -------------------------------------------------------------------
def tracked_snapshot(root: Path) -> dict[str, str] | None:
    """A content hash of every file git tracks under `root` (None outside a git checkout)."""
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, timeout=30,
                                check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    snapshot: dict[str, str] = {}
    for name in filter(None, listed.decode("utf-8", "surrogateescape").split("\0")):
        path = root / name
        try:
            snapshot[name] = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            snapshot[name] = "absent"  # deleted in the work tree, or a submodule
    return snapshot


def changed_files(before: dict[str, str] | None, after: dict[str, str] | None) -> list[str]:
    """The tracked files whose content differs between two snapshots."""
    if before is None or after is None:
        return []
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
