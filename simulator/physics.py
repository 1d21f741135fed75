"""Pure functions from (stored facts, instant) to device readings. No database, no clock, no randomness.

Everything here is deterministic: the same facts and the same instant always give the same numbers,
so a frozen clock gives reproducible payloads and advancing it moves them. Day-to-day variety (a
cloudy day, a cold day) comes from hashing the device id with the date, not from `random`.
Local time (the owner's timezone) drives the daily shapes: the sun, the household, the heat pump.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

STEP = timedelta(minutes=5)  # battery integration step: the docs' state refresh grid
BATTERY_MAX_POWER_W = 5000  # a typical 10 kWh home battery's inverter limit
KM_PER_KWH = 6.0  # mid-size EV efficiency: 42 % of 75 kWh ≈ 190 km, as in the fact sheet's example
HP_MODES_BY_HOUR = (  # what Podero would run at each local hour on a typical day-ahead price curve
    "max",
    "max",
    "max",
    "max",
    "mid",
    "low",
    "min",
    "min",
    "min",
    "low",
    "mid",
    "max",
    "max",
    "max",
    "mid",
    "low",
    "min",
    "min",
    "min",
    "min",
    "low",
    "mid",
    "mid",
    "max",
)
MODE_POWER_FACTOR = {"min": 0.6, "low": 0.85, "mid": 1.0, "max": 1.35}
MODE_TARGET_OFFSET = {"min": -1.0, "low": -0.5, "mid": 0.0, "max": 1.5}
MODE_FLOW_OFFSET = {"min": -2.0, "low": -1.0, "mid": 0.0, "max": 3.0}


# --- Shared helpers ---------------------------------------------------------------------------
def unit_hash(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) for the given parts (device id, date, ...)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def local_hours(dt: datetime) -> float:
    return dt.hour + dt.minute / 60 + dt.second / 3600


def _season(doy: int) -> float:
    """-1 at the winter solstice, +1 at the summer solstice."""
    return math.sin(2 * math.pi * (doy - 80) / 365.25)


def _tz(name: str) -> ZoneInfo:
    return _zone(name)


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# --- Weather and household --------------------------------------------------------------------
def outdoor_temperature(local: datetime, seed: str) -> float:
    """Seasonal mean (≈ -1 °C in January, 20 °C in July) plus a daily swing peaking at 15:00."""
    mean = _daily_mean_temperature(seed, local.date())
    swing = 4.5 * math.cos(2 * math.pi * (local_hours(local) - 15) / 24)
    return round(mean + swing, 1)


@functools.lru_cache(maxsize=4096)
def _daily_mean_temperature(seed: str, day: date) -> float:
    doy = day.timetuple().tm_yday
    return 9.5 - 10.5 * math.cos(2 * math.pi * (doy - 20) / 365.25) + 4 * (unit_hash(seed, day, "t") - 0.5)


def solar_production_w(local: datetime, rating_kw: float, seed: str) -> int:
    """A bell over the daylight hours, peaking near solar noon; zero at night; weather varies by day."""
    doy = local.timetuple().tm_yday
    daylight = 12 + 3.8 * _season(doy)  # ≈ 8 h in December, ≈ 16 h in June (central Europe)
    noon = 12.25 + (1 if local.dst() else 0)  # solar noon in local clock time
    h = local_hours(local)
    rise = noon - daylight / 2
    x = (h - rise) / daylight
    if x <= 0 or x >= 1:
        return 0
    shape = math.sin(math.pi * x) ** 1.6
    season = 0.6 + 0.25 * _season(doy)  # low winter sun
    weather = 0.65 + 0.35 * unit_hash(seed, local.date(), "sun")  # a cloudy day still produces
    ripple = 0.92 + 0.08 * math.sin(2.7 * h + 10 * unit_hash(seed, "phase"))  # passing clouds
    return max(0, int(rating_kw * 1000 * shape * season * weather * ripple))


def household_consumption_w(local: datetime, seed: str) -> int:
    """Base load plus a morning and a larger evening peak, with a slow wobble."""
    h = local_hours(local)
    base = 280 + 80 * unit_hash(seed, local.date(), "base")
    morning = 650 * math.exp(-(((h - 7.3) / 0.9) ** 2))
    evening = 1100 * math.exp(-(((h - 19.0) / 1.7) ** 2))
    midday = 300 * math.exp(-(((h - 12.5) / 1.0) ** 2))
    wobble = 120 * (0.5 + 0.5 * math.sin(2 * math.pi * h / 2.5 + 6 * unit_hash(seed, "w")))
    return int(base + morning + evening + midday + wobble)


# --- Inverter ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class InverterReading:
    solar_w: int
    household_w: int
    battery_w: int  # + discharging, − charging (new sign convention)
    battery_percent: int | None
    grid_w: int  # + export, − import

    @property
    def surplus_w(self) -> int:
        return self.solar_w - self.household_w


def inverter_reading(at: datetime, tz: str, attrs: dict[str, Any], seed: str) -> InverterReading:
    """Solar, household, battery and grid at `at`; the battery is integrated since the last 06:00 local."""
    zone = _tz(tz)
    rating = float(attrs.get("solar_power_rating_kw") or 0)
    local = at.astimezone(zone)
    solar = solar_production_w(local, rating, seed)
    house = household_consumption_w(local, seed)
    capacity = float(attrs.get("battery_capacity_kwh") or 0)
    if not attrs.get("is_battery_connected") or capacity <= 0:
        return InverterReading(solar, house, 0, None, solar - house)
    lo = float(attrs.get("min_battery_charge") or 0)
    hi = float(attrs.get("max_battery_charge") or 100)
    soc, power = _battery_at(at, zone, rating, capacity, lo, hi, seed)
    return InverterReading(solar, house, power, round(soc), solar - house + power)


def _battery_at(
    at: datetime, zone: ZoneInfo, rating: float, capacity_kwh: float, lo: float, hi: float, seed: str
) -> tuple[float, int]:
    """State of charge and power at `at`: start just above the reserve at 06:00 local, then step 5 min."""
    local = at.astimezone(zone)
    start_local = local.replace(hour=6, minute=0, second=0, microsecond=0)
    if start_local > local:
        start_local -= timedelta(days=1)
    start = start_local.astimezone(UTC)
    day = _battery_day(start, str(zone.key), rating, capacity_kwh, lo, hi, seed)
    index = min(len(day) - 1, int((at - start) / STEP))
    return day[index]


@functools.lru_cache(maxsize=512)
def _battery_day(
    start: datetime, tz: str, rating: float, capacity_kwh: float, lo: float, hi: float, seed: str
) -> tuple[tuple[float, int], ...]:
    """(state of charge, power) at each 5-minute step of one 06:00-to-06:00 day (26 h covers DST days).

    Cached: every reader of the same inverter on the same day shares one integration.
    """
    zone = _tz(tz)
    soc = min(hi, lo + 5)
    step_h = STEP.total_seconds() / 3600
    steps: list[tuple[float, int]] = []
    t = start
    for _ in range(int(timedelta(hours=26) / STEP)):
        tl = t.astimezone(zone)
        power = _battery_power(
            solar_production_w(tl, rating, seed) - household_consumption_w(tl, seed),
            soc,
            capacity_kwh,
            lo,
            hi,
            step_h,
        )
        steps.append((soc, power))
        soc -= power * step_h / 1000 / capacity_kwh * 100
        t += STEP
    return tuple(steps)


def _battery_power(
    surplus_w: int, soc: float, capacity_kwh: float, lo: float, hi: float, step_h: float
) -> int:
    """Self-consumption policy: soak up surplus, cover deficits, within limits and reserve."""
    room_w = max(0.0, (hi - soc) / 100 * capacity_kwh * 1000 / step_h)
    stock_w = max(0.0, (soc - lo) / 100 * capacity_kwh * 1000 / step_h)
    if surplus_w > 0:
        return -int(min(surplus_w, BATTERY_MAX_POWER_W, room_w))
    return int(min(-surplus_w, BATTERY_MAX_POWER_W, stock_w))


@functools.lru_cache(maxsize=4096)
def household_kwh_on(seed: str, tz: str, day: date) -> float:
    """Household energy over one local day (hourly samples; good enough for a daily total)."""
    zone = _tz(tz)
    total_w = sum(
        household_consumption_w(datetime(day.year, day.month, day.day, hour, 30, tzinfo=zone), seed)
        for hour in range(24)
    )
    return total_w / 1000


# --- Heat pump --------------------------------------------------------------------------------
def heat_pump_mode(local: datetime, optimizing: bool) -> str | None:
    return HP_MODES_BY_HOUR[local.hour] if optimizing else None


def heat_pump_reading(at: datetime, tz: str, attrs: dict[str, Any], seed: str) -> dict[str, Any]:
    """Power and temperatures of an air-to-water heat pump; smooth sinusoids around physical trends."""
    local = at.astimezone(_tz(tz))
    h = local_hours(local)
    mode = heat_pump_mode(local, bool(attrs.get("is_smart_optimization_active")))
    outdoor = outdoor_temperature(local, seed)
    phase = 6 * unit_hash(seed, "hp")
    space = max(0.0, 18 - outdoor) * 110 if attrs.get("is_space_heating_enabled", True) else 0.0
    dhw_on = attrs.get("is_hot_water_heating_enabled", True) and (h % 6) < 0.75  # a 45-min reheat every 6 h
    power = space * MODE_POWER_FACTOR.get(mode or "mid", 1.0) + (900 if dhw_on else 0) + 40
    power *= 1 + 0.08 * math.sin(2 * math.pi * h / 1.5 + phase)
    if attrs.get("is_pause_power_active"):
        power = 0
    target = attrs.get("indoor_target_temperature")
    offset = MODE_TARGET_OFFSET[mode] if mode else float(attrs.get("indoor_target_temperature_offset") or 0.0)
    base = target if target is not None else 21.0
    indoor = round(base + offset * 0.4 + 0.25 * math.sin(2 * math.pi * h / 5 + phase), 1)
    outlet = min(
        55.0, max(24.0, 24 + max(0.0, 20 - outdoor) * 0.9 + MODE_FLOW_OFFSET.get(mode or "mid", 0.0))
    )
    outlet += 0.4 * math.sin(2 * math.pi * h / 2 + phase)
    inlet = outlet - (4.5 + 0.5 * math.sin(2 * math.pi * h / 3 + phase))
    dhw_set = float(attrs.get("dhw_standard_temperature") or 48.0)
    return {
        "current_mode": mode,
        "current_power_consumption_w": int(power),
        "outdoor_temperature": outdoor,
        "indoor_actual_temperature": indoor if attrs.get("has_indoor_sensor", True) else None,
        "indoor_target_temperature": target,
        "indoor_target_temperature_offset": offset,
        "inlet_temperature": round(inlet, 1),
        "outlet_temperature": round(outlet, 1),
        "dhw_temperature": round(
            dhw_set + 1 - 5 * ((h % 6) / 6), 1
        ),  # reheated, then cools until the next cycle
    }


@functools.lru_cache(maxsize=4096)
def heat_pump_kwh_on(seed: str, day: date) -> float:
    """Daily energy from the day's mean outdoor temperature, plus hot water."""
    return round(max(0.0, 18 - _daily_mean_temperature(seed, day)) * 0.11 * 24 + 3.6, 2)


