"""A device's 15-minute series per UTC day, per kind, and ranges of slots."""


from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .. import physics
from ..models import Device
from .constants import (
    DAY,
    EV_KEYWORDS,
    INVERTER_EXTRA_FIELDS,
    INVERTER_KEYWORDS,
    SESSION_GAP_DAYS,
    SLOT,
    SLOT_H,
    SLOTS_PER_DAY,
)
from .prices import _slot_index, ceil_slot, day_prices, floor_slot
from .sessions import Session, _ev_capacity, _live_plugged_since, history_sessions, live_level
from .spec import DaySeries, Spec, _slot_times, data_window


def day_series(spec: Spec, day: date) -> DaySeries:
    return _DAY_BUILDERS[spec.kind](spec, day)



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


