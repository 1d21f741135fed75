"""Device history generated on the fly: prices, consumption, savings and EV charging sessions.

Nothing here is stored row by row. Every value is a pure function of the device's stored facts, its
owner's time zone and the UTC instant, built from the same `physics` as the live readings:
* a day-ahead-like price curve in €/MWh per price zone (cheap at night and around solar noon,
  expensive in the morning and evening peaks), constant per 15 minutes (per hour in hourly zones);
* the heat pump's unoptimized baseline (no optimization mode) and its optimized consumption
  (`physics.HP_MODES_BY_HOUR` shifts it into the cheap hours);
* the inverter's grid exchange with the battery Podero steers versus without it;
* EV charging sessions: the car drives the cards' daily `ev_kwh_on`, plugs in some evenings, and
  Podero charges it in the cheapest slots before the deadline; energy = battery rise × capacity.

Time follows the docs: every timestamp is UTC (fact sheet §6), session days are UTC days (addendum
§1a), and buckets (1DAY…1YEAR) are UTC calendar buckets. A local day in Europe/Vienna asked as
[local midnight, next local midnight) therefore holds 23 or 25 hourly points on DST days.
Data exist from the device's `first_data_at` up to the last complete 15-minute slot. Synthesised EV
sessions end before the device was registered here (`created_at`); from then on the live facts
(`physics.ev_reading`) drive the battery, and a plugged-in car is the current session.
Money is summed in integer units of 1e-4 € per UTC day, so buckets add up exactly.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from . import clock, physics
from .models import Device

SLOT = timedelta(minutes=15)
SLOT_H = 0.25
SLOTS_PER_DAY = 96
DAY = timedelta(days=1)
MONEY_UNIT = 10_000  # savings and costs are integers of 1e-4 €: daily buckets sum to the month exactly
MIN_SOC = 10.0  # a driver recharges before the battery falls below this
SESSION_GAP_DAYS = 4  # the car is plugged in at least every fourth evening
PLUG_CHANCE = 0.45  # ... and on about half of the other evenings
AWAY_CHANCE = 0.08  # share of sessions charged away from home (not optimized)

DATA_RESOLUTIONS = ("15MIN", "1HOUR", "1DAY", "1WEEK", "1MONTH")
SAVINGS_RESOLUTIONS = ("1DAY", "1WEEK", "1MONTH", "1QUARTER", "1YEAR")

HP_KEYWORDS = (
    "inlet_temp_act",
    "hot_water_temp",
    "estimated_consumption",
    "unoptimized_consumption",
    "price",
)
HP_EXTRA_FIELDS = ("simulated_consumption", "estimated_consumption_filtered")
EV_KEYWORDS = (
    "price",
    "battery_level",
    "is_charging",
    "is_plugged_in",
    "is_at_optimized_location",
    "estimated_consumption",
    "unoptimized_consumption",
)
INVERTER_KEYWORDS = (
    "export_power_to_grid_w",
    "battery_charge_level_percent",
    "battery_charge_discharge_power_w",
    "household_consumption_w",
    "solar_production_w",
)
INVERTER_EXTRA_FIELDS = ("price", "estimated_consumption", "unoptimized_consumption")
KEYWORDS = {
    Device.HEAT_PUMP: HP_KEYWORDS,
    Device.ELECTRIC_VEHICLE: EV_KEYWORDS,
    Device.INVERTER: INVERTER_KEYWORDS,
}
FIELDS = {
    Device.HEAT_PUMP: HP_KEYWORDS + HP_EXTRA_FIELDS,
    Device.ELECTRIC_VEHICLE: EV_KEYWORDS,
    Device.INVERTER: INVERTER_KEYWORDS + INVERTER_EXTRA_FIELDS,
}
SUM_FIELDS = frozenset(
    {
        "estimated_consumption",
        "unoptimized_consumption",
        "simulated_consumption",
        "estimated_consumption_filtered",
    }
)
BOOL_FIELDS = frozenset({"is_charging", "is_plugged_in", "is_at_optimized_location"})
ROUNDING = {
    "price": 2,
    "inlet_temp_act": 1,
    "hot_water_temp": 1,
    "battery_level": 1,
    "battery_charge_level_percent": 1,
}
DATA_UNITS = {
    "price": "EUR/MWh",
    "estimated_consumption": "Wh",
    "unoptimized_consumption": "Wh",
    "simulated_consumption": "Wh",
    "estimated_consumption_filtered": "Wh",
    "inlet_temp_act": "°C",
    "hot_water_temp": "°C",
    "battery_level": "%",
    "battery_charge_level_percent": "%",
    "export_power_to_grid_w": "W",
    "battery_charge_discharge_power_w": "W",
    "household_consumption_w": "W",
    "solar_production_w": "W",
}
SAVINGS_UNITS = {
    "savings.total": "EUR",
    "savings.percentage": "%",
    "consumption.total": "Wh",
    "estimated_consumption_wh": "Wh",
    "average_charge_power_w": "W",
    "solar_production_wh": "Wh",
    "grid_export_wh": "Wh",
}

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


# --- What a device's history depends on -------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """The hashable inputs of one device's history (cache key of every derived day)."""

    seed: str
    kind: str
    tz: str
    zone: str
    attrs: tuple[tuple[str, Any], ...]
    facts: tuple[tuple[str, Any], ...]
    first_data_at: datetime | None
    created_at: datetime

    @functools.cached_property
    def attr(self) -> dict[str, Any]:
        return dict(self.attrs)

    @functools.cached_property
    def fact(self) -> dict[str, Any]:
        return dict(self.facts)


