"""Typed, forgiving models of Podero device payloads and the display rules of the integration guide.

Parsing never raises: a null, a placeholder string, a number sent as a string or an unknown enum value
becomes None (or an UNKNOWN member) and the card shows "unknown". Fields we do not model are kept in
`extra`. Legacy field names (fact sheet §3, "legacy:") are read here and nowhere else.

The package: `parsing` (scalars), `base` (what every kind shares), `kinds` (heat pump, EV, inverter)
and `history` (time series, savings, sessions). Import from `devices.schemas`.
"""

from __future__ import annotations

from .base import (
    URL_KINDS,
    Action,
    AttentionItem,
    BoostState,
    Device,
    Health,
)
from .history import (
    BOOLEAN_DATA_FIELDS,
    DATA_FIELDS,
    ENERGY_DATA_FIELDS,
    ChargingSession,
    DataPoint,
    SavingsBucket,
    SavingsReport,
    SessionPage,
    TimeSeries,
    parse_current_session,
    parse_savings,
    parse_session,
    parse_session_page,
    parse_time_series,
)
from .kinds import (
    CHARGE_STATUS_LABELS,
    HP_MODE_LABELS,
    MODELS,
    PARSERS,
    ChargeStatus,
    ElectricVehicle,
    Flow,
    HeatPump,
    Inverter,
    parse_device,
    parse_electric_vehicle,
    parse_heat_pump,
    parse_inverter,
)
from .parsing import (
    MAX_PLAUSIBLE,
    STALE_AFTER,
    as_bool,
    as_datetime,
    as_float,
    as_int,
    as_percent,
    as_str,
    as_time,
    as_uuid,
)

__all__ = [
    "Action",
    "AttentionItem",
    "BOOLEAN_DATA_FIELDS",
    "BoostState",
    "CHARGE_STATUS_LABELS",
    "ChargeStatus",
    "ChargingSession",
    "DATA_FIELDS",
    "DataPoint",
    "Device",
    "ENERGY_DATA_FIELDS",
    "ElectricVehicle",
    "Flow",
    "HP_MODE_LABELS",
    "Health",
    "HeatPump",
    "Inverter",
    "MAX_PLAUSIBLE",
    "MODELS",
    "PARSERS",
    "STALE_AFTER",
    "SavingsBucket",
    "SavingsReport",
    "SessionPage",
    "TimeSeries",
    "URL_KINDS",
    "as_bool",
    "as_datetime",
    "as_float",
    "as_int",
    "as_percent",
    "as_str",
    "as_time",
    "as_uuid",
    "parse_current_session",
    "parse_device",
    "parse_electric_vehicle",
    "parse_heat_pump",
    "parse_inverter",
    "parse_savings",
    "parse_session",
    "parse_session_page",
    "parse_time_series",
]
