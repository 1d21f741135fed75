"""The one door the views use to reach Podero devices.

Reads are cached per (org, user, kind) in the Django cache (Redis in production):
* younger than FRESH_FOR: served as is;
* older: served at once and refreshed in the background (stale-while-revalidate);
* missing: the missing kinds are fetched in parallel, and however many requests, tabs or workers wait
  for the same key, one upstream GET is made for it (a short cache lock, waiters read the result);
* last-known data is kept KEEP_FOR, so an outage still shows something, marked stale with its age.
Writes look the device up in the homeowner's own list first (so a foreign id is a 404 before any call),
call the client, invalidate that user's key, and write the audit log.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.http import Http404

from . import podero
from .podero import KINDS, PoderoError
from .schemas import Device, ElectricVehicle, parse_device

log = logging.getLogger("devices.services")

FRESH_FOR = 30  # seconds; the guide's stale time for device lists, and the page's poll interval
KEEP_FOR = 24 * 60 * 60  # last-known data survives a day-long outage
LOCK_TTL = 20  # longer than the client's worst case (timeouts + retries), so a lock never outlives its work
WAIT_FOR_LOCK = 15.0  # how long a waiter reads the cache for the lock holder's result
ERROR_MEMO_S = 5  # after a failed fetch, don't ask again for a few seconds (no storm on an outage)
MIN_FORCE_INTERVAL = 5  # manual Refresh: a list younger than this is not fetched again
KEY = "devices:v1:{org}:{user}:{kind}"

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="podero-fetch")


class LinkLike(Protocol):
    org_id: Any
    podero_user_id: Any


class DeviceNotFound(Http404):
    """A device id that is not among the homeowner's own devices."""


@dataclass(frozen=True, slots=True)
class Ids:
    org: str
    user: str

    @classmethod
    def of(cls, link: LinkLike) -> Ids:
        return cls(org=str(uuid.UUID(str(link.org_id))), user=str(uuid.UUID(str(link.podero_user_id))))

    def key(self, kind: str) -> str:
        return KEY.format(org=self.org, user=self.user, kind=kind)


@dataclass
class KindResult:
    kind: str
    devices: list[Device] = field(default_factory=list)
    fetched_at: float | None = None  # epoch seconds of the data shown; None = never loaded
    error: str | None = None  # why fresh data could not be had, in plain words

    @property
    def age_s(self) -> float | None:
        return None if self.fetched_at is None else max(0.0, time.time() - self.fetched_at)


@dataclass
class DeviceOverview:
    kinds: dict[str, KindResult]

    @property
    def devices(self) -> list[Device]:
        return [d for kind in KINDS for d in self.kinds[kind].devices]

    @property
    def error(self) -> str | None:
        errors = [r.error for r in self.kinds.values() if r.error]
        return errors[0] if errors else None

    @property
    def stale(self) -> bool:
        """Some data shown is older than FRESH_FOR because Podero could not be reached."""
        return any(r.error and r.fetched_at is not None for r in self.kinds.values())

    @property
    def never_loaded(self) -> bool:
        return all(r.fetched_at is None for r in self.kinds.values())

    @property
    def fetched_at(self) -> datetime | None:
        stamps = [r.fetched_at for r in self.kinds.values() if r.fetched_at is not None]
        return datetime.fromtimestamp(min(stamps), UTC) if stamps else None

    @property
    def needs_attention(self) -> list[Device]:
        return [d for d in self.devices if d.needs_attention]


def describe_failure(exc: BaseException) -> str:
    """A short sentence for people; never str(exc)."""
    if isinstance(exc, podero.PoderoRateLimited | podero.PoderoCircuitOpen):
        return "Podero is busy; we'll try again in a moment."
    if isinstance(exc, podero.PoderoUnavailable):
        return "Podero is not reachable."
    if isinstance(exc, podero.PoderoAuthError):
        return "The connection to Podero is not authorised. Please contact support."
    if isinstance(exc, podero.PoderoBadResponse):
        return "Podero sent data we could not read."
    return "Podero could not answer this request."