_HP_ATTRS = (
    "is_smart_optimization_active",
    "is_space_heating_enabled",
    "is_hot_water_heating_enabled",
    "indoor_target_temperature",
    "indoor_target_temperature_offset",
    "has_indoor_sensor",
    "dhw_standard_temperature",
)
_EV_ATTRS = (
    "battery_capacity_kwh",
    "charge_target_max",
    "minimum_charge_limit",
    "charge_deadline_at",
    "is_smart_optimization_active",
)
_IV_ATTRS = (
    "solar_power_rating_kw",
    "is_battery_connected",
    "battery_capacity_kwh",
    "min_battery_charge",
    "max_battery_charge",
)
_EV_FACTS = (
    "plugged_in",
    "level",
    "anchor_at",
    "charging",
    "charge_start_at",
    "charger_power_w",
    "plugged_at",
    "plug_level",
)


def spec_of(device: Device) -> Spec:
    names = {Device.HEAT_PUMP: _HP_ATTRS, Device.ELECTRIC_VEHICLE: _EV_ATTRS, Device.INVERTER: _IV_ATTRS}
    facts = _EV_FACTS if device.kind == Device.ELECTRIC_VEHICLE else ()
    return Spec(
        seed=str(device.id),
        kind=device.kind,
        tz=device.owner.timezone or "UTC",
        zone=str(device.attrs.get("price_zone") or "AT"),
        attrs=tuple((k, _hashable(device.attrs.get(k))) for k in names[device.kind]),
        facts=tuple((k, _hashable(device.facts.get(k))) for k in facts),
        first_data_at=device.first_data_at,
        created_at=device.created_at,
    )


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)


def data_window(spec: Spec, now: datetime) -> tuple[datetime, datetime] | None:
    """[first complete slot with data, end of the last complete slot), or None if there is no data."""
    if spec.first_data_at is None or spec.first_data_at >= now:
        return None
    lo, hi = ceil_slot(spec.first_data_at), floor_slot(now)
    return (lo, hi) if lo < hi else None


# --- One UTC day of 15-minute slots -----------------------------------------------------------
@dataclass
class DaySeries:
    """Per-slot columns of one UTC day: the API fields plus the costs (€) behind the savings."""

    columns: dict[str, list[Any]]
    cost_opt: list[float]
    cost_unopt: list[float]
    consumption_wh: list[float]  # consumption.total: the device's own (or the household's) energy
    extra_wh: dict[str, list[float]] = field(default_factory=dict)  # kind sub-object energies


def day_series(spec: Spec, day: date) -> DaySeries:
    return _DAY_BUILDERS[spec.kind](spec, day)


