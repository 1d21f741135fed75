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

import contextvars
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
LOCK_TTL = 45  # longer than the client's worst case (3 tries x (3.05 s + 8 s) + backoff), so a lock never
# expires under a slow holder and lets a second upstream call through
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


class RecentFailure(podero.PoderoUnavailable):
    """This key's fetch failed moments ago (the error memo); the message is that failure's description."""


def describe_failure(exc: BaseException) -> str:
    """A short sentence for people; never str(exc)."""
    if isinstance(exc, RecentFailure):
        return str(exc)
    if isinstance(exc, podero.PoderoCircuitOpen) and not exc.rate_limited:
        return "Podero is not reachable."  # paused after repeated failures: still an outage to the reader
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


def _usable(entry: dict[str, Any] | None, max_age: float) -> bool:
    return entry is not None and not entry.get("invalidated") and time.time() - entry["fetched_at"] < max_age


def _fetch_into_cache(ids: Ids, kind: str, *, max_age: float = FRESH_FOR, _turns: int = 2) -> dict[str, Any]:
    """Fetch one kind, one caller at a time per key. Returns the newest entry, or raises PoderoError.

    The caller that takes the lock makes the one upstream GET; the others poll the cache for its
    result. An entry younger than `max_age` (and not invalidated) that appears meanwhile is the
    answer: a caller that saw the key missing a moment ago, but takes the lock after the holder
    released it, must not call again. A failure is remembered for ERROR_MEMO_S, so waiters and the
    next requests don't retry it, and until the next success under `:failed`, so stale data is shown
    with the reason it is stale.
    """
    key = ids.key(kind)
    lock_key, err_key = key + ":lock", key + ":error"
    started = time.time()

    memo = cache.get(err_key)
    if memo:
        raise RecentFailure(memo)
    token = uuid.uuid4().hex
    if cache.add(lock_key, token, LOCK_TTL):
        try:
            current = _read(key)  # double-check under the lock: the previous holder may have stored it
            if _usable(current, max_age):
                return current
            fetch_started = time.time()
            try:
                items = podero.get_client().list_devices(org_id=ids.org, user_id=ids.user, kind=kind)
            except PoderoError as exc:
                description = describe_failure(exc)
                cache.set(err_key, description, ERROR_MEMO_S)
                cache.set(key + ":failed", description, KEEP_FOR)
                raise
            entry = {"fetched_at": time.time(), "items": items}
            cache.set(key, entry, KEEP_FOR)
            # A write that invalidated this key while our GET was in flight may not be in `items`:
            # keep them as last-known data, but let the next read fetch again.
            invalidated_at = cache.get(key + ":inv")
            if invalidated_at is not None and invalidated_at >= fetch_started:
                entry = {**entry, "invalidated": True}
                cache.set(key, entry, KEEP_FOR)
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
        if _usable(current := _read(key), max_age):
            return current
        if memo := cache.get(err_key):
            raise RecentFailure(memo)
        if cache.get(lock_key) is None:
            if _usable(current := _read(key), max_age):
                return current
            if _turns > 0:  # the holder vanished without a result: take a turn ourselves
                return _fetch_into_cache(ids, kind, max_age=max_age, _turns=_turns - 1)
            break
    raise podero.PoderoTimeout("timed out waiting for another request's Podero call")


def _in_background(guard_key: str, body: Any, task: Any, *args: str) -> None:
    """Run `body(*args)` once in the background: a Celery task, or a daemon thread without a broker.

    The guard key (held LOCK_TTL) stops duplicates while one run is queued or under way.
    """
    if not cache.add(guard_key, 1, LOCK_TTL):
        return
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        # No broker (make run without Redis): a daemon thread keeps the page fast all the same.
        threading.Thread(target=body, args=args, daemon=True, name=f"background:{guard_key}").start()
        return
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - a broker outage must not break the page
        log.warning("refresh_enqueue_failed", extra={"task": task.name}, exc_info=True)
        cache.delete(guard_key)