# --- Cache entries -------------------------------------------------------------------------------
def _read(key: str) -> dict[str, Any] | None:
    entry = cache.get(key)
    return entry if isinstance(entry, dict) and "items" in entry else None


def _fetch_into_cache(ids: Ids, kind: str, *, _turns: int = 2) -> dict[str, Any]:
    """Fetch one kind, one caller at a time per key. Returns the newest entry, or raises PoderoError.

    The caller that takes the lock makes the one upstream GET; the others poll the cache for its
    result. A failure is remembered for ERROR_MEMO_S, so waiters and the next requests don't retry it.
    """
    key = ids.key(kind)
    lock_key, err_key = key + ":lock", key + ":error"
    started = time.time()

    def newer() -> dict[str, Any] | None:
        current = _read(key)
        if current and not current.get("invalidated") and current["fetched_at"] >= started:
            return current
        return None

    memo = cache.get(err_key)
    if memo:
        raise podero.PoderoUnavailable(memo)
    token = uuid.uuid4().hex
    if cache.add(lock_key, token, LOCK_TTL):
        try:
            try:
                items = podero.get_client().list_devices(org_id=ids.org, user_id=ids.user, kind=kind)
            except PoderoError as exc:
                cache.set(err_key, describe_failure(exc), ERROR_MEMO_S)
                raise
            entry = {"fetched_at": time.time(), "items": items}
            cache.set(key, entry, KEEP_FOR)
            return entry
        finally:
            if cache.get(lock_key) == token:
                cache.delete(lock_key)
    # Another request holds the lock: read its result instead of calling Podero ourselves.
    delay = 0.01
    while time.time() < started + WAIT_FOR_LOCK:
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)
        if (current := newer()) is not None:
            return current
        if memo := cache.get(err_key):
            raise podero.PoderoUnavailable(memo)
        if cache.get(lock_key) is None:
            if (current := newer()) is not None:
                return current
            if _turns > 0:  # the holder vanished without a result: take a turn ourselves
                return _fetch_into_cache(ids, kind, _turns=_turns - 1)
            break
    raise podero.PoderoTimeout("timed out waiting for another request's Podero call")


def _schedule_refresh(ids: Ids, kind: str) -> None:
    """Enqueue one background refresh per key (a short guard key stops duplicates)."""
    if not cache.add(ids.key(kind) + ":refreshing", 1, LOCK_TTL):
        return
    from .tasks import refresh_device_list

    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        # No broker (make run without Redis): a daemon thread keeps the page fast all the same.
        threading.Thread(target=refresh_kind, args=(ids.org, ids.user, kind), daemon=True).start()
    else:
        try:
            refresh_device_list.delay(ids.org, ids.user, kind)
        except Exception:  # noqa: BLE001 - a broker outage must not break the page
            log.warning("refresh_enqueue_failed", extra={"kind": kind})
            cache.delete(ids.key(kind) + ":refreshing")


def refresh_kind(org: str, user: str, kind: str) -> bool:
    """The background refresh (Celery task body). True when fresh data was stored."""
    ids = Ids(org=org, user=user)
    try:
        entry = _read(ids.key(kind))
        if entry and not entry.get("invalidated") and time.time() - entry["fetched_at"] < FRESH_FOR:
            return False
        _fetch_into_cache(ids, kind)
        return True
    except PoderoError as exc:
        log.warning("background_refresh_failed", extra={"kind": kind, "error": type(exc).__name__})
        return False
    finally:
        cache.delete(ids.key(kind) + ":refreshing")


def _load_kind(ids: Ids, kind: str, entry: dict[str, Any] | None) -> KindResult:
    result = KindResult(kind=kind)
    try:
        entry = _fetch_into_cache(ids, kind)
    except PoderoError as exc:
        result.error = describe_failure(exc)
    _fill(result, kind, entry)
    return result


def _fill(result: KindResult, kind: str, entry: dict[str, Any] | None) -> None:
    if entry is not None:
        result.fetched_at = entry["fetched_at"]
        result.devices = [parse_device(kind, raw) for raw in entry["items"]]