def _slot_times(day: date) -> list[datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return [start + SLOT * i for i in range(SLOTS_PER_DAY)]


@functools.lru_cache(maxsize=2048)
def _heat_pump_day(spec: Spec, day: date) -> DaySeries:
    attrs = {**spec.attr, "is_pause_power_active": False}
    baseline = {**attrs, "is_smart_optimization_active": False}
    prices = day_prices(spec.zone, day)
    opt: list[float] = []
    unopt: list[float] = []
    inlet: list[float] = []
    dhw: list[float] = []
    for at in _slot_times(day):
        mid = at + SLOT / 2
        reading = physics.heat_pump_reading(mid, spec.tz, attrs, spec.seed)
        opt.append(reading["current_power_consumption_w"] * SLOT_H)
        unopt.append(
            physics.heat_pump_reading(mid, spec.tz, baseline, spec.seed)["current_power_consumption_w"]
            * SLOT_H
        )
        inlet.append(reading["inlet_temperature"])
        dhw.append(reading["dhw_temperature"])
    # The live modes scale power by hour; over a day Podero moves energy rather than adding it, so the
    # optimized run is rescaled to the baseline's daily energy (its shape still follows the modes).
    scale = sum(unopt) / sum(opt) if sum(opt) > 0 else 1.0
    opt = [wh * scale for wh in opt]
    hourly = [sum(opt[i - i % 4 : i - i % 4 + 4]) / 4 for i in range(SLOTS_PER_DAY)]
    filtered = [
        sum(opt[max(0, i - 1) : i + 2]) / len(opt[max(0, i - 1) : i + 2]) for i in range(SLOTS_PER_DAY)
    ]
    return DaySeries(
        columns={
            "price": list(prices),
            "inlet_temp_act": inlet,
            "hot_water_temp": dhw,
            "estimated_consumption": opt,
            "unoptimized_consumption": unopt,
            "simulated_consumption": hourly,  # the model's plan: the optimized run without its jitter
            "estimated_consumption_filtered": filtered,  # a 45-minute moving mean
        },
        cost_opt=[wh * p / 1e6 for wh, p in zip(opt, prices, strict=True)],
        cost_unopt=[wh * p / 1e6 for wh, p in zip(unopt, prices, strict=True)],
        consumption_wh=opt,
        extra_wh={"estimated_consumption_wh": opt},
    )


@functools.lru_cache(maxsize=2048)
def _inverter_day(spec: Spec, day: date) -> DaySeries:
    attrs = spec.attr
    prices = day_prices(spec.zone, day)
    cols: dict[str, list[Any]] = {name: [] for name in (*INVERTER_KEYWORDS, *INVERTER_EXTRA_FIELDS)}
    cost_opt: list[float] = []
    cost_unopt: list[float] = []
    for at, price in zip(_slot_times(day), prices, strict=True):
        r = physics.inverter_reading(at + SLOT / 2, spec.tz, attrs, spec.seed)
        cols["export_power_to_grid_w"].append(r.grid_w)
        cols["battery_charge_level_percent"].append(r.battery_percent)
        cols["battery_charge_discharge_power_w"].append(r.battery_w)
        cols["household_consumption_w"].append(r.household_w)
        cols["solar_production_w"].append(r.solar_w)
        cols["price"].append(price)
        cols["estimated_consumption"].append(max(0, -r.grid_w) * SLOT_H)  # import with the steered battery
        cols["unoptimized_consumption"].append(max(0, -r.surplus_w) * SLOT_H)  # import without it
        # Net energy cost: imports cost, exports earn, both at the slot's price.
        cost_opt.append(-r.grid_w * SLOT_H * price / 1e6)
        cost_unopt.append(-r.surplus_w * SLOT_H * price / 1e6)
    return DaySeries(
        columns=cols,
        cost_opt=cost_opt,
        cost_unopt=cost_unopt,
        consumption_wh=[w * SLOT_H for w in cols["household_consumption_w"]],
        extra_wh={
            "solar_production_wh": [w * SLOT_H for w in cols["solar_production_w"]],
            "grid_export_wh": [max(0, w) * SLOT_H for w in cols["export_power_to_grid_w"]],
        },
    )


# --- EV sessions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    id: str
    plug_in: datetime
    unplug: datetime | None
    deadline: datetime | None
    target_soc: float
    initial_soc: float
    final_soc: float | None
    energy_kwh: float
    power_w: int
    is_at_home: bool
    outcome: str | None
    charged: dict[datetime, float]  # slot start -> kWh, as it ran
    immediate: dict[datetime, float]  # slot start -> kWh, had it charged at once (the baseline)
    cost_eur: float
    baseline_cost_eur: float
    expected_savings_eur: float

    @property
    def charging_hours(self) -> float:
        return sum(kwh for kwh in self.charged.values()) / (self.power_w / 1000) if self.power_w else 0.0


def _ev_target(spec: Spec) -> float:
    cap = spec.attr.get("charge_target_max") or 100
    return float(min(cap, spec.attr.get("minimum_charge_limit") or 80))


def _ev_capacity(spec: Spec) -> float:
    return float(spec.attr.get("battery_capacity_kwh") or 60.0)


def _ev_power(spec: Spec) -> int:
    return int(spec.fact.get("charger_power_w") or 11000)


def _deadline_time(spec: Spec) -> time:
    text = str(spec.attr.get("charge_deadline_at") or "07:00")
    try:
        return time.fromisoformat(text[:5])
    except ValueError:
        return time(7, 0)


def _has_session(seed: str, day: date) -> bool:
    if day.toordinal() % SESSION_GAP_DAYS == int(physics.unit_hash(seed, "gap") * SESSION_GAP_DAYS):
        return True
    return physics.unit_hash(seed, day, "plug") < PLUG_CHANCE


def _local(spec: Spec, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=physics._zone(spec.tz)).astimezone(UTC)


def plug_in_time(spec: Spec, day: date) -> datetime:
    """The car comes home between 17:00 and 19:45 local time (cheap: no session is built)."""
    quarter = int(physics.unit_hash(spec.seed, day, "home") * 12)
    return _local(spec, day, time(17 + quarter // 4, quarter % 4 * 15))


def plan_charge(
    zone: str, start: datetime, end: datetime, energy_kwh: float, power_w: int, optimize: bool
) -> dict[datetime, float]:
    """kWh per slot: the cheapest slots in [start, end) when optimizing, else at once from `start`."""
    slots: list[datetime] = []
    at = ceil_slot(start)
    while at + SLOT <= end:
        slots.append(at)
        at += SLOT
    if not slots or energy_kwh <= 0 or power_w <= 0:
        return {}
    per_slot = power_w / 1000 * SLOT_H
    order = sorted(slots, key=lambda s: (price_at(zone, s), s)) if optimize else slots
    plan: dict[datetime, float] = {}
    left = energy_kwh
    for slot in order:
        if left <= 1e-9:
            break
        plan[slot] = min(per_slot, left)
        left -= plan[slot]
    return dict(sorted(plan.items()))


def _cost(zone: str, plan: dict[datetime, float]) -> float:
    return sum(kwh * price_at(zone, slot) / 1000 for slot, kwh in plan.items())  # €/MWh × kWh / 1000


@functools.lru_cache(maxsize=8192)
def _history_session(spec_key: tuple[Any, ...], spec: Spec, day: date) -> Session | None:
    """The synthesised session that starts on the evening of local `day`, or None."""
    if not _has_session(spec.seed, day):
        return None
    previous = next(
        (
            day - timedelta(days=k)
            for k in range(1, SESSION_GAP_DAYS + 1)
            if _has_session(spec.seed, day - timedelta(days=k))
        ),
        day - timedelta(days=SESSION_GAP_DAYS),
    )
    capacity, target, power = _ev_capacity(spec), _ev_target(spec), _ev_power(spec)
    driven_kwh = sum(
        physics.ev_kwh_on(spec.seed, previous + timedelta(days=k))
        for k in range(1, (day - previous).days + 1)
    )
    initial = max(MIN_SOC, target - driven_kwh / capacity * 100) if target > MIN_SOC else target
    energy = round((target - initial) / 100 * capacity, 3)
    plug_in = plug_in_time(spec, day)
    deadline = _local(spec, day + DAY, _deadline_time(spec))
    unplug = deadline + SLOT * int(physics.unit_hash(spec.seed, day, "leave") * 6)
    at_home = physics.unit_hash(spec.seed, day, "away") >= AWAY_CHANCE
    optimize = at_home and bool(spec.attr.get("is_smart_optimization_active", True))
    charged = plan_charge(spec.zone, plug_in, deadline, energy, power, optimize)
    immediate = plan_charge(spec.zone, plug_in, deadline, energy, power, False)
    delivered = sum(charged.values())
    cost, baseline = _cost(spec.zone, charged), _cost(spec.zone, immediate)
    return Session(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"podero-sim:{spec.seed}:session:{day.isoformat()}")),
        plug_in=plug_in,
        unplug=unplug,
        deadline=deadline if at_home else None,
        target_soc=target,
        initial_soc=initial,
        final_soc=initial + delivered / capacity * 100,
        energy_kwh=delivered,
        power_w=power,
        is_at_home=at_home,
        outcome="completed" if at_home else "not_at_home",
        charged=charged,
        immediate=immediate,
        cost_eur=cost,
        baseline_cost_eur=baseline,
        expected_savings_eur=baseline - cost,
    )


def _session_key(spec: Spec) -> tuple[Any, ...]:
    """The part of the spec a synthesised session depends on (the live facts do not move history)."""
    return (
        spec.seed,
        spec.tz,
        spec.zone,
        _ev_capacity(spec),
        _ev_target(spec),
        _ev_power(spec),
        _deadline_time(spec),
        bool(spec.attr.get("is_smart_optimization_active", True)),
    )


def history_session(spec: Spec, day: date) -> Session | None:
    """The session of local `day` if it belongs to the history (ended before the live facts took over)."""
    base = Spec(
        spec.seed,
        spec.kind,
        spec.tz,
        spec.zone,
        spec.attrs,
        (("charger_power_w", _ev_power(spec)),),
        None,
        spec.created_at,
    )
    session = _history_session(_session_key(spec), base, day)
    if session is None or session.unplug is None or session.unplug > spec.created_at:
        return None
    if spec.first_data_at is None or session.plug_in < spec.first_data_at:
        return None
    return session


def _local_day(spec: Spec, at: datetime) -> date:
    return at.astimezone(physics._zone(spec.tz)).date()


def history_sessions(spec: Spec, lo: datetime, hi: datetime) -> list[Session]:
    """Completed synthesised sessions plugged in within [lo, hi), oldest first."""
    hi = min(hi, spec.created_at + DAY)
    if spec.first_data_at is not None:
        lo = max(lo, spec.first_data_at)
    out = []
    day = _local_day(spec, lo) - DAY
    last = _local_day(spec, hi) + DAY
    while day <= last:
        if _has_session(spec.seed, day) and lo <= plug_in_time(spec, day) < hi:
            session = history_session(spec, day)
            if session is not None:
                out.append(session)
        day += DAY
    return out


def _live_plugged_since(spec: Spec) -> datetime:
    return clock.parse_iso(spec.fact.get("plugged_at")) or spec.created_at


def live_level(spec: Spec, at: datetime) -> physics.EvReading:
    return physics.ev_reading(at, spec.fact, spec.attr, authenticated=True)


def current_session(spec: Spec, now: datetime) -> dict[str, Any] | None:
    """The live session of a plugged-in car (`sessions/current`), or None."""
    if not spec.fact.get("plugged_in"):
        return None
    capacity, target, power = _ev_capacity(spec), _ev_target(spec), _ev_power(spec)
    plug_in = _live_plugged_since(spec)
    initial = float(
        spec.fact.get("plug_level")
        if spec.fact.get("plug_level") is not None
        else live_level(spec, plug_in).level
    )
    reading = live_level(spec, now)
    charged = _live_charged(spec, plug_in, now)
    energy = sum(charged.values())
    local_now = now.astimezone(physics._zone(spec.tz))
    deadline = datetime.combine(local_now.date(), _deadline_time(spec), tzinfo=local_now.tzinfo)
    if deadline <= local_now:
        deadline += DAY
    deadline = deadline.astimezone(UTC)
    remaining = max(0.0, (target - reading.level) / 100 * capacity)
    optimize = bool(spec.attr.get("is_smart_optimization_active", True))
    plan = plan_charge(spec.zone, now, deadline, remaining, power, optimize)
    baseline = plan_charge(spec.zone, now, deadline, remaining, power, False)
    cost = _cost(spec.zone, charged)
    rates = [kwh / SLOT_H for kwh in charged.values()]
    hours = energy / (power / 1000) if power else 0
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"podero-sim:{spec.seed}:live:{plug_in.isoformat()}")),
        "plug_in_time": clock.iso(plug_in),
        "unplug_time": None,
        "inferred_session_end": None,
        "desired_charging_start_time": clock.iso(min(plan)) if plan else None,
        "desired_charging_end_time": clock.iso(max(plan) + SLOT) if plan else None,
        "charge_deadline": clock.iso(deadline),
        "target_soc_pct": round(target, 1),
        "initial_soc_pct": round(initial, 1),
        "final_soc_pct": None,
        "energy_charged_kwh": round(energy, 3),
        "avg_charge_power_kw": round(energy / hours, 2) if hours else None,
        "peak_charge_power_kw": round(max(rates), 2) if rates else None,
        "actual_cost_eur": round(cost, 4),
        "expected_savings_eur": round(_cost(spec.zone, baseline) - _cost(spec.zone, plan), 4),
        "actual_savings_eur": None,
        "is_at_home": True,
        "session_outcome": "in_progress",
    }


