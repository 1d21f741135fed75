"""EV boost state machine (fact sheet §4.1, §4.2, §8 #15–#18), driven by a frozen clock."""

from __future__ import annotations

import pytest

from simulator import clock, config, factories, faults, services

from .conftest import Api, World

pytestmark = pytest.mark.django_db


def _ev(api: Api, ev) -> dict:
    return api.get(api.device_path(ev)).json()


def _boost(api: Api, ev):
    return api.post(api.device_path(ev) + "/boost")


def test_available_boost_goes_requested_then_ongoing_after_the_delay(world: World, api: Api) -> None:
    before = _ev(api, world.ev)
    assert (before["boost_state"], before["battery_level"], before["is_charging"]) == ("available", 42, False)
    resp = _boost(api, world.ev)
    assert resp.status_code == 204 and resp.content == b""
    requested = _ev(api, world.ev)
    assert (requested["boost_state"], requested["is_charging"], requested["charge_rate_w"]) == (
        "requested",
        False,
        0,
    )
    clock.advance(seconds=4.9)
    assert _ev(api, world.ev)["boost_state"] == "requested"
    clock.advance(seconds=0.2)
    ongoing = _ev(api, world.ev)
    assert (ongoing["boost_state"], ongoing["is_charging"], ongoing["charge_rate_w"]) == (
        "ongoing",
        True,
        11000,
    )
    clock.advance(minutes=30)  # 5.5 kWh into 75 kWh ≈ +7 %
    later = _ev(api, world.ev)
    assert later["battery_level"] == 49 and later["driving_range"] > before["driving_range"]


def test_boost_delay_is_configurable(world: World, api: Api) -> None:
    config.configure(boost_delay_s=1)
    _boost(api, world.ev)
    clock.advance(seconds=1)
    assert _ev(api, world.ev)["boost_state"] == "ongoing"


@pytest.mark.parametrize("wait_s", [0, 10])
def test_boost_while_requested_or_ongoing_is_409_already_charging(
    world: World, api: Api, wait_s: int
) -> None:
    _boost(api, world.ev)
    clock.advance(seconds=wait_s)
    state = _ev(api, world.ev)["boost_state"]
    resp = _boost(api, world.ev)
    assert resp.status_code == 409
    assert resp.json() == {"state": state, "reason": "already_charging"}
    assert state == ("requested" if wait_s == 0 else "ongoing")


def test_boost_while_charging_by_optimization_is_409_already_charging(world: World, api: Api) -> None:
    services.ev_set_charging(world.ev, smart=True)
    assert _ev(api, world.ev)["boost_state"] == "unavailable"
    resp = _boost(api, world.ev)
    assert (resp.status_code, resp.json()) == (409, {"state": "unavailable", "reason": "already_charging"})


def test_boost_when_full_is_409_fully_charged(world: World, api: Api) -> None:
    full = factories.create_ev(world.anna, battery_level=90, charge_target_max=90, is_plugged_in=True)
    payload = _ev(api, full)
    assert payload["is_fully_charged"] is True and payload["boost_state"] == "unavailable"
    resp = _boost(api, full)
    assert (resp.status_code, resp.json()) == (409, {"state": "unavailable", "reason": "fully_charged"})


def test_boost_plugged_in_without_session_is_409_no_active_session(world: World, api: Api) -> None:
    factories.require_reauth(world.ev)
    resp = _boost(api, world.ev)
    assert resp.status_code == 409
    assert resp.json()["reason"] == "no_active_session"


def test_unplugged_boost_arms_is_idempotent_and_delete_disarms(world: World, api: Api) -> None:
    factories.set_plugged_in(world.ev, False)
    assert _ev(api, world.ev)["boost_state"] == "unavailable"
    assert _boost(api, world.ev).status_code == 204
    armed = _ev(api, world.ev)
    assert (armed["boost_for_next_session"], armed["boost_state"]) == (True, "unavailable")
    assert _boost(api, world.ev).status_code == 204
    assert _ev(api, world.ev) == armed
    assert api.delete(api.device_path(world.ev) + "/boost").status_code == 204
    assert _ev(api, world.ev)["boost_for_next_session"] is False
    assert api.delete(api.device_path(world.ev) + "/boost").status_code == 204


def test_plug_in_fires_an_armed_boost_and_resets_the_flag(world: World, api: Api) -> None:
    factories.set_plugged_in(world.ev, False)
    _boost(api, world.ev)
    factories.set_plugged_in(world.ev, True)
    fired = _ev(api, world.ev)
    assert (fired["boost_state"], fired["boost_for_next_session"], fired["is_plugged_in"]) == (
        "requested",
        False,
        True,
    )
    clock.advance(seconds=5)
    assert _ev(api, world.ev)["boost_state"] == "ongoing"


def test_plug_in_without_armed_boost_stays_available(world: World, api: Api) -> None:
    factories.set_plugged_in(world.ev, False)
    factories.set_plugged_in(world.ev, True)
    assert _ev(api, world.ev)["boost_state"] == "available"


def test_delete_does_not_stop_a_live_boost_but_unplugging_does(world: World, api: Api) -> None:
    _boost(api, world.ev)
    clock.advance(seconds=10)
    assert api.delete(api.device_path(world.ev) + "/boost").status_code == 204
    assert _ev(api, world.ev)["boost_state"] == "ongoing"
    factories.set_plugged_in(world.ev, False)
    unplugged = _ev(api, world.ev)
    assert (unplugged["boost_state"], unplugged["is_charging"]) == ("unavailable", False)


def test_boost_ends_fully_charged_at_the_cap(world: World, api: Api) -> None:
    _boost(api, world.ev)
    clock.advance(hours=5)  # 55 kWh: far past the 90 % cap
    done = _ev(api, world.ev)
    assert (
        done["battery_level"],
        done["is_fully_charged"],
        done["is_charging"],
        done["boost_state"],
        done["charge_rate_w"],
    ) == (90, True, False, "unavailable", 0)
    assert _boost(api, world.ev).json()["reason"] == "fully_charged"


def test_boost_internal_error_fault_is_409(world: World, api: Api) -> None:
    faults.configure(boost_error_count=1)
    resp = _boost(api, world.ev)
    assert (resp.status_code, resp.json()) == (409, {"state": "available", "reason": "internal_error"})
    assert _boost(api, world.ev).status_code == 204


def test_boost_is_not_offered_on_other_kinds(world: World, api: Api) -> None:
    resp = api.post(api.device_path(world.hp).replace("/heat-pumps/", "/electric-vehicles/") + "/boost")
    assert resp.status_code == 404