def _schedule_refresh(ids: Ids, kind: str) -> None:
    """Enqueue one background refresh per key."""
    from .tasks import refresh_device_list

    _in_background(ids.key(kind) + ":refreshing", refresh_kind, refresh_device_list, ids.org, ids.user, kind)


def refresh_kind(org: str, user: str, kind: str) -> bool:
    """The background refresh (Celery task body). True when fresh data was stored."""
    ids = Ids(org=org, user=user)
    try:
        entry = _read(ids.key(kind))
        if _usable(entry, FRESH_FOR):
            return False
        _fetch_into_cache(ids, kind, max_age=FRESH_FOR)
        return True
    except PoderoError as exc:
        log.warning("background_refresh_failed", extra={"kind": kind, "error": type(exc).__name__})
        return False
    finally:
        cache.delete(ids.key(kind) + ":refreshing")


def _load_kind(ids: Ids, kind: str, entry: dict[str, Any] | None, max_age: float = FRESH_FOR) -> KindResult:
    result = KindResult(kind=kind)
    try:
        entry = _fetch_into_cache(ids, kind, max_age=max_age)
    except PoderoError as exc:
        result.error = describe_failure(exc)
    _fill(result, kind, entry)
    return result


def _fill(result: KindResult, kind: str, entry: dict[str, Any] | None) -> None:
    if entry is not None:
        result.fetched_at = entry["fetched_at"]
        result.devices = [parse_device(kind, raw) for raw in entry["items"]]


def device_overview(*, link: LinkLike, force: bool = False, kinds: Iterable[str] = KINDS,
                    refresh_older_than: float | None = None) -> DeviceOverview:
    """All of a homeowner's devices, per kind, from the cache when it can be trusted.

    `force` (the Refresh button) refetches lists older than MIN_FORCE_INTERVAL; `refresh_older_than`
    (the warming job) refetches lists older than that many seconds, before they go stale.
    """
    ids = Ids.of(link)
    kinds = tuple(kinds)
    keys = {kind: ids.key(kind) for kind in kinds}
    found = cache.get_many([*keys.values(), *(key + ":failed" for key in keys.values())])  # one round trip
    entries = {kind: found.get(keys[kind]) for kind in kinds}
    entries = {kind: e if isinstance(e, dict) and "items" in e else None for kind, e in entries.items()}
    now = time.time()
    results: dict[str, KindResult] = {}
    to_fetch: list[str] = []
    threshold = MIN_FORCE_INTERVAL if force else refresh_older_than
    max_age = threshold if threshold is not None else FRESH_FOR
    for kind in kinds:
        entry = entries[kind]
        if entry is None or entry.get("invalidated"):
            to_fetch.append(kind)
        elif threshold is not None and now - entry["fetched_at"] >= threshold:
            to_fetch.append(kind)
        else:
            result = KindResult(kind=kind)
            if now - entry["fetched_at"] >= FRESH_FOR:
                _schedule_refresh(ids, kind)
                # Served at once; if the last refresh failed, say why this data is old.
                result.error = found.get(keys[kind] + ":failed")
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


SEEN_KEY = "devices:v1:{org}:{user}:seen"
SEEN_FOR = 15 * 60  # a homeowner whose dashboard asked within this window counts as active


def dashboard_seen(*, link: LinkLike) -> None:
    """Note that this homeowner's dashboard is open (the warming job keeps their lists fresh)."""
    ids = Ids.of(link)
    cache.set(SEEN_KEY.format(org=ids.org, user=ids.user), 1, SEEN_FOR)


def recently_seen(*, links: Iterable[LinkLike]) -> list[LinkLike]:
    """The links among `links` whose dashboard asked within SEEN_FOR (one cache round trip)."""
    by_key = {}
    for link in links:
        ids = Ids.of(link)
        by_key[SEEN_KEY.format(org=ids.org, user=ids.user)] = link
    found = cache.get_many(list(by_key)) if by_key else {}
    return [link for key, link in by_key.items() if key in found]


def device_list(*, link: LinkLike, force: bool = False) -> list[Device]:
    return device_overview(link=link, force=force).devices