def _live_charged(spec: Spec, lo: datetime, hi: datetime) -> dict[datetime, float]:
    """kWh per slot from the live battery level (rise × capacity) over [lo, hi)."""
    capacity = _ev_capacity(spec)
    out: dict[datetime, float] = {}
    at = floor_slot(lo)
    while at < hi:
        end = min(at + SLOT, hi)
        rise = live_level(spec, end).level - live_level(spec, max(at, lo)).level
        if rise > 0:
            out[at] = rise / 100 * capacity
        at += SLOT
    return out


def session_payload(session: Session) -> dict[str, Any]:
    """A SessionItem with every documented field (addendum §1a)."""
    charged = sorted(session.charged)
    hours = session.charging_hours
    return {
        "id": session.id,
        "plug_in_time": clock.iso(session.plug_in),
        "unplug_time": clock.iso(session.unplug),
        "inferred_session_end": clock.iso(session.unplug),
        "desired_charging_start_time": clock.iso(charged[0]) if charged else None,
        "desired_charging_end_time": clock.iso(charged[-1] + SLOT) if charged else None,
        "charge_deadline": clock.iso(session.deadline),
        "target_soc_pct": round(session.target_soc, 1),
        "initial_soc_pct": round(session.initial_soc, 1),
        "final_soc_pct": None if session.final_soc is None else round(session.final_soc, 1),
        "energy_charged_kwh": round(session.energy_kwh, 3),
        "avg_charge_power_kw": round(session.energy_kwh / hours, 2) if hours else None,
        "peak_charge_power_kw": round(max(session.charged.values()) / SLOT_H, 2) if charged else None,
        "actual_cost_eur": round(session.cost_eur, 4),
        "expected_savings_eur": round(session.expected_savings_eur, 4),
        "actual_savings_eur": round(session.baseline_cost_eur - session.cost_eur, 4),
        "is_at_home": session.is_at_home,
        "session_outcome": session.outcome,
    }