# --- Electric vehicle -------------------------------------------------------------------------
@dataclass(frozen=True)
class EvReading:
    level: float  # percent, unrounded
    is_charging: bool
    is_fully_charged: bool
    charge_rate_w: int
    boost_state: str


def ev_reading(
    at: datetime, facts: dict[str, Any], attrs: dict[str, Any], *, authenticated: bool
) -> EvReading:
    """Battery level, charging flags and boost state of an EV at `at`.

    facts: `plugged_in`, `level` (%) at `anchor_at`, `charging` (None | "boost" | "smart"),
    `charge_start_at` (energy flows from then; for a boost, the end of the `requested` phase),
    `charger_power_w`. The level rises linearly with power × time / capacity up to the cap
    (`charge_target_max`, else 100 %); reaching the cap ends the session (fully charged).
    """
    cap = float(attrs.get("charge_target_max") or 100)
    capacity = float(attrs.get("battery_capacity_kwh") or 1)
    level = float(facts.get("level", 0))
    plugged = bool(facts.get("plugged_in"))
    charging = facts.get("charging") if plugged else None
    start = _dt(facts.get("charge_start_at")) or _dt(facts.get("anchor_at")) or at
    anchor = _dt(facts.get("anchor_at")) or at
    power = int(facts.get("charger_power_w") or 11000)
    if charging and at > start and level < cap:
        hours = max(0.0, (at - max(anchor, start)).total_seconds() / 3600)
        level = min(cap, level + power * hours / 1000 / capacity * 100)
    full = level >= cap
    requested = charging == "boost" and at < start and not full
    flowing = bool(charging) and at >= start and not full
    if not plugged or full:
        state = "unavailable"
    elif requested:
        state = "requested"
    elif flowing:
        state = "ongoing" if charging == "boost" else "unavailable"
    else:
        state = "available" if authenticated else "unavailable"
    return EvReading(
        level=level,
        is_charging=flowing,
        is_fully_charged=full,
        charge_rate_w=power if flowing else 0,
        boost_state=state,
    )


def driving_range_km(level: float, capacity_kwh: float) -> int:
    return round(level / 100 * capacity_kwh * KM_PER_KWH)


@functools.lru_cache(maxsize=4096)
def ev_kwh_on(seed: str, day: date) -> float:
    return round(4 + 10 * unit_hash(seed, day, "ev"), 2)


def _dt(value: Any) -> datetime | None:
    if not value:
        return None
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def period_totals(per_day: Any, today: date) -> tuple[float, float, float]:
    """Last day / last 7 days / last 30 days, each ending with yesterday (complete local days)."""
    days = [today - timedelta(days=n) for n in range(1, 31)]
    values = [per_day(d) for d in days]
    return round(values[0], 2), round(sum(values[:7]), 2), round(sum(values), 2)
