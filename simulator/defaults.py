"""Default attributes and simulation facts of a freshly registered device, per kind.

`attrs` holds what the API lets a partner write (and a few reported constants such as the battery
capacity); `facts` holds the simulation state that only requests move (plug-in, boost, charge anchor).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from .models import Device

# Seeded devices have reported "since forever", so a test that freezes the clock in the past still
# sees live statuses; pass first_data_at=None (factories) for a device with no data yet.
DATA_SINCE = datetime(2020, 1, 1, tzinfo=UTC)

DEVICE_TYPES = {
    Device.HEAT_PUMP: {"short_name": "hp_atw", "long_name": "Heat Pump (Air-to-Water)"},
    Device.ELECTRIC_VEHICLE: {"short_name": "ev", "long_name": "Electric Vehicle"},
    Device.INVERTER: {"short_name": "inverter", "long_name": "Solar Inverter"},
}
URL_KINDS = {
    "heat-pumps": Device.HEAT_PUMP,
    "electric-vehicles": Device.ELECTRIC_VEHICLE,
    "inverters": Device.INVERTER,
}
KIND_URLS = {kind: segment for segment, kind in URL_KINDS.items()}

_COMMON: dict[str, Any] = {
    "device_model": {
        "manufacturer": "Generic",
        "model": "Unknown",
        "year": None,
        "cloud_service_id": "0b7d7a52-3f0e-4c1e-9a44-5d2f8c6a1e90",
    },
    "price_zone": "AT",
    "building_id": None,
    "lifecycle_state": "authenticated",
    "lifecycle_error": None,
    "pause_power_until": None,
    "is_pause_power_active": False,
    "external_device_id": "",
    "is_smart_optimization_active": True,
    "optimization_score": None,
    "comment": None,
    "last_monitoring_executed_at": None,  # None: derived from the clock
    "is_inverter_forced_mode_enabled": False,
    "is_forecasting_enabled": False,
    "is_trading_enabled": False,
    "actual_steering_state": "unknown",
    "embeddable_url": None,
    "has_unread_notifications": False,
}

_ATTRS: dict[str, dict[str, Any]] = {
    Device.HEAT_PUMP: {
        "optimization_level": "Mid",
        "indoor_target_temperature": 21.5,
        "indoor_target_temperature_offset": 0.0,
        "has_indoor_sensor": True,
        "dhw_standard_temperature": 48.0,
        "is_hot_water_heating_enabled": True,
        "is_space_heating_enabled": True,
        "is_pool_heating_enabled": False,
        "is_space_cooling_enabled": False,
        "is_heating_policy_enabled": True,
        "heating_policy_name": "default",
        "maximum_temperature_limit": 23.5,
        "minimum_temperature_limit": 19.5,
        "minimum_dhw_temperature_limit": 40.0,
        "is_away_mode_enabled": False,
        "away_mode_start": None,
        "away_mode_end": None,
        "away_mode_minimum_temperature_limit": 16.0,
    },
    Device.ELECTRIC_VEHICLE: {
        "battery_capacity_kwh": 60.0,
        "charge_target_min": 50,
        "charge_target_max": None,
        "is_charge_policy_enabled": False,
        "minimum_charge_limit": 80,
        "charge_deadline_at": "07:00",
        "charge_policy_last_updated_at": None,
        "is_over_charge_allowed": False,
        "hems_min_export_to_start_w": 1400,
        "hems_max_import_before_stopping_w": 500,
        "weekly_policy": None,  # None: every day follows minimum_charge_limit / charge_deadline_at
    },
    Device.INVERTER: {
        "solar_power_rating_kw": 8.0,
        "is_battery_connected": False,
        "battery_capacity_kwh": None,
        "min_battery_charge": 20.0,
        "max_battery_charge": 90.0,
    },
}

_FACTS: dict[str, dict[str, Any]] = {
    Device.HEAT_PUMP: {},
    Device.ELECTRIC_VEHICLE: {
        "plugged_in": False,
        "level": 50.0,
        "anchor_at": None,
        "charging": None,
        "charge_start_at": None,
        "boost_armed": False,
        "charger_power_w": 11000,
        "changed_at": None,
    },
    Device.INVERTER: {},
}


def default_attrs(kind: str) -> dict[str, Any]:
    return copy.deepcopy({**_COMMON, **_ATTRS[kind]})


def default_facts(kind: str) -> dict[str, Any]:
    return copy.deepcopy(_FACTS[kind])