@functools.lru_cache(maxsize=2048)
def _ev_day(spec: Spec, day: date) -> DaySeries:
    """Battery level, plug and charge flags and charging energy per slot of one UTC day.

    Inside a session the level rises with the energy charged; between sessions it falls linearly
    (driving) from one session's final level to the next one's initial level; after the history
    ends (`created_at`) it falls to the live level and then follows `physics.ev_reading`.
    """
    prices = day_prices(spec.zone, day)
    capacity = _ev_capacity(spec)
    times = _slot_times(day)
    lo, hi = times[0] - timedelta(days=SESSION_GAP_DAYS + 2), times[-1] + timedelta(days=SESSION_GAP_DAYS + 2)
    sessions = history_sessions(
        Spec(
            spec.seed,
            spec.kind,
            spec.tz,
            spec.zone,
            spec.attrs,
            spec.facts,
            datetime.min.replace(tzinfo=UTC),
            spec.created_at,
        ),
        lo,
        hi,
    )
    live_from = spec.created_at
    live_start_level = live_level(spec, live_from).level
    plugged_since = _live_plugged_since(spec)
    cols: dict[str, list[Any]] = {name: [] for name in EV_KEYWORDS}
    opt: list[float] = []
    unopt: list[float] = []
    for at, price in zip(times, prices, strict=True):
        level, plugged, charging, home, kwh, base_kwh = _ev_slot(
            spec, sessions, at, capacity, live_from, live_start_level, plugged_since
        )
        cols["price"].append(price)
        cols["battery_level"].append(level)
        cols["is_charging"].append(charging)
        cols["is_plugged_in"].append(plugged)
        cols["is_at_optimized_location"].append(home)
        cols["estimated_consumption"].append(kwh * 1000)
        cols["unoptimized_consumption"].append(base_kwh * 1000)
        opt.append(kwh * 1000)
        unopt.append(base_kwh * 1000)
    return DaySeries(
        columns=cols,
        cost_opt=[wh * p / 1e6 for wh, p in zip(opt, prices, strict=True)],
        cost_unopt=[wh * p / 1e6 for wh, p in zip(unopt, prices, strict=True)],
        consumption_wh=opt,
        extra_wh={"estimated_consumption_wh": opt},
    )