def invalidate(*, link: LinkLike, kinds: Iterable[str] = KINDS) -> None:
    """After a write: the next read fetches synchronously, but last-known data stays as a fallback."""
    ids = Ids.of(link)
    now = time.time()
    for kind in kinds:
        key = ids.key(kind)
        # First the marker a GET already in flight checks before its result counts as fresh, then the entry.
        cache.set(key + ":inv", now, LOCK_TTL)
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
            entry = found.get(ids.key(kind))
            result = KindResult(kind=kind)
            if isinstance(entry, dict) and "items" in entry:
                _fill(result, kind, entry)
            results[kind] = result
        overview = DeviceOverview(kinds=results)
        out[ids] = None if overview.never_loaded else overview
    return out


def cached_overview(*, link: LinkLike) -> DeviceOverview | None:
    """One homeowner's devices as the cache holds them, or None; never an upstream call."""
    return cached_overviews(links=[link])[Ids.of(link)]


# --- Writes ----------------------------------------------------------------------------------------
# Everything a homeowner can change. Each function: count the write against the per-user limit,
# look the device up among the homeowner's own devices (a foreign id is refused before any call),
# call the client once (writes are never retried), invalidate that user's cached list, and write
# one AuditEntry row whatever happens. Failures reach the caller as a WriteError with a sentence
# for people; the caller keeps what was typed.
from collections.abc import Callable  # noqa: E402
from dataclasses import replace as _replace  # noqa: E402
from datetime import time as _time  # noqa: E402
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: E402

from .models import AuditEntry  # noqa: E402
from .schemas import BoostState, as_percent, as_time  # noqa: E402

WRITE_LIMIT = 10  # writes per homeowner ...
WRITE_WINDOW_S = 60  # ... per minute, counted in the shared cache
POLICY_FRESH_FOR = 30  # seconds: the schedule form shows a policy at most this old
# The card's "Tomorrow: 80 % by 07:00" accepts an older policy (it changes only when someone edits it, and our
# own writes invalidate it) and never waits for Podero: a missing or old one is fetched in the background.
POLICY_CARD_MAX_AGE = 10 * 60
POLICY_ERROR_MEMO_S = 10  # after a failed policy read, the card does not ask again for this long
POLICY_KEY = "devices:v1:{org}:{user}:charge-policy:{device}"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

A_OPTIMIZATION = "optimization_set"
A_BOOST_START = "boost_start"
A_BOOST_CANCEL = "boost_cancel"
A_DEADLINE = "charge_deadline_set"
A_POLICY = "charge_policy_set"
A_RECONNECT = "reconnect"

NOT_SAVED = "Your change was not saved: {reason} Please try again."
CONFLICT_MESSAGES = {
    "already_charging": "Already charging or full — nothing to do.",
    "fully_charged": "Already charging or full — nothing to do.",
    "no_active_session": "The car has no active charging session — check that it is plugged in and connected.",
}


class WriteError(Exception):
    """A change that did not happen. `message` is for the homeowner; `field_errors` maps field names
    (as the API calls them, e.g. "minimum_charge_limit" or "mon.charge_percentage") to messages."""

    outcome = AuditEntry.Outcome.FAILED

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class WriteRateLimited(WriteError):
    outcome = AuditEntry.Outcome.RATE_LIMITED


class WriteConflict(WriteError):
    """409: nothing to do (already charging, full). Not an error for the homeowner."""

    outcome = AuditEntry.Outcome.CONFLICT


class WriteInvalid(WriteError):
    """Podero refused the values (400/422)."""

    outcome = AuditEntry.Outcome.INVALID


class WriteFailed(WriteError):
    """Podero could not be reached, or answered with an error: nothing was saved."""


@dataclass(frozen=True, slots=True)
class DayPlan:
    percentage: int | None
    deadline: _time | None


@dataclass(frozen=True)
class ChargePolicy:
    """The weekly charge policy (fact sheet §4.3). Days missing upstream are None."""

    days: dict[str, DayPlan]
    timezone: str | None

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for day in WEEKDAYS:
            plan = self.days.get(day)
            if plan is not None and plan.percentage is not None and plan.deadline is not None:
                body[day] = {"charge_percentage": plan.percentage, "charge_deadline": plan.deadline.strftime("%H:%M")}
        body["timezone"] = self.timezone
        return body


