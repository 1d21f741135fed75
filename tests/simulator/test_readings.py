"""Readings are a pure function of stored facts and the clock (solar, household, battery, heat pump, EV)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from simulator import clock, config, services

from .conftest import Api, World

pytestmark = pytest.mark.django_db


def _get(api: Api, device) -> dict:
    return api.get(api.device_path(device)).json()


def test_payloads_are_identical_under_a_frozen_clock(world: World, api: Api) -> None:
    for device in (world.hp, world.ev, world.inverter):
        assert _get(api, device) == _get(api, device)


def test_gets_never_write(world: World, api: Api) -> None:
    with CaptureQueriesContext(connection) as queries:
        api.get(api.user_path(world.anna) + "/inverters")
        api.get(api.device_path(world.ev))
    writes = [
        q["sql"]
        for q in queries
        if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))
    ]
    assert writes == []


def test_state_timestamp_is_floored_to_five_minutes(world: World, api: Api) -> None:
    clock.advance(minutes=7, seconds=13)
    assert _get(api, world.hp)["current_state_last_updated_at"] == "2025-06-14T10:05:00Z"


def test_the_state_grid_can_run_at_another_phase(world: World, api: Api, client) -> None:
    client.post("/simulator/_sim/config", {"state_offset_s": 120}, content_type="application/json")
    clock.freeze(datetime(2025, 6, 14, 10, 3, 30, tzinfo=UTC))
    assert _get(api, world.hp)["current_state_last_updated_at"] == "2025-06-14T10:02:00Z"
    clock.freeze(datetime(2025, 6, 14, 10, 1, 59, tzinfo=UTC))
    assert _get(api, world.hp)["current_state_last_updated_at"] == "2025-06-14T09:57:00Z"
    config.configure(state_offset_s=0)
    assert _get(api, world.hp)["current_state_last_updated_at"] == "2025-06-14T10:00:00Z"


def test_with_a_spread_each_device_syncs_at_a_stable_phase_of_its_own(world: World, api: Api, client) -> None:
    client.post("/simulator/_sim/config", {"state_spread_s": 300}, content_type="application/json")
    devices = (world.hp, world.ev, world.inverter)
    phases = {config.device_phase_s(d.id) for d in devices}
    assert len(phases) > 1 and all(0 <= p < 300 for p in phases)
    for device in devices:
        phase = config.device_phase_s(device.id)
        clock.freeze(datetime(2025, 6, 14, 10, 5, tzinfo=UTC) + timedelta(seconds=phase))
        assert _get(api, device)["current_state_last_updated_at"] == clock.iso(clock.now())  # changed just now
        clock.advance(seconds=299)
        assert _get(api, device)["current_state_last_updated_at"] == clock.iso(clock.now() - timedelta(seconds=299))
        assert config.device_phase_s(device.id) == phase  # stable: derived from the id alone
    assert client.post("/simulator/_sim/config", {"state_spread_s": 301},
                       content_type="application/json").status_code == 400


def test_solar_is_zero_at_night_and_positive_at_noon(world: World, api: Api) -> None:
    noon = _get(api, world.inverter)
    assert noon["current_solar_production_w"] > 2000
    clock.freeze(datetime(2025, 6, 14, 0, 0, tzinfo=UTC))  # 02:00 in Vienna
    night = _get(api, world.inverter)
    assert night["current_solar_production_w"] == 0
    assert night["solar_surplus_w"] < 0


@pytest.mark.parametrize("hour", range(0, 24, 3))
def test_inverter_power_balance_and_signs(world: World, api: Api, hour: int) -> None:
    clock.freeze(datetime(2025, 3, 2, hour, 10, tzinfo=UTC))
    r = _get(api, world.inverter)
    assert r["solar_surplus_w"] == r["current_solar_production_w"] - r["household_consumption_w"]
    assert r["current_power_to_grid_w"] == r["solar_surplus_w"] + r["battery_charge_discharge_power_w"]
    assert r["current_solar_production_w"] >= 0 and r["household_consumption_w"] > 0
    assert 20 <= r["battery_charge_level_percent"] <= 90
    if r["battery_charge_discharge_power_w"] < 0:  # charging only from surplus
        assert r["solar_surplus_w"] > 0


def test_battery_charges_by_day_and_discharges_at_night(world: World, api: Api) -> None:
    clock.freeze(datetime(2025, 6, 14, 9, 0, tzinfo=UTC))  # 11:00 local, sunny morning
    morning = _get(api, world.inverter)
    clock.freeze(datetime(2025, 6, 14, 12, 0, tzinfo=UTC))
    afternoon = _get(api, world.inverter)
    assert afternoon["battery_charge_level_percent"] >= morning["battery_charge_level_percent"]
    clock.freeze(datetime(2025, 6, 14, 19, 30, tzinfo=UTC))  # 21:30 local: dark, evening load
    evening = _get(api, world.inverter)
    assert evening["battery_charge_discharge_power_w"] > 0 or evening["battery_charge_level_percent"] == 20


def test_inverter_without_battery(world: World, api: Api) -> None:
    r = api.put(api.device_path(world.inverter), {"is_battery_connected": False}).json()
    assert r["battery_charge_level_percent"] is None and r["battery_charge_discharge_power_w"] == 0
    assert r["current_power_to_grid_w"] == r["solar_surplus_w"]


def test_heat_pump_mode_cycles_over_the_day_and_is_null_when_off(world: World, api: Api) -> None:
    start = datetime(2025, 1, 15, 0, 0, tzinfo=UTC)
    modes, powers, outdoor = set(), set(), set()
    for hour in range(24):
        clock.freeze(start + timedelta(hours=hour))
        r = _get(api, world.hp)
        modes.add(r["current_mode"])
        powers.add(r["current_power_consumption_w"])
        outdoor.add(r["outdoor_temperature"])
        assert r["inlet_temperature"] < r["outlet_temperature"]
    assert modes == {"min", "low", "mid", "max"}
    assert len(powers) > 12 and len(outdoor) > 6
    assert max(outdoor) < 15  # January
    off = api.put(api.device_path(world.hp), {"is_smart_optimization_active": False}).json()
    assert off["current_mode"] is None


def test_ev_battery_rises_while_charging_by_optimization(world: World, api: Api) -> None:
    services.ev_set_charging(world.ev, smart=True)
    first = _get(api, world.ev)
    clock.advance(hours=1)
    second = _get(api, world.ev)
    assert first["is_charging"] and second["is_charging"]
    assert second["battery_level"] > first["battery_level"]
    assert second["current_state_last_updated_at"] > first["current_state_last_updated_at"]


def test_consumption_totals_are_stable_within_a_day_and_move_with_days(world: World, api: Api) -> None:
    for device in (world.hp, world.ev, world.inverter):
        a = _get(api, device)
        assert (
            0
            < a["consumption_last_day_kwh"]
            <= a["consumption_last_week_kwh"]
            <= a["consumption_last_month_kwh"]
        )
    before = _get(api, world.hp)["consumption_last_day_kwh"]
    clock.advance(hours=1)
    assert _get(api, world.hp)["consumption_last_day_kwh"] == before
    clock.advance(days=1)
    api.fetch_token()  # the old one lived 10 hours
    assert _get(api, world.hp)["consumption_last_updated_at"] == "2025-06-14T22:00:00Z"
