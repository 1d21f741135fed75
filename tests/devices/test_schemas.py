"""The schemas parse the fact sheet's example payloads unchanged, and tolerate what the docs warn about."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from devices.schemas import BoostState, ElectricVehicle, Health, HeatPump, Inverter, parse_device
from tests import payloads


def test_heat_pump_example_parses():
    hp = parse_device("heat-pumps", payloads.HEAT_PUMP)
    assert isinstance(hp, HeatPump)
    assert hp.id == "6f1c2e0a-9d1b-4c53-8a0e-2b7c1f3e4d51"
    assert hp.name == "Nibe S2125-8"
    assert hp.type_name == "Heat Pump (Air-to-Water)"
    assert hp.connection_status is Health.OK
    assert hp.optimization_label == "ECO"
    assert (hp.power_w, hp.outdoor_temp, hp.indoor_temp, hp.inlet_temp, hp.hot_water_temp) == (1850, 3.4, 21.2, 33.1, 47.9)
    assert hp.state_updated_at == datetime(2025, 3, 2, 6, 40, tzinfo=UTC)
    assert hp.extra["is_away_mode_enabled"] is False  # unknown-to-us fields are kept
    assert not hp.needs_attention


def test_electric_vehicle_example_parses_with_pending_action():
    ev = parse_device("electric-vehicles", payloads.ELECTRIC_VEHICLE)
    assert isinstance(ev, ElectricVehicle)
    assert ev.name == "Tesla Model 3"
    assert ev.connection_status is Health.WARNING
    assert ev.battery_level == 42 and ev.battery_capacity_kwh == 75.0 and ev.range_km == 190
    assert ev.boost_state is BoostState.AVAILABLE
    assert ev.charge_deadline == time(7, 0) and ev.minimum_charge_limit == 80
    assert ev.charge_status_label == "Plugged in — waiting for an optimal window"
    assert ev.needs_attention and ev.actions[0].code == "reauthenticate"
    assert ev.resolution_url.startswith("https://app.podero.com/api/partners/v2.0/cues/")
    assert ev.actions[0].required_parameters == ("successUrl", "cancelUrl")


def test_inverter_example_parses_with_new_sign_convention():
    iv = parse_device("inverters", payloads.INVERTER)
    assert isinstance(iv, Inverter)
    assert (iv.solar_w, iv.household_w, iv.battery_w, iv.grid_w) == (6250, 950, -2000, 3300)
    assert iv.surplus_w == 5300 and iv.battery_level == 63 and iv.has_battery
    # The documented power balance holds: solar - home + battery (negative = charging) = export.
    assert iv.solar_w - iv.household_w + iv.battery_w == iv.grid_w


def test_sentinel_datetime_means_never():
    iv = parse_device("inverters", {**payloads.INVERTER, "current_state_last_updated_at": "0001-01-01T00:00:00Z"})
    assert iv.state_updated_at is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("42", 42), ("42.4", 42), (42.6, 43), ("n/a", None), (None, None), (True, None), (150, None), ([], None)],
)
def test_numbers_sent_as_strings_or_placeholders(raw, expected):
    ev = parse_device("electric-vehicles", {**payloads.ELECTRIC_VEHICLE, "battery_level": raw})
    assert ev.battery_level == expected


def test_legacy_names_and_charge_deadline_as_datetime():
    raw = {**payloads.ELECTRIC_VEHICLE, "charge_deadline_at": "2023-11-07T05:31:56Z", "charge_limit_max": 85,
           "consumption_last_day_kwh": "7.5"}
    del raw["charge_target_max"]
    ev = parse_device("electric-vehicles", raw)
    assert ev.charge_deadline == time(5, 31, 56)
    assert ev.charge_target_max == 85
    assert ev.consumption_day_kwh == 7.5


def test_unknown_enums_and_missing_fields_become_unknown():
    ev = parse_device("electric-vehicles", {"id": payloads.ELECTRIC_VEHICLE["id"], "boost_state": "warp",
                                            "connection_status": "sparkly"})
    assert ev.boost_state is BoostState.UNKNOWN and ev.connection_status is Health.UNKNOWN
    assert ev.name == "Unknown electric vehicle"
    assert ev.charge_status_label == "Charging status unknown"


def test_unknown_heat_pump_mode_shows_optimizing_and_raw_value():
    hp = parse_device("heat-pumps", {**payloads.HEAT_PUMP, "current_mode": "turbo"})
    assert hp.optimization_label == "Optimizing (turbo)"
    assert parse_device("heat-pumps", {**payloads.HEAT_PUMP, "is_smart_optimization_active": False}).optimization_label \
        == "Not optimizing"


@pytest.mark.parametrize("raw", [None, "nonsense", 42, [], {"id": "not-a-uuid"}])
def test_parse_device_never_raises(raw):
    assert parse_device("inverters", raw).name == "Unknown solar inverter"


def test_javascript_links_from_upstream_are_dropped():
    raw = {**payloads.HEAT_PUMP, "authorization_url": "javascript:alert(1)", "is_authenticated": False}
    assert parse_device("heat-pumps", raw).resolution_url is None


def test_absurd_magnitudes_are_unknown_not_a_crash():
    # Found by the hypothesis fuzz: 1e30 W made the card's number formatting raise.
    iv = parse_device("inverters", {**payloads.INVERTER, "current_power_to_grid_w": 1e30})
    assert iv.grid_w is None


def test_the_type_label_is_ours_for_known_codes_and_never_english_on_a_german_page():
    from django.utils import translation

    known = parse_device("heat-pumps", payloads.heat_pump())
    odd = parse_device("heat-pumps", payloads.heat_pump(device_model={
        "device_type": {"short_name": "hp_future", "long_name": "Heat Pump (Future-to-Water)"},
        "manufacturer": "Nibe", "model": "S2125-8", "year": 2022}))
    assert known.type_code == "hp_atw" and known.type_label == "Heat pump (air to water)"
    assert odd.type_label == "Heat Pump (Future-to-Water)"  # English page: Podero's own name is fine
    with translation.override("de"):
        assert odd.type_label == "Wärmepumpe"  # not Podero's English: the kind's noun instead
