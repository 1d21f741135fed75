"""The answers of /data, /savings and /statistics, aggregated from the day series."""


from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .. import clock
from ..models import Device
from .constants import BOOL_FIELDS, MONEY_UNIT, ROUNDING, SLOTS_PER_DAY, SUM_FIELDS
from .prices import buckets
from .series import clip, day_parts, day_series
from .sessions import history_sessions
from .spec import DaySeries, Spec


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