def _ev_slot(
    spec: Spec,
    sessions: list[Session],
    at: datetime,
    capacity: float,
    live_from: datetime,
    live_start_level: float,
    plugged_since: datetime,
) -> tuple[float, bool, bool, bool, float, float]:
    """(level at slot start, plugged, charging, at home, kWh charged, baseline kWh) of one slot."""
    if at >= live_from:
        start, end = live_level(spec, at), live_level(spec, at + SLOT)
        kwh = max(0.0, (end.level - start.level) / 100 * capacity)
        plugged = bool(spec.fact.get("plugged_in")) and at >= plugged_since
        return start.level, plugged, start.is_charging or kwh > 0, plugged, kwh, kwh
    before = None
    for session in sessions:
        if session.plug_in <= at < session.unplug:
            done = sum(kwh for slot, kwh in session.charged.items() if slot < at)
            kwh = session.charged.get(at, 0.0)
            return (
                session.initial_soc + done / capacity * 100,
                True,
                kwh > 0,
                session.is_at_home,
                kwh,
                session.immediate.get(at, 0.0),
            )
        if session.unplug <= at:
            before = session
        elif session.plug_in > at:
            after_level, after_at = session.initial_soc, session.plug_in
            break
    else:
        after_level, after_at = live_start_level, live_from
    if before is None:
        return after_level, False, False, False, 0.0, 0.0
    share = (at - before.unplug) / (after_at - before.unplug) if after_at > before.unplug else 1.0
    final = before.final_soc if before.final_soc is not None else before.initial_soc
    return final + (after_level - final) * share, False, False, False, 0.0, 0.0