def device_overview(*, link: LinkLike, force: bool = False, kinds: Iterable[str] = KINDS) -> DeviceOverview:
    """All of a homeowner's devices, per kind, from the cache when it can be trusted."""
    ids = Ids.of(link)
    kinds = tuple(kinds)
    entries = {kind: _read(ids.key(kind)) for kind in kinds}
    now = time.time()
    results: dict[str, KindResult] = {}
    to_fetch: list[str] = []
    for kind in kinds:
        entry = entries[kind]
        if entry is None or entry.get("invalidated"):
            to_fetch.append(kind)
        elif force and now - entry["fetched_at"] >= MIN_FORCE_INTERVAL:
            to_fetch.append(kind)
        else:
            if now - entry["fetched_at"] >= FRESH_FOR:
                _schedule_refresh(ids, kind)
            result = KindResult(kind=kind)
            _fill(result, kind, entry)
            results[kind] = result
    if len(to_fetch) == 1:
        results[to_fetch[0]] = _load_kind(ids, to_fetch[0], entries[to_fetch[0]])
    elif to_fetch:
        # Parallel fan-out: a cold dashboard waits for the slowest kind, not for the sum.
        futures = {kind: _pool.submit(_load_kind, ids, kind, entries[kind]) for kind in to_fetch}
        for kind, future in futures.items():
            results[kind] = future.result()
    return DeviceOverview(kinds={kind: results[kind] for kind in kinds})


def device_list(*, link: LinkLike, force: bool = False) -> list[Device]:
    return device_overview(link=link, force=force).devices


def invalidate(*, link: LinkLike, kinds: Iterable[str] = KINDS) -> None:
    """After a write: the next read fetches synchronously, but last-known data stays as a fallback."""
    ids = Ids.of(link)
    for kind in kinds:
        key = ids.key(kind)
        entry = _read(key)
        if entry is not None:
            cache.set(key, {**entry, "invalidated": True}, KEEP_FOR)
        cache.delete(key + ":error")


def device_get(*, link: LinkLike, kind: str, device_id: str | uuid.UUID) -> Device:
    """Find a device among this homeowner's own devices; the org-wide token could reach anyone's."""
    try:
        wanted = str(uuid.UUID(str(device_id)))
    except ValueError as exc:
        raise DeviceNotFound(device_id) from exc
    if kind not in KINDS:
        raise DeviceNotFound(device_id)
    overview = device_overview(link=link, kinds=(kind,))
    for device in overview.kinds[kind].devices:
        if device.id == wanted:
            return device
    if overview.kinds[kind].fetched_at is None:
        raise podero.PoderoUnavailable(overview.error or "device list unavailable")
    raise DeviceNotFound(device_id)


def device_fetch_fresh(*, link: LinkLike, kind: str, device_id: str) -> Device:
    """One device straight from Podero (the boost poll), after checking it is the homeowner's."""
    device = device_get(link=link, kind=kind, device_id=device_id)
    ids = Ids.of(link)
    raw = podero.get_client().get_device(org_id=ids.org, user_id=ids.user, kind=kind, device_id=device.id)
    fresh = parse_device(kind, raw)
    if fresh.id != device.id:
        raise podero.PoderoBadResponse("device detail did not match the requested id")
    _patch_cached(ids, kind, raw)
    return fresh


def _patch_cached(ids: Ids, kind: str, raw: dict[str, Any]) -> None:
    """Put a freshly fetched device into its cached list, so the next full page agrees with the poll."""
    key = ids.key(kind)
    entry = _read(key)
    if entry is None:
        return
    items = [raw if isinstance(item, dict) and item.get("id") == raw.get("id") else item for item in entry["items"]]
    cache.set(key, {**entry, "items": items}, KEEP_FOR)


def ev_get(*, link: LinkLike, device_id: str) -> ElectricVehicle:
    device = device_get(link=link, kind="electric-vehicles", device_id=device_id)
    assert isinstance(device, ElectricVehicle)
    return device