def parse_charge_policy(raw: Any) -> ChargePolicy:
    """The GET shape `{metadata, data: {mon: {...}, ..., timezone}}` (or the bare data object); never raises."""
    data = raw.get("data") if isinstance(raw, dict) and isinstance(raw.get("data"), dict) else raw
    if not isinstance(data, dict):
        data = {}
    days: dict[str, DayPlan] = {}
    for day in WEEKDAYS:
        entry = data.get(day)
        if isinstance(entry, dict):
            days[day] = DayPlan(percentage=as_percent(entry.get("charge_percentage")),
                                deadline=as_time(entry.get("charge_deadline")))
    timezone = data.get("timezone") if isinstance(data.get("timezone"), str) else None
    return ChargePolicy(days=days, timezone=timezone)


# -- audit and the rate limit
def _clip(values: dict[str, Any]) -> dict[str, Any]:
    """Values for the audit log: JSON-safe and short (typed input can be anything)."""
    out: dict[str, Any] = {}
    for key, value in list(values.items())[:40]:
        if isinstance(value, bool | int | float) or value is None:
            out[str(key)[:64]] = value
        elif isinstance(value, dict):
            out[str(key)[:64]] = _clip(value)
        else:
            out[str(key)[:64]] = str(value)[:200]
    return out


def _audit(*, user: Any, link: LinkLike | None, kind: str, device_id: Any, action: str, values: dict[str, Any],
           outcome: str, upstream_status: int | None = None, error: str = "") -> AuditEntry:
    podero_user_id = getattr(link, "podero_user_id", None) if link is not None else None
    entry = AuditEntry.objects.create(
        user=user if getattr(user, "pk", None) else None,
        user_email=getattr(user, "email", "") or "",
        podero_user_id=podero_user_id,
        device_kind=kind[:32],
        device_id=str(device_id)[:64],
        action=action,
        values=_clip(values),
        upstream_status=upstream_status,
        outcome=outcome,
        error=error[:2000],
    )
    log.info("device_write", extra={"action": action, "kind": kind, "outcome": outcome,
                                    "upstream_status": upstream_status})
    return entry


def _rate_key(user: Any) -> str:
    return f"writes:v1:{getattr(user, 'pk', None) or 'anon'}"


def _take_write_slot(user: Any) -> bool:
    """Count one write; False when this is more than WRITE_LIMIT within the window.

    The window starts at the first write and lasts WRITE_WINDOW_S (incr keeps the key's expiry).
    """
    key = _rate_key(user)
    if cache.add(key, 1, WRITE_WINDOW_S):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WRITE_WINDOW_S)
        return True
    return count <= WRITE_LIMIT


def _begin(*, user: Any, link: LinkLike, kind: str, device_id: Any, action: str, values: dict[str, Any]) -> Device:
    """Rate limit, then ownership. Audits and raises when either refuses."""
    if not _take_write_slot(user):
        _audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
               outcome=AuditEntry.Outcome.RATE_LIMITED, error=f"more than {WRITE_LIMIT} writes in {WRITE_WINDOW_S} s")
        raise WriteRateLimited(
            f"You have made {WRITE_LIMIT} changes in the last minute. Please wait a minute and try again."
        )
    try:
        return device_get_for_write(user=user, link=link, kind=kind, device_id=device_id, action=action,
                                    values=values)
    except PoderoError as exc:
        _audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
               outcome=AuditEntry.Outcome.FAILED, error=f"device list unavailable: {type(exc).__name__}")
        raise WriteFailed(NOT_SAVED.format(reason=describe_failure(exc))) from exc


