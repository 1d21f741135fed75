"""A day-ahead-like price curve per price zone, and the UTC bucket grid."""


from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .. import physics
from .constants import DAY, SLOT, SLOTS_PER_DAY

# --- Prices -----------------------------------------------------------------------------------
# Where each price zone's day starts, and its mean day-ahead level in €/MWh (a plausible recent year).
ZONE_TZ = {
    "AT": "Europe/Vienna",
    "AT_HOURLY": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "CH": "Europe/Zurich",
    "EE": "Europe/Tallinn",
    "DE_LU": "Europe/Berlin",
    "HU": "Europe/Budapest",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SE_1": "Europe/Stockholm",
    "SE_2": "Europe/Stockholm",
    "SE_3": "Europe/Stockholm",
    "SE_4": "Europe/Stockholm",
    "UK": "Europe/London",
}
ZONE_LEVEL = {
    "AT": 95.0,
    "AT_HOURLY": 95.0,
    "BE": 90.0,
    "CH": 100.0,
    "EE": 85.0,
    "DE_LU": 90.0,
    "HU": 105.0,
    "IT": 110.0,
    "PT": 70.0,
    "RO": 100.0,
    "SE_1": 35.0,
    "SE_2": 38.0,
    "SE_3": 55.0,
    "SE_4": 72.0,
    "UK": 95.0,
}
HOURLY_ZONES = frozenset({"AT_HOURLY", "UK"})  # still traded per hour; the others per 15 minutes


def _zone_tz(zone: str) -> ZoneInfo:
    return physics._zone(ZONE_TZ.get(zone, "Europe/Rome" if zone.startswith("IT_") else "Europe/Vienna"))


def _zone_level(zone: str) -> float:
    return ZONE_LEVEL.get(zone, ZONE_LEVEL["IT"] if zone.startswith("IT_") else ZONE_LEVEL["AT"])


@functools.lru_cache(maxsize=8192)
def day_prices(zone: str, day: date) -> tuple[float, ...]:
    """The 96 quarter-hour prices (€/MWh) of one UTC day in `zone`."""
    zone = zone or "AT"
    tz = _zone_tz(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    hourly = zone in HOURLY_ZONES
    prices = []
    for i in range(SLOTS_PER_DAY):
        at = start + SLOT * (i - i % 4 if hourly else i)
        local = at.astimezone(tz)
        prices.append(_price(zone, local, hourly))
    return tuple(prices)


def _price(zone: str, local: datetime, hourly: bool) -> float:
    doy = local.timetuple().tm_yday
    winter = math.cos(2 * math.pi * (doy - 15) / 365.25)  # +1 in mid-January, -1 in mid-July
    level = _zone_level(zone) * (1 + 0.18 * winter) * (0.8 + 0.4 * physics.unit_hash(zone, local.date(), "p"))
    if local.weekday() >= 5:
        level *= 0.85  # weekend demand
    h = local.hour + 0.5 if hourly else physics.local_hours(local) + 0.125
    solar_dip = 0.2 + 0.25 * (1 - winter) / 2  # deeper and wider around noon in summer
    shape = (
        0.8
        + 0.35 * math.exp(-(((h - 6.75) / 1.0) ** 2))
        + 0.6 * math.exp(-(((h - 20.0) / 2.4) ** 2))
        - solar_dip * math.exp(-(((h - 13.0) / 3.0) ** 2))
        - 0.12 * math.exp(-(((h - 3.5) / 2.2) ** 2))
        + 0.06 * (physics.unit_hash(zone, local.date(), local.hour) - 0.5)
    )
    return round(level * shape, 2)


def price_at(zone: str, at: datetime) -> float:
    start = floor_slot(at)
    return day_prices(zone, start.date())[_slot_index(start)]


# --- Grids ------------------------------------------------------------------------------------
def floor_slot(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def ceil_slot(at: datetime) -> datetime:
    floored = floor_slot(at)
    return floored if floored == at else floored + SLOT


def _slot_index(at: datetime) -> int:
    return at.hour * 4 + at.minute // 15


def bucket_start(at: datetime, resolution: str) -> datetime:
    """The UTC bucket containing `at`."""
    at = at.astimezone(UTC)
    if resolution == "15MIN":
        return floor_slot(at)
    if resolution == "1HOUR":
        return at.replace(minute=0, second=0, microsecond=0)
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if resolution == "1DAY":
        return midnight
    if resolution == "1WEEK":
        return midnight - timedelta(days=midnight.weekday())
    if resolution == "1MONTH":
        return midnight.replace(day=1)
    if resolution == "1QUARTER":
        return midnight.replace(month=(midnight.month - 1) // 3 * 3 + 1, day=1)
    if resolution == "1YEAR":
        return midnight.replace(month=1, day=1)
    raise ValueError(resolution)


def bucket_end(start: datetime, resolution: str) -> datetime:
    steps = {"15MIN": SLOT, "1HOUR": timedelta(hours=1), "1DAY": DAY, "1WEEK": timedelta(days=7)}
    if resolution in steps:
        return start + steps[resolution]
    months = {"1MONTH": 1, "1QUARTER": 3, "1YEAR": 12}[resolution]
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


def buckets(lo: datetime, hi: datetime, resolution: str) -> Iterator[tuple[datetime, datetime]]:
    """The buckets that overlap [lo, hi), first aligned to the grid."""
    start = bucket_start(lo, resolution)
    while start < hi:
        end = bucket_end(start, resolution)
        yield start, end
        start = end


def bucket_count(lo: datetime, hi: datetime, resolution: str) -> int:
    """How many buckets `buckets()` yields, without walking them (for the size limits)."""
    if hi <= lo:
        return 0
    fixed = {"15MIN": SLOT, "1HOUR": timedelta(hours=1), "1DAY": DAY, "1WEEK": timedelta(days=7)}
    if resolution in fixed:
        return math.ceil((hi - bucket_start(lo, resolution)) / fixed[resolution])
    months = {"1MONTH": 1, "1QUARTER": 3, "1YEAR": 12}[resolution]
    first = bucket_start(lo, resolution)
    return ((hi.year - first.year) * 12 + hi.month - first.month) // months + 1


