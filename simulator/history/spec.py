"""What a device's history depends on (its stored facts), and one UTC day of 15-minute slots."""


from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ..models import Device
from .constants import SLOT, SLOTS_PER_DAY
from .prices import ceil_slot, floor_slot


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



def _slot_times(day: date) -> list[datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return [start + SLOT * i for i in range(SLOTS_PER_DAY)]