def _fail(exc: PoderoError, *, user: Any, link: LinkLike, kind: str, device_id: Any, action: str,
          values: dict[str, Any], field_errors: Callable[[PoderoError], dict[str, str]] | None = None) -> WriteError:
    """Audit an upstream refusal and turn it into the WriteError the caller raises."""
    status = getattr(exc, "status", None)
    if isinstance(exc, podero.PoderoConflict):
        reason = exc.reason or ""
        error: WriteError = WriteConflict(CONFLICT_MESSAGES.get(reason, CONFLICT_MESSAGES["already_charging"]))
        detail = f"409 state={exc.state} reason={reason}"
    elif isinstance(exc, podero.PoderoValidationError):
        fields = field_errors(exc) if field_errors else exc.field_errors
        error = WriteInvalid(NOT_SAVED.format(reason="Podero did not accept these values."), field_errors=fields)
        detail = f"{status} {fields}" if fields else f"{status} {exc.detail!r}"[:500]
    elif isinstance(exc, podero.PoderoRateLimited):
        error = WriteFailed(NOT_SAVED.format(reason=describe_failure(exc)))
        error.outcome = AuditEntry.Outcome.RATE_LIMITED
        detail = f"Podero rate limit, Retry-After {exc.retry_after:g} s"
    else:
        error = WriteFailed(NOT_SAVED.format(reason=describe_failure(exc)))
        detail = f"{type(exc).__name__}: {exc}"
    _audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
           outcome=error.outcome, upstream_status=status, error=detail)
    return error


def device_get_for_write(*, user: Any, link: LinkLike, kind: str, device_id: Any, action: str,
                         values: dict[str, Any]) -> Device:
    """device_get before a change is attempted: a foreign id is audited as refused (then 404)."""
    try:
        return device_get(link=link, kind=kind, device_id=device_id)
    except DeviceNotFound:
        _audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
               outcome=AuditEntry.Outcome.REFUSED, error="not among the homeowner's devices")
        raise


def write_invalid(*, user: Any, link: LinkLike, kind: str, device_id: Any, action: str, values: dict[str, Any],
                  errors: dict[str, Any]) -> Device:
    """Input that failed our own validation: nothing is sent. Ownership is still checked (a foreign id is
    refused and raises DeviceNotFound); the attempt is audited. Returns the device to re-render the form."""
    try:
        device = device_get_for_write(user=user, link=link, kind=kind, device_id=device_id, action=action,
                                      values=values)
    except PoderoError:
        device = None  # audited as invalid below; the caller re-renders without fresh data
    _audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
           outcome=AuditEntry.Outcome.INVALID, error="; ".join(f"{k}: {v}" for k, v in errors.items())[:2000])
    if device is None:
        raise WriteFailed(NOT_SAVED.format(reason="your devices could not be loaded."))
    return device


def _fresh_or(link: LinkLike, kind: str, device: Device, fallback: Device) -> Device:
    """The device straight from Podero after a write (patched into the cache), else `fallback`."""
    ids = Ids.of(link)
    try:
        raw = podero.get_client().get_device(org_id=ids.org, user_id=ids.user, kind=kind, device_id=device.id)
    except PoderoError:
        return fallback
    fresh = parse_device(kind, raw)
    if fresh.id != device.id:
        return fallback
    _patch_cached(ids, kind, raw)
    return fresh


def _updated(kind: str, raw: Any, fallback: Device) -> Device:
    """The device a PUT answered with, or `fallback` when the answer is not a usable device."""
    device = parse_device(kind, raw) if isinstance(raw, dict) and raw else None
    return device if device is not None and device.id == fallback.id else fallback


# -- optimization (heat pumps, inverters)
def _write(*, user: Any, link: LinkLike, kind: str, device_id: Any, action: str, values: dict[str, Any],
           call: Callable[[podero.PoderoClient, Ids, Device], Any], status: int,
           field_errors: Callable[[PoderoError], dict[str, str]] | None = None,
           audit_values: Callable[[Device], dict[str, Any]] | None = None) -> tuple[Device, Any]:
    """Every homeowner change: rate limit and ownership (`_begin`), the one upstream call (never retried),
    then invalidate that user's list of this kind and write the audit row. Returns (device, call's answer);
    a refusal is audited and raised as a WriteError."""
    device = _begin(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values)
    try:
        answer = call(podero.get_client(), Ids.of(link), device)
    except PoderoError as exc:
        raise _fail(exc, user=user, link=link, kind=kind, device_id=device.id, action=action, values=values,
                    field_errors=field_errors) from exc
    invalidate(link=link, kinds=(kind,))
    _audit(user=user, link=link, kind=kind, device_id=device.id, action=action,
           values=values if audit_values is None else audit_values(device), outcome=AuditEntry.Outcome.OK,
           upstream_status=status)
    return device, answer


