"""A device's history: time series, savings and EV charging sessions, through the cache envelope.

Every read here goes through `cache.fetch_once` (one upstream call per key, however many wait) with a
lifetime that fits the data:
* a closed period (it ended before now) does not change: fresh for hours, kept for days;
* a period that contains now grows by the quarter hour: fresh for minutes;
* the current charging session moves with the battery: fresh for 30 s.
Keys start with the homeowner's ids (`Ids.key`). A device id is looked up in the homeowner's own
device list first (`reads.device_get`): a foreign id raises DeviceNotFound before any history call.
When Podero cannot be reached, the last-known answer is returned with its age and the reason.
Imports: the client, the schemas, `cache`, `errors` and `reads`.
"""

from __future__ import annotations

import contextvars
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .. import podero
from ..podero import KINDS, PoderoError
from ..schemas import (
    ChargingSession,
    Device,
    SavingsReport,
    SessionPage,
    TimeSeries,
    parse_current_session,
    parse_savings,
    parse_session_page,
    parse_time_series,
)
from .cache import KEEP_FOR, Ids, fetch_once, read_entry, usable
from .errors import LinkLike, describe_failure
from .reads import device_get, device_overview

CLOSED_FRESH_FOR = 6 * 60 * 60  # a closed period only changes if Podero recomputes it: hours
CURRENT_FRESH_FOR = 5 * 60  # the bucket that holds now gains a point every 15 min: minutes
SESSION_FRESH_FOR = 30  # the current session follows the battery, like the device cards
CLOSED_KEEP_FOR = 7 * 24 * 60 * 60  # closed history is worth keeping through a long outage
DATA_RESOLUTIONS = ("15MIN", "1HOUR", "1DAY", "1WEEK", "1MONTH")
SAVINGS_RESOLUTIONS = ("1DAY", "1WEEK", "1MONTH", "1QUARTER", "1YEAR")
SESSION_LIMIT_MAX = 200  # the API's page size limit (addendum §1a)
MAX_RANGE = timedelta(days=5 * 366)  # no page asks for more; a longer range is a crafted URL
SUMMARY_PERIODS = ("this_month", "last_month", "last_year")

# One savings call per device and month, all at once: 3 months x up to 5 devices in one round trip.
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="podero-history")


class HistoryRangeInvalid(ValueError):
    """A range, resolution or page the API would refuse; checked here, so no upstream call is made."""


@dataclass
class HistoryResult[T]:
    value: T | None
    fetched_at: float | None = None  # epoch seconds of the data shown; None = never loaded
    error: str | None = None  # why fresh data could not be had, in plain words
    pending: bool = False  # asked with `cached_only` and nothing fresh was cached: load it afterwards
    digest: str | None = None  # the payload's content hash: the same data gives the same digest

    @property
    def age_s(self) -> float | None:
        return None if self.fetched_at is None else max(0.0, time.time() - self.fetched_at)

    @property
    def stale(self) -> bool:
        return self.error is not None and self.value is not None


def _now() -> datetime:
    """Which periods are closed (tests put this on the simulator's clock)."""
    return datetime.now(UTC)


def _key(ids: Ids, kind: str, device_id: str, *parts: object) -> str:
    return ids.key(":".join(("history", kind, device_id, *map(str, parts))))


def _read[T](
    key: str,
    fetch: Callable[[], Any],
    parse: Callable[[Any], T],
    *,
    max_age: float,
    keep_for: float = KEEP_FOR,
    cached_only: bool = False,
) -> HistoryResult[T]:
    entry = read_entry(key)
    error = None
    if cached_only and not usable(entry, max_age):
        return HistoryResult(value=None, pending=True)  # never an upstream call: the page loads it next
    if not usable(entry, max_age):
        try:
            entry = fetch_once(key, fetch, max_age=max_age, keep_for=keep_for)
        except PoderoError as exc:
            error = describe_failure(exc)
            entry = read_entry(key)  # last-known data, however old, with the reason it is old
    if entry is None:
        return HistoryResult(value=None, error=error)
    return HistoryResult(value=parse(entry["items"]), fetched_at=entry["fetched_at"], error=error,
                         digest=entry.get("digest"))


