"""Reading a homeowner's devices: lists per kind through the cache envelope, one device, admin views.

Lists are cached per (org, user, kind):
* younger than FRESH_FOR: served as is;
* older: served at once and refreshed in the background (stale-while-revalidate);
* missing: the missing kinds are fetched in parallel, one upstream GET per key however many wait;
* last-known data is kept KEEP_FOR, so an outage still shows something, marked stale with its age.
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache

from .. import podero
from ..podero import KINDS, PoderoError
from ..schemas import Device, ElectricVehicle, parse_device
from . import background
from .cache import FRESH_FOR, Ids, as_entry, fetch_once, invalidate_key, read_entry, replace_items, usable
from .errors import DeviceNotFound, LinkLike, describe_failure, failure_text

log = logging.getLogger("devices.services")

MIN_FORCE_INTERVAL = 5  # manual Refresh: a list younger than this is not fetched again
DETAIL_FRESH_FOR = 2.5  # one device's GET (the boost poll): at most one upstream call per device per window
DETAIL_KEEP_FOR = 60

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="podero-fetch")


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
        return [d for kind in KINDS if kind in self.kinds for d in self.kinds[kind].devices]

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


# --- One kind's list ------------------------------------------------------------------------------
# --- Freshness that follows the data --------------------------------------------------------------
# Podero's guide: device state changes every 5-15 minutes; check `current_state_last_updated_at` to know
# whether new data can exist. A list older than FRESH_FOR is refetched only when one of its devices may
# have synced since (its last state time plus the spacing seen between its syncs, never under
# MIN_SYNC_SPACING_S), or on a write, a Refresh, a boost poll or an attention check (which bypass this).
MIN_SYNC_SPACING_S = 5 * 60
OFFLINE_AFTER_SPACINGS = 3  # a device this many spacings behind is offline: look again every spacing


def _sync_schedule(kind: str):
    def annotate(items: Any, previous: dict[str, Any] | None) -> dict[str, Any]:
        now = time.time()
        before = (previous or {}).get("sync") or {}
        sync: dict[str, list[float]] = {}
        next_at: float | None = None
        for raw in items if isinstance(items, list) else []:
            device = parse_device(kind, raw)
            stamp = device.state_updated_at.timestamp() if device.state_updated_at else None
            if device.id is None or stamp is None:
                return {"sync": {}, "next_sync_at": None}  # a device we cannot time: plain 30 s freshness
            old = before.get(device.id)
            spacing = max(MIN_SYNC_SPACING_S, old[1] if old else MIN_SYNC_SPACING_S)
            if old and stamp > old[0]:
                spacing = max(MIN_SYNC_SPACING_S, stamp - old[0])
            sync[device.id] = [stamp, spacing]
            expected = stamp + spacing
            if expected <= now - OFFLINE_AFTER_SPACINGS * spacing:
                expected = now + spacing  # offline for a while: check once per spacing, not every 30 s
            elif expected <= now:
                expected = now  # due now: the usual 30 s freshness applies
            next_at = expected if next_at is None else min(next_at, expected)
        return {"sync": sync, "next_sync_at": next_at}

    return annotate


def newer_sync_possible(entry: dict[str, Any], at: float) -> bool:
    """Whether any device in this list may have synced by `at` (True when we cannot tell)."""
    next_at = entry.get("next_sync_at")
    return next_at is None or at >= float(next_at)


def _fetch_kind(ids: Ids, kind: str, *, max_age: float = FRESH_FOR) -> dict[str, Any]:
    def fetch() -> Any:
        return podero.get_client().list_devices(org_id=ids.org, user_id=ids.user, kind=kind)

    return fetch_once(ids.key(kind), fetch, max_age=max_age, annotate=_sync_schedule(kind))


def refresh_kind(org: str, user: str, kind: str) -> bool:
    """The background refresh (Celery task body). True when fresh data was stored."""
    ids = Ids(org=org, user=user)
    try:
        if usable(read_entry(ids.key(kind)), FRESH_FOR):
            return False
        _fetch_kind(ids, kind)
        return True
    except PoderoError as exc:
        log.warning("background_refresh_failed", extra={"kind": kind, "error": type(exc).__name__})
        return False
    finally:
        cache.delete(ids.key(kind) + ":refreshing")


def _schedule_refresh(ids: Ids, kind: str) -> None:
    """Enqueue one background refresh per key."""
    background.run_once(ids.key(kind) + ":refreshing", refresh_kind, background.REFRESH_DEVICE_LIST,
                        ids.org, ids.user, kind)


def _fill(result: KindResult, kind: str, entry: dict[str, Any] | None) -> None:
    if entry is not None:
        result.fetched_at = entry["fetched_at"]
        result.devices = [parse_device(kind, raw) for raw in entry["items"]]


def _load_kind(ids: Ids, kind: str, entry: dict[str, Any] | None, max_age: float = FRESH_FOR) -> KindResult:
    result = KindResult(kind=kind)
    try:
        entry = _fetch_kind(ids, kind, max_age=max_age)
    except PoderoError as exc:
        result.error = describe_failure(exc)
    _fill(result, kind, entry)
    return result


def device_overview(*, link: LinkLike, force: bool = False, kinds: Iterable[str] = KINDS,
                    refresh_older_than: float | None = None, fetch_due: bool = False) -> DeviceOverview:
    """All of a homeowner's devices, per kind, from the cache when it can be trusted.

    `force` (the Refresh button) refetches lists older than MIN_FORCE_INTERVAL; `refresh_older_than`
    (the warming job) refetches lists older than that many seconds, before they go stale. `fetch_due`
    (an open dashboard's poll) fetches a list past FRESH_FOR that may hold a newer sync for this answer,
    instead of serving it and refreshing it in the background (which would show it one poll later).
    """
    ids = Ids.of(link)
    kinds = tuple(kinds)
    keys = {kind: ids.key(kind) for kind in kinds}
    found = cache.get_many([*keys.values(), *(key + ":failed" for key in keys.values())])  # one round trip
    entries = {kind: as_entry(found.get(keys[kind])) for kind in kinds}
    now = time.time()
    results: dict[str, KindResult] = {}
    to_fetch: list[str] = []
    threshold = MIN_FORCE_INTERVAL if force else refresh_older_than
    max_age = threshold if threshold is not None else FRESH_FOR
    for kind in kinds:
        entry = entries[kind]
        if entry is None or entry.get("invalidated"):
            to_fetch.append(kind)
        elif force and now - entry["fetched_at"] >= threshold:
            to_fetch.append(kind)
        elif (threshold is not None and now - entry["fetched_at"] >= threshold
              and newer_sync_possible(entry, now)):
            # Warming: just before it goes stale, if a device may already have synced. Not "by the time it
            # goes stale": a fetch a few seconds before the sync gets the old state and is then trusted.
            to_fetch.append(kind)
        elif fetch_due and now - entry["fetched_at"] >= FRESH_FOR and newer_sync_possible(entry, now):
            # The homeowner is looking and a device may have synced: fetch it now, at the homeowner's priority
            # (one call per key, shared with the warming job); on a failure the last-known list is shown.
            to_fetch.append(kind)
        else:
            result = KindResult(kind=kind)
            if now - entry["fetched_at"] >= FRESH_FOR and newer_sync_possible(entry, now):
                _schedule_refresh(ids, kind)
                # Served at once; if the last refresh failed, say why this data is old.
                result.error = failure_text(found.get(keys[kind] + ":failed"))
            _fill(result, kind, entry)
            results[kind] = result
    if len(to_fetch) == 1:
        results[to_fetch[0]] = _load_kind(ids, to_fetch[0], entries[to_fetch[0]], max_age)
    elif to_fetch:
        # Parallel fan-out: a cold dashboard waits for the slowest kind, not for the sum.
        # copy_context: the request id (a contextvar) follows the work into the pool's threads.
        futures = {kind: _pool.submit(contextvars.copy_context().run, _load_kind, ids, kind, entries[kind],
                                      max_age)
                   for kind in to_fetch}
        for kind, future in futures.items():
            results[kind] = future.result()
    return DeviceOverview(kinds={kind: results[kind] for kind in kinds})


def device_list(*, link: LinkLike, force: bool = False) -> list[Device]:
    return device_overview(link=link, force=force).devices


def invalidate(*, link: LinkLike, kinds: Iterable[str] = KINDS) -> None:
    """After a write: the next read fetches synchronously, but last-known data stays as a fallback."""
    ids = Ids.of(link)
    for kind in kinds:
        invalidate_key(ids.key(kind))


def invalidate_device(*, link: LinkLike, kind: str, device_id: str) -> None:
    """After a write to one device: its detail (the boost poll's window) is read afresh too."""
    invalidate_key(Ids.of(link).key(f"device:{kind}:{device_id}"), keep_for=DETAIL_KEEP_FOR)


# --- One device ---------------------------------------------------------------------------------------
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
    """One device straight from Podero (the boost poll), after checking it is the homeowner's.

    Through the single-flight cache with a DETAIL_FRESH_FOR window: however many tabs poll one car,
    Podero sees at most one GET of it per window; the others get that answer."""
    return device_fetch_fresh_raw(link=link, kind=kind, device_id=device_id)[0]


def device_fetch_fresh_raw(*, link: LinkLike, kind: str, device_id: str,
                           max_age: float = DETAIL_FRESH_FOR) -> tuple[Device, dict[str, Any]]:
    """`device_fetch_fresh`, with the payload it was parsed from (patched into the cached list).
    `max_age=0` insists on a new GET (checking a write whose outcome is unknown)."""
    device = device_get(link=link, kind=kind, device_id=device_id)
    ids = Ids.of(link)

    def fetch() -> Any:
        return podero.get_client().get_device(org_id=ids.org, user_id=ids.user, kind=kind, device_id=device.id)

    entry = fetch_once(ids.key(f"device:{kind}:{device.id}"), fetch, max_age=max_age, keep_for=DETAIL_KEEP_FOR)
    raw = entry["items"]
    if not isinstance(raw, dict):
        raise podero.PoderoBadResponse("device detail is not a JSON object")
    fresh = parse_device(kind, raw)
    if fresh.id != device.id:
        raise podero.PoderoBadResponse("device detail did not match the requested id")
    patch_cached(ids, kind, raw)
    return fresh, raw


def patch_cached(ids: Ids, kind: str, raw: dict[str, Any]) -> None:
    """Put a freshly fetched device into its cached list, so the next full page agrees with the poll."""

    def swap(items: Any) -> Any:
        return [raw if isinstance(item, dict) and item.get("id") == raw.get("id") else item for item in items]

    replace_items(ids.key(kind), swap)


def ev_get(*, link: LinkLike, device_id: str) -> ElectricVehicle:
    device = device_get(link=link, kind="electric-vehicles", device_id=device_id)
    assert isinstance(device, ElectricVehicle)
    return device


# --- Admin (cache-only reads) --------------------------------------------------------------------
def cached_overviews(*, links: Iterable[LinkLike]) -> dict[Ids, DeviceOverview | None]:
    """What the cache holds for many homeowners, in one cache round trip, without ever calling Podero.

    For list pages (one row per homeowner): None for a homeowner of whom nothing is cached.
    Stale entries are shown as they are and no refresh is scheduled.
    """
    wanted = {Ids.of(link) for link in links}
    keys = {ids.key(kind): (ids, kind) for ids in wanted for kind in KINDS}
    found = cache.get_many(list(keys)) if keys else {}
    out: dict[Ids, DeviceOverview | None] = {}
    for ids in wanted:
        results: dict[str, KindResult] = {}
        for kind in KINDS:
            result = KindResult(kind=kind)
            _fill(result, kind, as_entry(found.get(ids.key(kind))))
            results[kind] = result
        overview = DeviceOverview(kinds=results)
        out[ids] = None if overview.never_loaded else overview
    return out


def cached_overview(*, link: LinkLike) -> DeviceOverview | None:
    """One homeowner's devices as the cache holds them, or None; never an upstream call."""
    return cached_overviews(links=[link])[Ids.of(link)]