def device_reconnect_start(*, user: Any, link: LinkLike, kind: str, device_id: Any, action_index: int | None,
                           success_url: str, cancel_url: str) -> str:
    """Start the manufacturer's reconnect flow and return the URL to send the homeowner to.

    A pending action's resolution link is POSTed by our server (it needs our token and carries a signed
    secret, fact sheet §5); a device with no such link gets an auth_session. Audited like every change.
    """
    values: dict[str, Any] = {"action_index": action_index}

    def call(client: podero.PoderoClient, ids: Ids, device: Device) -> str:
        action = device.actions[action_index] if action_index is not None and 0 <= action_index < len(
            device.actions) else None
        if action is not None:
            values["code"] = action.code
        if action is not None and action.url:
            return client.resolve_action(url=action.url, success_url=success_url, cancel_url=cancel_url)
        return client.start_auth_session(org_id=ids.org, user_id=ids.user, kind=kind, device_id=device.id,
                                         success_url=success_url, cancel_url=cancel_url)

    # Invalidated afterwards as every write is: the homeowner comes back to fresh state.
    _, url = _write(user=user, link=link, kind=kind, device_id=device_id, action=A_RECONNECT, values=values,
                    call=call, status=200)
    return url


def optimization_set(*, user: Any, link: LinkLike, kind: str, device_id: Any, active: bool) -> Device:
    """Pause (False) or resume (True) Podero's optimization of a heat pump or inverter."""
    values = {"is_smart_optimization_active": bool(active)}
    if kind not in ("heat-pumps", "inverters"):
        raise DeviceNotFound(device_id)
    device, raw = _write(
        user=user, link=link, kind=kind, device_id=device_id, action=A_OPTIMIZATION, values=values, status=200,
        call=lambda client, ids, device: client.update_device(org_id=ids.org, user_id=ids.user, kind=kind,
                                                              device_id=device.id, fields=values),
    )
    return _updated(kind, raw, _replace(device, is_smart_optimization_active=bool(active)))


# -- EV boost ("Charge now")
EV = "electric-vehicles"


def ev_boost_start(*, user: Any, link: LinkLike, device_id: Any) -> ElectricVehicle:
    """Charge now; an unplugged car is armed for its next plug-in. A 409 raises WriteConflict."""
    values: dict[str, Any] = {}
    device, _ = _write(
        user=user, link=link, kind=EV, device_id=device_id, action=A_BOOST_START, values=values, status=204,
        call=lambda client, ids, device: client.start_boost(org_id=ids.org, user_id=ids.user, device_id=device.id),
        audit_values=lambda device: {"plugged_in": getattr(device, "is_plugged_in", None)},
    )
    assert isinstance(device, ElectricVehicle)
    if device.is_plugged_in is False:
        guess = _replace(device, boost_for_next_session=True)
    else:
        guess = _replace(device, boost_state=BoostState.REQUESTED)
    fresh = _fresh_or(link, EV, device, guess)
    assert isinstance(fresh, ElectricVehicle)
    return fresh


def ev_boost_cancel(*, user: Any, link: LinkLike, device_id: Any) -> ElectricVehicle:
    """Disarm a boost armed for the next plug-in (a live boost ends on its own, fact sheet §4.2)."""
    values: dict[str, Any] = {}
    device, _ = _write(
        user=user, link=link, kind=EV, device_id=device_id, action=A_BOOST_CANCEL, values=values, status=204,
        call=lambda client, ids, device: client.cancel_boost(org_id=ids.org, user_id=ids.user, device_id=device.id),
    )
    assert isinstance(device, ElectricVehicle)
    fresh = _fresh_or(link, EV, device, _replace(device, boost_for_next_session=False))
    assert isinstance(fresh, ElectricVehicle)
    return fresh