def _lifetimes(end: datetime, now: datetime) -> tuple[float, float]:
    return (CLOSED_FRESH_FOR, CLOSED_KEEP_FOR) if end <= now else (CURRENT_FRESH_FOR, KEEP_FOR)


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise HistoryRangeInvalid(f"{name} must be an aware datetime")
    return value.astimezone(UTC)


def _check_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        raise HistoryRangeInvalid("the range must end after it starts")
    if end - start > MAX_RANGE:
        raise HistoryRangeInvalid("the range is too long")
    return start, end


def _owned(link: LinkLike, kind: str, device_id: str | uuid.UUID) -> tuple[Ids, Device]:
    """The homeowner's own device, or DeviceNotFound (no history call is made for a foreign id)."""
    return Ids.of(link), device_get(link=link, kind=kind, device_id=device_id)


# --- Time series and savings --------------------------------------------------------------------
def device_data(
    *,
    link: LinkLike,
    kind: str,
    device_id: str | uuid.UUID,
    start: datetime,
    end: datetime,
    resolution: str = "1HOUR",
    keywords: tuple[str, ...] = (),
    cached_only: bool = False,
) -> HistoryResult[TimeSeries]:
    """A device's `/data` over [start, end) at `resolution` (UTC buckets, points oldest first).

    `cached_only`: answer from fresh cached data or not at all (`pending`), never calling Podero; a page
    renders what is cached inline and loads the rest after itself."""
    if resolution not in DATA_RESOLUTIONS:
        raise HistoryRangeInvalid(f"unknown resolution {resolution!r}")
    start, end = _check_range(start, end)
    ids, device = _owned(link, kind, device_id)
    keywords = tuple(keywords)
    max_age, keep_for = _lifetimes(end, _now())

    def fetch() -> Any:
        return podero.get_client().get_device_data(
            org_id=ids.org,
            user_id=ids.user,
            kind=kind,
            device_id=device.id,
            start=start,
            end=end,
            resolution=resolution,
            keywords=keywords,
        )

    key = _key(
        ids, kind, device.id, "data", resolution, start.isoformat(), end.isoformat(), ",".join(keywords)
    )
    return _read(key, fetch, lambda raw: parse_time_series(kind, raw), max_age=max_age, keep_for=keep_for,
                 cached_only=cached_only)


def device_savings(
    *,
    link: LinkLike,
    kind: str,
    device_id: str | uuid.UUID,
    start: datetime,
    end: datetime,
    resolution: str = "1MONTH",
    cached_only: bool = False,
) -> HistoryResult[SavingsReport]:
    """A device's savings buckets over [start, end) (`cached_only` as in `device_data`)."""
    if resolution not in SAVINGS_RESOLUTIONS:
        raise HistoryRangeInvalid(f"unknown resolution {resolution!r}")
    start, end = _check_range(start, end)
    ids, device = _owned(link, kind, device_id)
    return _savings(ids, kind, device.id, start, end, resolution, cached_only=cached_only)


def _savings(
    ids: Ids, kind: str, device_id: str, start: datetime, end: datetime, resolution: str,
    cached_only: bool = False,
) -> HistoryResult[SavingsReport]:
    max_age, keep_for = _lifetimes(end, _now())

    def fetch() -> Any:
        return podero.get_client().get_device_savings(
            org_id=ids.org,
            user_id=ids.user,
            kind=kind,
            device_id=device_id,
            start=start,
            end=end,
            resolution=resolution,
        )

    key = _key(ids, kind, device_id, "savings", resolution, start.isoformat(), end.isoformat())
    return _read(key, fetch, parse_savings, max_age=max_age, keep_for=keep_for, cached_only=cached_only)


