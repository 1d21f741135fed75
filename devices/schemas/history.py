"""History payloads: time series, savings, charging sessions (fact sheet §2.1–2.2, addendum §1a).

The same forgiving rules as the devices: a null, a number sent as a string or a broken value becomes
None (a gap in a chart), a point without a readable time is dropped, unknown fields are kept in
`extra`. Units come from `metadata.units` when the payload names them; the fallbacks are the
addendum's (price €/MWh, energy Wh, money EUR).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .base import _extra
from .parsing import as_bool, as_datetime, as_float, as_int, as_str

DATA_FIELDS = {
    "heat-pumps": ("price", "inlet_temp_act", "hot_water_temp", "estimated_consumption",
                   "simulated_consumption", "unoptimized_consumption", "estimated_consumption_filtered"),
    "electric-vehicles": ("price", "battery_level", "is_charging", "is_plugged_in",
                          "is_at_optimized_location", "estimated_consumption", "unoptimized_consumption"),
    "inverters": ("export_power_to_grid_w", "battery_charge_level_percent",
                  "battery_charge_discharge_power_w", "household_consumption_w", "solar_production_w",
                  "price", "estimated_consumption", "unoptimized_consumption"),
}
BOOLEAN_DATA_FIELDS = frozenset({"is_charging", "is_plugged_in", "is_at_optimized_location"})
ENERGY_DATA_FIELDS = frozenset({"estimated_consumption", "simulated_consumption", "unoptimized_consumption",
                                "estimated_consumption_filtered"})
_ENERGY_TO_WH = {"wh": 1.0, "kwh": 1000.0, "mwh": 1e6}
_PRICE_TO_EUR_MWH = {"eur/mwh": 1.0, "€/mwh": 1.0, "eur/kwh": 1000.0, "€/kwh": 1000.0, "ct/kwh": 10.0,
                     "cent/kwh": 10.0}
_MONEY_TO_EUR = {"eur": 1.0, "€": 1.0, "ct": 0.01, "cent": 0.01, "cents": 0.01}


def _units(metadata: Any) -> dict[str, str]:
    units = metadata.get("units") if isinstance(metadata, Mapping) else None
    if not isinstance(units, Mapping):
        return {}
    return {str(k): str(v) for k, v in units.items() if isinstance(v, str | int | float)}


def _scaled(value: Any, unit: str | None, table: Mapping[str, float]) -> float | None:
    """`value` converted by the factor the unit names; an unknown unit is taken as the default one."""
    number = as_float(value)
    if number is None:
        return None
    factor = table.get((unit or "").strip().lower().replace(" ", ""), 1.0)
    return number * factor


def _unit_for(units: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if units.get(name):
            return units[name]
    return None


@dataclass
class DataPoint:
    time: datetime
    values: dict[str, float | bool | None]
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> float | bool | None:
        return self.values.get(name)


@dataclass
class TimeSeries:
    """One `/data` answer: points oldest first, in €/MWh, Wh (per point), °C, % and W."""

    points: list[DataPoint]
    units: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    no_data: bool = False  # the API said there is no data for this range (HP/inverter 400)

    def column(self, name: str) -> list[tuple[datetime, float | bool | None]]:
        return [(p.time, p.values.get(name)) for p in self.points]

    def total(self, name: str) -> float | None:
        values = [v for _, v in self.column(name) if isinstance(v, float)]
        return sum(values) if values else None


def parse_time_series(api_kind: str, raw: Any) -> TimeSeries:
    body = raw if isinstance(raw, Mapping) else {}
    metadata = dict(body.get("metadata")) if isinstance(body.get("metadata"), Mapping) else {}
    units = _units(metadata)
    known = DATA_FIELDS.get(api_kind, ())
    points: dict[datetime, DataPoint] = {}
    for row in body.get("data") if isinstance(body.get("data"), list) else []:
        if not isinstance(row, Mapping) or (at := as_datetime(row.get("time"))) is None:
            continue  # a point we cannot place on the time axis is a gap, not an error
        values: dict[str, float | bool | None] = {}
        for name in known:
            if name not in row:
                continue
            if name in BOOLEAN_DATA_FIELDS:
                values[name] = as_bool(row[name])
            elif name in ENERGY_DATA_FIELDS:
                values[name] = _scaled(row[name], _unit_for(units, name, "consumption"), _ENERGY_TO_WH)
            elif name == "price":
                values[name] = _scaled(row[name], _unit_for(units, "price"), _PRICE_TO_EUR_MWH)
            else:
                values[name] = as_float(row[name])
        points[at] = DataPoint(time=at, values=values, extra=_extra(row, {"time", *known}))
    return TimeSeries(points=[points[t] for t in sorted(points)], units=units, metadata=metadata,
                      no_data=bool(body.get("no_data")))


@dataclass
class SavingsBucket:
    """One `/savings` (or `/statistics`) bucket: money in EUR, energy in Wh."""

    resolution: str | None
    start: datetime | None
    end: datetime | None
    savings_eur: float | None
    savings_percent: float | None
    consumption_wh: float | None
    heat_pump: dict[str, float | None] = field(default_factory=dict)
    electric_vehicle: dict[str, float | None] = field(default_factory=dict)
    inverter: dict[str, float | None] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        """Savings were measured (a bucket without a number must not read as "€ 0.00")."""
        return self.savings_eur is not None


@dataclass
class SavingsReport:
    buckets: list[SavingsBucket]
    units: dict[str, str] = field(default_factory=dict)
    requested_at: datetime | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def bucket_at(self, at: datetime) -> SavingsBucket | None:
        return next((b for b in self.buckets if b.start and b.end and b.start <= at < b.end), None)


_SAVINGS_KNOWN = {"resolution", "period", "savings", "consumption", "heat_pump", "electric_vehicle",
                  "inverter"}


def _sub(raw: Any, units: Mapping[str, str]) -> dict[str, float | None]:
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, float | None] = {}
    for key, value in raw.items():
        if str(key).endswith("_wh"):
            out[str(key)] = _scaled(value, _unit_for(units, str(key)), _ENERGY_TO_WH)
        else:
            out[str(key)] = as_float(value)
    return out


def parse_savings(raw: Any) -> SavingsReport:
    body = raw if isinstance(raw, Mapping) else {}
    metadata = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
    units = _units(metadata)
    money_unit = _unit_for(units, "savings.total", "savings", "currency")
    energy_unit = _unit_for(units, "consumption.total", "consumption")
    buckets = []
    for row in body.get("data") if isinstance(body.get("data"), list) else []:
        if not isinstance(row, Mapping):
            continue
        period = row.get("period") if isinstance(row.get("period"), Mapping) else {}
        savings = row.get("savings") if isinstance(row.get("savings"), Mapping) else {}
        consumption = row.get("consumption") if isinstance(row.get("consumption"), Mapping) else {}
        buckets.append(SavingsBucket(
            resolution=as_str(row.get("resolution")),
            start=as_datetime(period.get("start_period")),
            end=as_datetime(period.get("end_period")),
            savings_eur=_scaled(savings.get("total"), money_unit, _MONEY_TO_EUR),
            savings_percent=as_float(savings.get("percentage")),
            consumption_wh=_scaled(consumption.get("total"), energy_unit, _ENERGY_TO_WH),
            heat_pump=_sub(row.get("heat_pump"), units),
            electric_vehicle=_sub(row.get("electric_vehicle"), units),
            inverter=_sub(row.get("inverter"), units),
            extra=_extra(row, _SAVINGS_KNOWN),
        ))
    buckets.sort(key=lambda b: b.start or datetime.min.replace(tzinfo=UTC))
    return SavingsReport(
        buckets=buckets,
        units=units,
        requested_at=as_datetime(metadata.get("requested_at")),
        error=as_str(metadata.get("error")),
        extra=_extra(metadata, {"requested_at", "query", "units", "error"}),
    )


@dataclass
class ChargingSession:
    """One EV charging session (addendum §1a `SessionItem`); money in EUR, energy in kWh."""

    id: str | None
    plug_in: datetime | None
    unplug: datetime | None
    inferred_end: datetime | None
    desired_start: datetime | None
    desired_end: datetime | None
    deadline: datetime | None
    target_soc: float | None
    initial_soc: float | None
    final_soc: float | None
    energy_kwh: float | None
    avg_power_kw: float | None
    peak_power_kw: float | None
    cost_eur: float | None
    expected_savings_eur: float | None
    actual_savings_eur: float | None
    is_at_home: bool | None
    outcome: str | None  # an open enum ("completed", "not_at_home", …): shown as words, never trusted
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ended(self) -> datetime | None:
        return self.unplug or self.inferred_end

    @property
    def duration(self) -> timedelta | None:
        if self.plug_in is None or self.ended is None or self.ended < self.plug_in:
            return None
        return self.ended - self.plug_in

    @property
    def savings_eur(self) -> float | None:
        return self.actual_savings_eur if self.actual_savings_eur is not None else self.expected_savings_eur


_SESSION_FIELDS = {
    "id", "plug_in_time", "unplug_time", "inferred_session_end", "desired_charging_start_time",
    "desired_charging_end_time", "charge_deadline", "target_soc_pct", "initial_soc_pct", "final_soc_pct",
    "energy_charged_kwh", "avg_charge_power_kw", "peak_charge_power_kw", "actual_cost_eur",
    "expected_savings_eur", "actual_savings_eur", "is_at_home", "session_outcome",
}


def _soc(value: Any) -> float | None:
    number = as_float(value)
    return number if number is not None and 0 <= number <= 100 else None


def parse_session(raw: Any) -> ChargingSession | None:
    if not isinstance(raw, Mapping):
        return None
    return ChargingSession(
        id=as_str(raw.get("id")),
        plug_in=as_datetime(raw.get("plug_in_time")),
        unplug=as_datetime(raw.get("unplug_time")),
        inferred_end=as_datetime(raw.get("inferred_session_end")),
        desired_start=as_datetime(raw.get("desired_charging_start_time")),
        desired_end=as_datetime(raw.get("desired_charging_end_time")),
        deadline=as_datetime(raw.get("charge_deadline")),
        target_soc=_soc(raw.get("target_soc_pct")),
        initial_soc=_soc(raw.get("initial_soc_pct")),
        final_soc=_soc(raw.get("final_soc_pct")),
        energy_kwh=as_float(raw.get("energy_charged_kwh")),
        avg_power_kw=as_float(raw.get("avg_charge_power_kw")),
        peak_power_kw=as_float(raw.get("peak_charge_power_kw")),
        cost_eur=as_float(raw.get("actual_cost_eur")),
        expected_savings_eur=as_float(raw.get("expected_savings_eur")),
        actual_savings_eur=as_float(raw.get("actual_savings_eur")),
        is_at_home=as_bool(raw.get("is_at_home")),
        outcome=as_str(raw.get("session_outcome")),
        extra=_extra(raw, _SESSION_FIELDS),
    )


@dataclass
class SessionPage:
    total: int | None
    items: list[ChargingSession]
    limit: int
    offset: int
    returned: int = 0  # rows the API sent (an unreadable one is dropped from `items` but still paged over)

    @property
    def has_next(self) -> bool:
        return self.total is not None and self.offset + max(self.returned, len(self.items)) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def parse_session_page(raw: Any, *, limit: int, offset: int) -> SessionPage:
    body = raw if isinstance(raw, Mapping) else {}
    rows = body.get("items") if isinstance(body.get("items"), list) else []
    items = [s for s in (parse_session(row) for row in rows) if s is not None]
    total = as_int(body.get("total"))
    return SessionPage(total=total if total is not None and total >= 0 else None, items=items, limit=limit,
                       offset=offset, returned=len(rows))


def parse_current_session(raw: Any) -> ChargingSession | None:
    """`{"session": SessionItem}`; a null session (nothing plugged in) is None."""
    return parse_session(raw.get("session")) if isinstance(raw, Mapping) else None
