"""The cache envelope and single-flight: the one mechanism every upstream read goes through.

An entry is `{"fetched_at": epoch seconds, "items": the upstream payload, "digest": its content hash}`
(plus `"invalidated": True` after a write, and what an `annotate` hook adds). Callers decide what is fresh enough (`max_age`); this module guarantees:
* however many requests, tabs or workers want the same missing key, one upstream call is made for it
  (a short cache lock; waiters read the holder's result);
* a failure is remembered for a few seconds (`:error`, no storm on an outage) and until the next
  success (`:failed`, so stale data is shown with the reason it is stale);
* last-known data is kept `keep_for`, so an outage still shows something;
* a write that invalidated a key while a GET was in flight is not hidden by that GET's result.
Imports: Django's cache and `errors` only; never the reads or writes built on it.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from .. import podero
from ..podero import PoderoError
from .errors import LinkLike, RecentFailure, describe_failure_source

FRESH_FOR = 30  # seconds; the guide's stale time for device lists, and the page's poll interval
KEEP_FOR = 24 * 60 * 60  # last-known data survives a day-long outage
LOCK_TTL = 45  # longer than the client's worst case (3 tries x (3.05 s + 8 s) + backoff), so a lock never
# expires under a slow holder and lets a second upstream call through
WAIT_FOR_LOCK = 15.0  # how long a waiter reads the cache for the lock holder's result
ERROR_MEMO_S = 5  # after a failed fetch, don't ask again for a few seconds (no storm on an outage)
KEY = "devices:v1:{org}:{user}:{kind}"


@dataclass(frozen=True, slots=True)
class Ids:
    """A homeowner's ids, normalised; every cache key of theirs starts with them."""

    org: str
    user: str

    @classmethod
    def of(cls, link: LinkLike | Ids) -> Ids:
        if isinstance(link, Ids):
            return link
        return cls(org=str(uuid.UUID(str(link.org_id))), user=str(uuid.UUID(str(link.podero_user_id))))

    def key(self, kind: str) -> str:
        """The key of a device list ("heat-pumps") or, with more parts, of anything else of theirs."""
        return KEY.format(org=self.org, user=self.user, kind=kind)


def read_entry(key: str) -> dict[str, Any] | None:
    entry = cache.get(key)
    return entry if isinstance(entry, dict) and "items" in entry and "fetched_at" in entry else None


def as_entry(value: Any) -> dict[str, Any] | None:
    """`value` (from a cache.get_many) when it is an entry, else None."""
    return value if isinstance(value, dict) and "items" in value and "fetched_at" in value else None


def usable(entry: dict[str, Any] | None, max_age: float) -> bool:
    return entry is not None and not entry.get("invalidated") and time.time() - entry["fetched_at"] < max_age


def age_of(entry: dict[str, Any] | None) -> float | None:
    return None if entry is None else max(0.0, time.time() - entry["fetched_at"])


def digest(items: Any) -> str:
    """A short content hash of a payload: the same data gives the same digest, whenever it was fetched
    (what a poll compares to answer 204 when nothing changed)."""
    text = json.dumps(items, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8", "backslashreplace"), digest_size=8).hexdigest()


def fetch_once(key: str, fetch: Callable[[], Any], *, max_age: float = FRESH_FOR, keep_for: float = KEEP_FOR,
               error_memo_s: float = ERROR_MEMO_S,
               annotate: Callable[[Any, dict[str, Any] | None], dict[str, Any]] | None = None,
               _turns: int = 2) -> dict[str, Any]:
    """Call `fetch()` for `key`, one caller at a time. Returns the newest entry, or raises PoderoError.

    The caller that takes the lock makes the one upstream call; the others poll the cache for its
    result. An entry younger than `max_age` (and not invalidated) that appears meanwhile is the
    answer: a caller that saw the key missing a moment ago, but takes the lock after the holder
    released it, must not call again.
    """
    lock_key, err_key = key + ":lock", key + ":error"
    started = time.time()

    memo = cache.get(err_key)
    if memo:
        raise RecentFailure(memo)
    token = uuid.uuid4().hex
    if cache.add(lock_key, token, LOCK_TTL):
        try:
            current = read_entry(key)  # double-check under the lock: the previous holder may have stored it
            if usable(current, max_age):
                return current
            fetch_started = time.time()
            try:
                items = fetch()
            except PoderoError as exc:
                description = describe_failure_source(exc)  # English: translated when read
                cache.set(err_key, description, error_memo_s)
                cache.set(key + ":failed", description, keep_for)
                raise
            entry: dict[str, Any] = {"fetched_at": time.time(), "items": items, "digest": digest(items)}
            if annotate is not None:  # e.g. when the next sync can be expected (reads._sync_schedule)
                entry.update(annotate(items, current))
            # A write that invalidated this key while our call was in flight may not be in `items`:
            # keep them as last-known data, but let the next read fetch again.
            invalidated_at = cache.get(key + ":inv")
            if invalidated_at is not None and invalidated_at >= fetch_started:
                entry["invalidated"] = True
            cache.set(key, entry, keep_for)
            cache.delete(key + ":failed")
            return entry
        finally:
            if cache.get(lock_key) == token:
                cache.delete(lock_key)
    # Another request holds the lock: read its result instead of calling Podero ourselves.
    delay = 0.01
    while time.time() < started + WAIT_FOR_LOCK:
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)
        if usable(current := read_entry(key), max_age):
            return current
        if memo := cache.get(err_key):
            raise RecentFailure(memo)
        if cache.get(lock_key) is None:
            if usable(current := read_entry(key), max_age):
                return current
            if _turns > 0:  # the holder vanished without a result: take a turn ourselves
                return fetch_once(key, fetch, max_age=max_age, keep_for=keep_for, error_memo_s=error_memo_s,
                                  annotate=annotate, _turns=_turns - 1)
            break
    raise podero.PoderoTimeout("timed out waiting for another request's Podero call")


def invalidate_key(key: str, *, keep_for: float = KEEP_FOR) -> None:
    """After a write: the next read fetches synchronously, but last-known data stays as a fallback."""
    # First the marker a call already in flight checks before its result counts as fresh, then the entry.
    cache.set(key + ":inv", time.time(), LOCK_TTL)
    entry = read_entry(key)
    if entry is not None:
        cache.set(key, {**entry, "invalidated": True}, keep_for)
    cache.delete(key + ":error")


def replace_items(key: str, transform: Callable[[Any], Any], *, keep_for: float = KEEP_FOR) -> None:
    """Rewrite a cached entry's payload in place (keeping its age), when there is one."""
    entry = read_entry(key)
    if entry is not None:
        items = transform(entry["items"])
        cache.set(key, {**entry, "items": items, "digest": digest(items)}, keep_for)