def heat_pump_statistics(
    *, link: LinkLike, device_id: str | uuid.UUID, resolutions: tuple[str, ...] = ("1DAY",)
) -> HistoryResult[SavingsReport]:
    """The heat pump's current buckets (the API picks the window), fresh for minutes."""
    if not resolutions or any(r not in SAVINGS_RESOLUTIONS for r in resolutions):
        raise HistoryRangeInvalid("unknown resolution")
    ids, device = _owned(link, "heat-pumps", device_id)

    def fetch() -> Any:
        return podero.get_client().get_heat_pump_statistics(
            org_id=ids.org, user_id=ids.user, device_id=device.id, resolutions=tuple(resolutions)
        )

    key = _key(ids, "heat-pumps", device.id, "statistics", ",".join(resolutions))
    return _read(key, fetch, parse_savings, max_age=CURRENT_FRESH_FOR)


# --- EV sessions ---------------------------------------------------------------------------------
def ev_sessions(
    *,
    link: LinkLike,
    device_id: str | uuid.UUID,
    first_day: date,
    last_day: date,
    limit: int = 50,
    offset: int = 0,
    cached_only: bool = False,
) -> HistoryResult[SessionPage]:
    """Completed sessions plugged in on UTC days [first_day, last_day], newest first, one page
    (`cached_only` as in `device_data`)."""
    if not isinstance(first_day, date) or not isinstance(last_day, date) or last_day < first_day:
        raise HistoryRangeInvalid("the range must end on or after its first day")
    if last_day - first_day > MAX_RANGE:
        raise HistoryRangeInvalid("the range is too long")
    if not 1 <= int(limit) <= SESSION_LIMIT_MAX or int(offset) < 0:
        raise HistoryRangeInvalid("page out of range")
    ids, device = _owned(link, "electric-vehicles", device_id)
    closed = last_day < _now().date()  # a day that is over gets no new sessions
    max_age, keep_for = (CLOSED_FRESH_FOR, CLOSED_KEEP_FOR) if closed else (CURRENT_FRESH_FOR, KEEP_FOR)

    def fetch() -> Any:
        return podero.get_client().list_ev_sessions(
            org_id=ids.org,
            user_id=ids.user,
            device_id=device.id,
            first_day=first_day,
            last_day=last_day,
            limit=limit,
            offset=offset,
        )

    key = _key(ids, "electric-vehicles", device.id, "sessions", first_day, last_day, limit, offset)
    return _read(
        key,
        fetch,
        lambda raw: parse_session_page(raw, limit=limit, offset=offset),
        max_age=max_age,
        keep_for=keep_for,
        cached_only=cached_only,
    )


def ev_current_session(
    *, link: LinkLike, device_id: str | uuid.UUID, cached_only: bool = False
) -> HistoryResult[ChargingSession]:
    """The session of a plugged-in car (value None when nothing is plugged in), fresh for 30 s."""
    ids, device = _owned(link, "electric-vehicles", device_id)

    def fetch() -> Any:
        return podero.get_client().get_ev_current_session(
            org_id=ids.org, user_id=ids.user, device_id=device.id
        )

    key = _key(ids, "electric-vehicles", device.id, "sessions-current")
    return _read(key, fetch, parse_current_session, max_age=SESSION_FRESH_FOR, cached_only=cached_only)


# --- The household's savings (home page) ---------------------------------------------------------
@dataclass
class PeriodSavings:
    start: datetime
    end: datetime
    eur: float | None = None  # None: not known (never shown as "€ 0.00")
    percent: float | None = None

    @property
    def known(self) -> bool:
        return self.eur is not None


@dataclass
class DeviceSavings:
    device: Device
    periods: dict[str, PeriodSavings]
    error: str | None = None
    fetched_at: float | None = None


@dataclass
class SavingsSummary:
    """This month, last month and the same month last year, per device and in total."""

    devices: list[DeviceSavings]
    totals: dict[str, PeriodSavings]
    error: str | None = None
    devices_error: str | None = None  # the device lists themselves could not be loaded

    @property
    def fetched_at(self) -> datetime | None:
        stamps = [d.fetched_at for d in self.devices if d.fetched_at is not None]
        return datetime.fromtimestamp(min(stamps), UTC) if stamps else None


