"""Builders of raw Podero payloads, starting from the fact sheet's §7 example objects."""

from __future__ import annotations

import copy
import uuid
from typing import Any

OWNER = {"id": "497f6eca-6276-4993-bfeb-53cbbbba6f08", "email": "anna@example.com", "first_name": "Anna",
         "last_name": "Huber", "external_id": "CUST-1001"}
_COMMON = {
    "connection_status": "ok", "monitoring_status": "ok", "steering_status": "ok",
    "owner": OWNER, "price_zone": "AT", "building": "94964bf8-4ec9-4f3f-b10e-0fe21980279e",
    "deleted_at": None, "lifecycle_state": "authenticated", "lifecycle_error": None,
    "pause_power_until": None, "is_pause_power_active": False, "external_device_id": "",
    "is_authenticated": True, "is_smart_optimization_active": True, "comment": None,
    "is_inverter_forced_mode_enabled": False, "is_inverter_forced_mode_active": False,
    "inverter_forced_mode_since": "0001-01-01T00:00:00Z", "is_trading_enabled": False,
    "actual_steering_state": "unknown", "embeddable_url": None, "authorization_url": None,
    "action_needed": False, "actions": [],
}

HEAT_PUMP = {
    **_COMMON,
    "id": "6f1c2e0a-9d1b-4c53-8a0e-2b7c1f3e4d51",
    "device_model": {"device_type": {"short_name": "hp_atw", "long_name": "Heat Pump (Air-to-Water)"},
                     "manufacturer": "Nibe", "model": "S2125-8", "year": 2022,
                     "cloud_service": "0b7d7a52-3f0e-4c1e-9a44-5d2f8c6a1e90",
                     "cloud_service_instructions": None, "cloud_service_signup_link": None},
    "created_at": "2025-01-10T09:12:00Z", "updated_at": "2025-03-02T06:40:11Z",
    "optimization_score": 78.5, "optimization_level": "Mid", "current_mode": "low",
    "current_state_last_updated_at": "2025-03-02T06:40:00Z", "last_monitoring_executed_at": "2025-03-02T06:35:00Z",
    "current_power_consumption_w": 1850, "outdoor_temperature": 3.4, "indoor_actual_temperature": 21.2,
    "indoor_target_temperature": 21.5, "indoor_target_temperature_offset": -0.5,
    "inlet_temperature": 33.1, "outlet_temperature": 38.6, "dhw_temperature": 47.9, "dhw_standard_temperature": 48.0,
    "is_hot_water_heating_enabled": True, "is_space_heating_enabled": True, "is_pool_heating_enabled": False,
    "is_space_cooling_enabled": False, "is_heating_policy_enabled": True, "heating_policy_name": "default",
    "maximum_temperature_limit": 23.5, "minimum_temperature_limit": 19.5, "minimum_dhw_temperature_limit": 40.0,
    "is_away_mode_enabled": False, "away_mode_start": None, "away_mode_end": None,
    "away_mode_minimum_temperature_limit": 16.0,
}

ELECTRIC_VEHICLE = {
    **_COMMON,
    "id": "c2a9e1d4-55b0-4b7e-9f51-0a6c7d8e9f10",
    "connection_status": "warning",
    "device_model": {"device_type": {"short_name": "ev", "long_name": "Electric Vehicle"},
                     "manufacturer": "Tesla", "model": "Model 3", "year": 2023,
                     "cloud_service": "5e3f9a10-7b21-4d8e-a3c2-9f0e1d2c3b4a",
                     "cloud_service_instructions": None, "cloud_service_signup_link": None},
    "created_at": "2025-01-12T18:00:00Z", "updated_at": "2025-03-02T21:05:42Z",
    "optimization_score": None, "current_mode": None,
    "current_state_last_updated_at": "2025-03-02T21:05:40Z", "last_monitoring_executed_at": "2025-03-02T21:00:00Z",
    "is_plugged_in": True, "is_charging": False, "is_fully_charged": False, "charge_rate_w": 0, "battery_level": 42,
    "battery_capacity_kwh": 75.0, "driving_range": 190, "boost_state": "available", "boost_for_next_session": False,
    "charge_target_min": 50, "charge_target_max": 90, "is_charge_policy_enabled": True, "minimum_charge_limit": 80,
    "charge_deadline_at": "07:00", "charge_policy_last_updated_at": "2025-02-20T10:00:00Z",
    "is_over_charge_allowed": False,
    "action_needed": True,
    "actions": [{"code": "reauthenticate",
                 "resolution_link": {"url": "https://app.podero.com/api/partners/v2.0/cues/1d2c3b4a-0000-4e5f-8a9b-aabbccddeeff/resolve?secret=eyJ",
                                     "required_parameters": ["successUrl", "cancelUrl"]}}],
}

INVERTER = {
    **_COMMON,
    "id": "0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b",
    "device_model": {"device_type": {"short_name": "inverter", "long_name": "Solar Inverter"},
                     "manufacturer": "Fronius", "model": "Symo GEN24 10.0 Plus", "year": 2022,
                     "cloud_service": "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
                     "cloud_service_instructions": None, "cloud_service_signup_link": None},
    "created_at": "2025-01-15T08:00:00Z", "updated_at": "2025-06-14T11:30:05Z",
    "optimization_score": 64.0, "current_mode": None,
    "current_state_last_updated_at": "2025-06-14T11:30:00Z", "last_monitoring_executed_at": "2025-06-14T11:25:00Z",
    "solar_power_rating_kw": 10.2, "is_battery_connected": True, "battery_capacity_kwh": 10.0,
    "min_battery_charge": 20, "max_battery_charge": 90, "current_solar_production_w": 6250,
    "household_consumption_w": 950, "solar_surplus_w": 5300, "battery_charge_level_percent": 63,
    "battery_charge_discharge_power_w": -2000, "current_power_to_grid_w": 3300,
}

EXAMPLES = {"heat-pumps": HEAT_PUMP, "electric-vehicles": ELECTRIC_VEHICLE, "inverters": INVERTER}


def _build(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    payload = copy.deepcopy(base)
    payload["id"] = overrides.pop("id", None) or str(uuid.uuid4())
    payload.update(overrides)
    return payload


def heat_pump(**overrides: Any) -> dict[str, Any]:
    return _build(HEAT_PUMP, overrides)


def electric_vehicle(**overrides: Any) -> dict[str, Any]:
    overrides.setdefault("action_needed", False)
    overrides.setdefault("actions", [])
    overrides.setdefault("connection_status", "ok")
    return _build(ELECTRIC_VEHICLE, overrides)


def inverter(**overrides: Any) -> dict[str, Any]:
    return _build(INVERTER, overrides)


BUILDERS = {"heat-pumps": heat_pump, "electric-vehicles": electric_vehicle, "inverters": inverter}