# -- EV charge deadline (daily) and weekly policy
def _policy_key(link: LinkLike | Ids, device_id: str) -> str:
    ids = link if isinstance(link, Ids) else Ids.of(link)
    return POLICY_KEY.format(org=ids.org, user=ids.user, device=device_id)


def _invalidate_policy(link: LinkLike, device_id: str) -> None:
    key = _policy_key(link, device_id)
    cache.delete_many([key, key + ":error"])


def _ev_field_errors(exc: PoderoError) -> dict[str, str]:
    return exc.field_errors if isinstance(exc, podero.PoderoValidationError) else {}


def ev_charge_deadline_set(*, user: Any, link: LinkLike, device_id: Any, enabled: bool,
                           minimum_charge_limit: int | None = None, deadline: _time | None = None) -> ElectricVehicle:
    """Turn the daily "ready by" policy on (with a level and a time) or off (fully cost-optimized)."""
    values: dict[str, Any] = {"is_charge_policy_enabled": bool(enabled)}
    if enabled:
        if minimum_charge_limit is None or deadline is None:
            raise ValueError("enabling the charge policy needs a level and a time")
        values["minimum_charge_limit"] = int(minimum_charge_limit)
        values["charge_deadline_at"] = deadline.strftime("%H:%M")
    device, raw = _write(
        user=user, link=link, kind=EV, device_id=device_id, action=A_DEADLINE, values=values, status=200,
        field_errors=_ev_field_errors,
        call=lambda client, ids, device: client.update_device(org_id=ids.org, user_id=ids.user, kind=EV,
                                                              device_id=device.id, fields=values),
    )
    assert isinstance(device, ElectricVehicle)
    _invalidate_policy(link, device.id)  # the daily fields also fill the weekly policy (§8 #21)
    guess = _replace(device, is_charge_policy_enabled=bool(enabled),
                     minimum_charge_limit=values.get("minimum_charge_limit", device.minimum_charge_limit),
                     charge_deadline=deadline if enabled else device.charge_deadline)
    updated = _updated(EV, raw, guess)
    assert isinstance(updated, ElectricVehicle)
    return updated


def _policy_fetch(ids: Ids, device_id: str) -> Any:
    key = _policy_key(ids, device_id)
    if memo := cache.get(key + ":error"):
        raise podero.PoderoUnavailable(memo)
    try:
        raw = podero.get_client().get_charge_policy(org_id=ids.org, user_id=ids.user, device_id=device_id)
    except PoderoError as exc:
        cache.set(key + ":error", describe_failure(exc), POLICY_ERROR_MEMO_S)
        raise
    cache.set(key, {"fetched_at": time.time(), "raw": raw}, KEEP_FOR)
    return raw


def _policy_entry(key: str) -> dict[str, Any] | None:
    entry = cache.get(key)
    return entry if isinstance(entry, dict) and "fetched_at" in entry else None


def _policy_cached(link: LinkLike, device_id: str) -> ChargePolicy:
    """The weekly policy, at most POLICY_FRESH_FOR old; raises PoderoError when it cannot be read."""
    ids = Ids.of(link)
    entry = _policy_entry(_policy_key(ids, device_id))
    if entry is not None and time.time() - entry["fetched_at"] < POLICY_FRESH_FOR:
        return parse_charge_policy(entry["raw"])
    return parse_charge_policy(_policy_fetch(ids, device_id))


def policy_refresh(org: str, user: str, device_id: str) -> bool:
    """Background body: fetch one EV's weekly policy into the cache."""
    ids = Ids(org=org, user=user)
    try:
        _policy_fetch(ids, device_id)
        return True
    except PoderoError as exc:
        log.warning("policy_refresh_failed", extra={"error": type(exc).__name__})
        return False
    finally:
        cache.delete(_policy_key(ids, device_id) + ":refreshing")