def summary_periods(now: datetime, tz: str) -> dict[str, tuple[datetime, datetime]]:
    """The three months in the homeowner's time zone, as UTC instants."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)

    def month(year: int, month: int) -> datetime:
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        return datetime(year, month, 1, tzinfo=zone).astimezone(UTC)

    this = month(local.year, local.month)
    return {
        "this_month": (this, now.astimezone(UTC)),
        "last_month": (month(local.year, local.month - 1), this),
        "last_year": (month(local.year - 1, local.month), month(local.year - 1, local.month + 1)),
    }


def household_savings_summary(
    *, link: LinkLike, tz: str = "Europe/Vienna", now: datetime | None = None
) -> SavingsSummary:
    """What Podero saved the homeowner, per device and in total, for three months.

    One savings call per device and month, in parallel; closed months are cached for hours, this month
    for minutes. Month boundaries are the homeowner's local midnights.
    """
    ids = Ids.of(link)
    now = now or _now()
    periods = summary_periods(now, tz)
    overview = device_overview(link=link)
    devices = [d for d in overview.devices if d.api_kind in KINDS and d.id]
    jobs = {
        (device.id, name): _pool.submit(
            contextvars.copy_context().run, _savings, ids, device.api_kind, device.id, start, end, "1MONTH"
        )
        for device in devices
        for name, (start, end) in periods.items()
    }
    rows: list[DeviceSavings] = []
    errors: list[str] = []
    for device in devices:
        row = DeviceSavings(device=device, periods={})
        for name, (start, end) in periods.items():
            result = jobs[(device.id, name)].result()
            row.periods[name] = _period(result, start, end)
            if result.error:
                row.error = row.error or result.error
                errors.append(result.error)
            if result.fetched_at is not None:
                row.fetched_at = min(row.fetched_at or result.fetched_at, result.fetched_at)
        rows.append(row)
    totals = {name: _total(name, start, end, rows) for name, (start, end) in periods.items()}
    return SavingsSummary(
        devices=rows,
        totals=totals,
        error=errors[0] if errors else None,
        devices_error=overview.error if overview.never_loaded else None,
    )


def _period(result: HistoryResult[SavingsReport], start: datetime, end: datetime) -> PeriodSavings:
    period = PeriodSavings(start=start, end=end)
    report = result.value
    if report is None:
        return period
    known = [b for b in report.buckets if b.known]
    if known:
        period.eur = sum(b.savings_eur or 0.0 for b in known)
        # The share of the baseline cost: each bucket's baseline is savings / percentage. A bucket
        # without a percentage but with nothing saved (a quiet sliver of a month) changes neither.
        rated = [b for b in known if b.savings_percent]
        unrated = [b for b in known if not b.savings_percent and b.savings_eur]
        baseline = sum((b.savings_eur or 0.0) / ((b.savings_percent or 1.0) / 100) for b in rated)
        period.percent = period.eur / baseline * 100 if rated and not unrated and baseline > 0 else None
    return period


def _total(name: str, start: datetime, end: datetime, rows: list[DeviceSavings]) -> PeriodSavings:
    total = PeriodSavings(start=start, end=end)
    known = [row.periods[name] for row in rows if row.periods[name].known]
    if not known:
        return total
    total.eur = sum(p.eur or 0.0 for p in known)
    if all(p.percent for p in known):
        baseline = sum((p.eur or 0.0) / (p.percent / 100) for p in known if p.percent)
        total.percent = total.eur / baseline * 100 if baseline else None
    return total


__all__ = [
    "CLOSED_FRESH_FOR",
    "CURRENT_FRESH_FOR",
    "SESSION_FRESH_FOR",
    "DeviceSavings",
    "HistoryRangeInvalid",
    "HistoryResult",
    "PeriodSavings",
    "SavingsSummary",
    "device_data",
    "device_savings",
    "ev_current_session",
    "ev_sessions",
    "heat_pump_statistics",
    "household_savings_summary",
    "summary_periods",
]