_DAY_BUILDERS = {
    Device.HEAT_PUMP: _heat_pump_day,
    Device.ELECTRIC_VEHICLE: _ev_day,
    Device.INVERTER: _inverter_day,
}


# --- Ranges of slots --------------------------------------------------------------------------
def day_parts(lo: datetime, hi: datetime) -> Iterator[tuple[date, int, int]]:
    """(UTC day, first slot, end slot) covering [lo, hi), both on the 15-minute grid."""
    at = lo
    while at < hi:
        day = at.date()
        next_day = datetime(day.year, day.month, day.day, tzinfo=UTC) + DAY
        end = min(hi, next_day)
        yield day, _slot_index(at), SLOTS_PER_DAY if end == next_day else _slot_index(end)
        at = end


def clip(spec: Spec, lo: datetime, hi: datetime, now: datetime) -> tuple[datetime, datetime] | None:
    """[lo, hi) on the slot grid, cut to where data exist."""
    window = data_window(spec, now)
    if window is None:
        return None
    lo, hi = max(ceil_slot(lo), window[0]), min(floor_slot(hi), window[1])
    return (lo, hi) if lo < hi else None


# --- /data ------------------------------------------------------------------------------------
def data_points(
    spec: Spec,
    lo: datetime,
    hi: datetime,
    resolution: str,
    keywords: tuple[str, ...],
    now: datetime,
    fill_missing: bool,
) -> list[dict[str, Any]]:
    """One point per bucket of [lo, hi) that has data (every bucket with nulls when `fill_missing`)."""
    points = []
    for start, end in buckets(lo, hi, resolution):
        span = clip(spec, max(start, lo), min(end, hi), now)
        if span is None:
            if fill_missing:
                points.append({"time": clock.iso(start), **dict.fromkeys(keywords)})
            continue
        values: dict[str, list[Any]] = {name: [] for name in keywords}
        for day, i0, i1 in day_parts(*span):
            series = day_series(spec, day)
            for name in keywords:
                values[name].extend(series.columns[name][i0:i1])
        points.append(
            {"time": clock.iso(start), **{name: _aggregate(name, values[name]) for name in keywords}}
        )
    return points