def _policy_for_card(link: LinkLike, device_id: str) -> ChargePolicy | None:
    """Whatever policy the cache holds, refreshed in the background when missing or old. Never blocks."""
    from .tasks import refresh_charge_policy

    ids = Ids.of(link)
    key = _policy_key(ids, device_id)
    entry = _policy_entry(key)
    if entry is None or time.time() - entry["fetched_at"] >= POLICY_CARD_MAX_AGE:
        _in_background(key + ":refreshing", policy_refresh, refresh_charge_policy, ids.org, ids.user, device_id)
    return parse_charge_policy(entry["raw"]) if entry is not None else None


def ev_charge_policy_get(*, link: LinkLike, device_id: Any) -> ChargePolicy:
    """The homeowner's weekly charge policy for one of their EVs (DeviceNotFound for anyone else's)."""
    device = device_get(link=link, kind=EV, device_id=device_id)
    assert device.id is not None
    return _policy_cached(link, device.id)


def _policy_field_errors(exc: PoderoError) -> dict[str, str]:
    """Ninja-style locs like ["body", "payload", "mon", "charge_percentage"] to "mon.charge_percentage"."""
    out: dict[str, str] = {}
    detail = exc.detail if isinstance(exc, podero.PoderoAPIError) else None
    if not isinstance(detail, list):
        return out
    for item in detail:
        if not isinstance(item, dict):
            continue
        loc = [str(part) for part in item.get("loc") or [] if isinstance(part, str | int)]
        msg = str(item.get("msg") or "invalid")
        day = next((part for part in loc if part in WEEKDAYS), None)
        name = loc[-1] if loc else "__all__"
        if day and name != day:
            out[f"{day}.{name}"] = msg
        elif day:
            out[f"{day}.charge_percentage"] = msg
        else:
            out[name] = msg
    return out


def ev_charge_policy_set(*, user: Any, link: LinkLike, device_id: Any, policy: ChargePolicy) -> ChargePolicy:
    """Replace the weekly policy (all seven days and the time zone)."""
    values = policy.to_api()
    device, raw = _write(
        user=user, link=link, kind=EV, device_id=device_id, action=A_POLICY, values=values, status=200,
        field_errors=_policy_field_errors,
        call=lambda client, ids, device: client.put_charge_policy(org_id=ids.org, user_id=ids.user,
                                                                  device_id=device.id, policy=values),
    )
    _invalidate_policy(link, device.id)
    saved = parse_charge_policy(raw)
    return saved if len(saved.days) == len(WEEKDAYS) else policy


# -- the plan line on the EV card ("Tomorrow: 80 % by 07:00")
def ev_charge_plan(*, link: LinkLike, device: ElectricVehicle, now: datetime | None = None) -> str | None:
    """The next charging deadline in plain words; None when we cannot tell."""
    if device.is_charge_policy_enabled is False:
        return "No deadline: fully cost-optimized charging."
    if device.is_charge_policy_enabled is not True or device.id is None:
        return None
    # Until the weekly policy is in the cache, the daily default below still tells the plan.
    policy = _policy_for_card(link, device.id) or ChargePolicy(days={}, timezone=None)
    user_tz = getattr(getattr(link, "user", None), "timezone", None)
    try:
        tz = ZoneInfo(policy.timezone or user_tz or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(settings.TIME_ZONE)
    local = (now or datetime.now(UTC)).astimezone(tz)
    default = DayPlan(percentage=device.minimum_charge_limit, deadline=device.charge_deadline)

    def plan_for(day_offset: int) -> DayPlan:
        weekday = WEEKDAYS[(local.weekday() + day_offset) % 7]
        plan = policy.days.get(weekday)
        return plan if plan and plan.percentage is not None and plan.deadline is not None else default

    today = plan_for(0)
    if today.deadline is not None and today.percentage is not None and local.time() < today.deadline:
        label, plan = "Today", today
    else:
        label, plan = "Tomorrow", plan_for(1)
    if plan.percentage is None or plan.deadline is None:
        return None
    return f"{label}: {plan.percentage} % by {plan.deadline:%H:%M}"