def _aggregate(name: str, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    if not present:
        return None
    if name in BOOL_FIELDS:
        return any(present)
    if name in SUM_FIELDS:
        return round(sum(present), 1)
    mean = sum(present) / len(present)
    digits = ROUNDING.get(name)
    return round(mean, digits) if digits is not None else int(round(mean))


# --- /savings and /statistics -----------------------------------------------------------------
@dataclass
class Totals:
    savings_u: int = 0  # 1e-4 €
    baseline_cost_u: int = 0
    consumption_wh: int = 0
    extra_wh: dict[str, int] = field(default_factory=dict)

    def add(self, other: Totals) -> None:
        self.savings_u += other.savings_u
        self.baseline_cost_u += other.baseline_cost_u
        self.consumption_wh += other.consumption_wh
        for key, value in other.extra_wh.items():
            self.extra_wh[key] = self.extra_wh.get(key, 0) + value


def _part_totals(spec: Spec, day: date, i0: int, i1: int) -> Totals:
    if i0 == 0 and i1 == SLOTS_PER_DAY:
        return _full_day_totals(spec, day)
    return _sum_slots(day_series(spec, day), i0, i1)


@functools.lru_cache(maxsize=8192)
def _full_day_totals(spec: Spec, day: date) -> Totals:
    return _sum_slots(day_series(spec, day), 0, SLOTS_PER_DAY)


def _sum_slots(series: DaySeries, i0: int, i1: int) -> Totals:
    saved = sum(series.cost_unopt[i0:i1]) - sum(series.cost_opt[i0:i1])
    return Totals(
        savings_u=round(saved * MONEY_UNIT),
        baseline_cost_u=round(sum(series.cost_unopt[i0:i1]) * MONEY_UNIT),
        consumption_wh=round(sum(series.consumption_wh[i0:i1])),
        extra_wh={key: round(sum(values[i0:i1])) for key, values in series.extra_wh.items()},
    )


def range_totals(spec: Spec, lo: datetime, hi: datetime) -> Totals:
    totals = Totals()
    for day, i0, i1 in day_parts(lo, hi):
        totals.add(_part_totals(spec, day, i0, i1))
    return totals


def savings_item(
    spec: Spec,
    start: datetime,
    end: datetime,
    span: tuple[datetime, datetime],
    resolution: str,
    *,
    savings: bool = True,
    consumption: bool = True,
) -> dict[str, Any]:
    """One StatisticsData item for the bucket [start, end), summed over `span` (where data exist)."""
    totals = range_totals(spec, *span)
    percentage = (
        round(totals.savings_u / totals.baseline_cost_u * 100, 1) if totals.baseline_cost_u > 0 else None
    )
    item: dict[str, Any] = {
        "resolution": resolution,
        "period": {"start_period": clock.iso(start), "end_period": clock.iso(end)},
        "savings": {"total": totals.savings_u / MONEY_UNIT, "percentage": percentage} if savings else None,
        "consumption": {"total": totals.consumption_wh} if consumption else None,
        "heat_pump": None,
        "electric_vehicle": None,
        "inverter": None,
    }
    if spec.kind == Device.HEAT_PUMP:
        item["heat_pump"] = {"estimated_consumption_wh": totals.extra_wh.get("estimated_consumption_wh", 0)}
    elif spec.kind == Device.ELECTRIC_VEHICLE:
        sessions = history_sessions(spec, *span)
        powers = [s.energy_kwh / s.charging_hours * 1000 for s in sessions if s.charging_hours]
        item["electric_vehicle"] = {
            "estimated_consumption_wh": totals.extra_wh.get("estimated_consumption_wh", 0),
            "charge_session_count": len(sessions),
            "average_charge_power_w": round(sum(powers) / len(powers)) if powers else None,
        }
    else:
        item["inverter"] = {
            "solar_production_wh": totals.extra_wh.get("solar_production_wh", 0),
            "grid_export_wh": totals.extra_wh.get("grid_export_wh", 0),
        }
    return item


def savings_items(
    spec: Spec, lo: datetime, hi: datetime, resolution: str, now: datetime
) -> list[dict[str, Any]]:
    """The buckets of [lo, hi) that hold data, each summed over its part of [lo, hi)."""
    items = []
    for start, end in buckets(lo, hi, resolution):
        span = clip(spec, max(start, lo), min(end, hi), now)
        if span is not None:
            items.append(savings_item(spec, start, end, span, resolution))
    return items
