"""The one reason line per card (devices/reasons.py): its priority for each kind of device."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from devices.reasons import Pause, reason_line, when
from devices.schemas import parse_device
from tests import payloads

VIENNA = ZoneInfo("Europe/Vienna")
NOW = datetime(2026, 12, 4, 16, 0, tzinfo=VIENNA)  # a Friday
LAPSED = {"is_authenticated": False, "action_needed": True,
          "actions": [{"code": "reauthenticate", "resolution_link": {"url": "https://podero.example/r"}}]}


def ev(**kw):
    return parse_device("electric-vehicles", payloads.electric_vehicle(**kw))


def hp(**kw):
    return parse_device("heat-pumps", payloads.heat_pump(**kw))


def iv(**kw):
    return parse_device("inverters", payloads.inverter(**kw))


def code(device, **kw):
    reason = reason_line(device, now=NOW, tz=VIENNA, **kw)
    return None if reason is None else reason.code


def text(device, **kw):
    return reason_line(device, now=NOW, tz=VIENNA, **kw).text


def test_when_reads_like_a_person():
    assert when(datetime(2026, 12, 6, 18, 0, tzinfo=VIENNA), NOW, VIENNA) == "Sun 18:00 (in 2 days)"
    assert when(datetime(2026, 12, 4, 18, 0, tzinfo=VIENNA), NOW, VIENNA) == "today 18:00 (in 2 hours)"
    assert when(datetime(2026, 12, 5, 7, 0, tzinfo=VIENNA), NOW, VIENNA) == "tomorrow 07:00 (in 15 hours)"
    assert when(NOW + timedelta(minutes=40), NOW, VIENNA) == "today 16:40 (in 40 minutes)"


# --- The priority, the same for every kind: login lapsed > paused > what the device does ----------
def test_a_lapsed_login_comes_before_everything():
    for device in (ev(**LAPSED, is_smart_optimization_active=False, is_plugged_in=False),
                   hp(**LAPSED, is_smart_optimization_active=False), iv(**LAPSED)):
        assert code(device, pause=Pause(until=NOW + timedelta(hours=2))) == "reconnect"
    assert "reconnect" in text(hp(**LAPSED))


def test_a_pause_comes_before_what_the_device_does():
    until = datetime(2026, 12, 6, 18, 0, tzinfo=VIENNA)
    for device in (hp(is_smart_optimization_active=False, current_mode="max"), iv(is_smart_optimization_active=False)):
        assert text(device, pause=Pause(until=until)) == "Optimization paused until Sun 18:00 (in 2 days)."
        assert text(device) == "Optimization paused until you resume it."
    car = ev(is_smart_optimization_active=False, is_plugged_in=False)
    assert text(car, pause=Pause(until=until)) == "Smart charging paused until Sun 18:00 (in 2 days)."
    assert text(car).startswith("Smart charging paused until you resume it")


def test_a_failed_timed_resume_is_shown_not_dropped():
    reason = reason_line(hp(is_smart_optimization_active=False), now=NOW, tz=VIENNA,
                         pause=Pause(until=NOW - timedelta(minutes=3), failed_attempts=2))
    assert reason.code == "resume_failed" and reason.tone == "warn"
    assert reason.text == "Still paused: resuming at 15:57 did not work yet. We keep trying (2 attempts so far)."


def test_a_pause_row_for_a_device_that_already_runs_again_says_nothing_of_it():
    assert code(hp(is_smart_optimization_active=True, current_mode="low"),
                pause=Pause(until=NOW + timedelta(hours=2))) == "mode_low"


# --- Electric vehicle -----------------------------------------------------------------------------
def test_ev_reasons_in_order():
    assert text(ev(is_plugged_in=False, is_charging=False)) == "Not plugged in."
    assert text(ev(is_plugged_in=False, boost_for_next_session=True)) == (
        "Not plugged in: charges at full power as soon as you plug it in.")
    assert code(ev(is_plugged_in=True, is_fully_charged=True, battery_level=100, charge_target_max=None)) == "full"
    at_limit = ev(is_plugged_in=True, is_charging=False, is_fully_charged=True, battery_level=80,
                  charge_target_max=80)
    assert text(at_limit) == "Stopped at 80 %: the limit set in the car's app."
    assert text(ev(is_plugged_in=True, is_charging=True, boost_state="ongoing", battery_level=50)) == (
        "Charge now overrides the cheap-window plan.")
    assert code(ev(is_plugged_in=True, is_charging=False, boost_state="requested", battery_level=50)) == "boost"
    assert text(ev(is_plugged_in=True, is_charging=True, boost_state="unavailable", battery_level=50)) == (
        "Charging in a cheap window.")
    waiting = ev(is_plugged_in=True, is_charging=False, is_fully_charged=False, battery_level=50)
    assert text(waiting, plan_start=datetime(2026, 12, 5, 1, 0, tzinfo=VIENNA)) == (
        "Plugged in, waiting for the cheap window at 01:00.")
    assert text(waiting) == "Plugged in, waiting for the cheapest hours."


# --- Heat pump ----------------------------------------------------------------------------------
def test_heat_pump_mode_and_why():
    assert text(hp(current_mode="low")) == "ECO: prices are high right now, so it heats a little less."
    assert code(hp(current_mode="max")) == "mode_max"
    assert code(hp(current_mode="min")) == "mode_min"
    assert code(hp(current_mode="mid")) == "mode_mid"
    assert code(hp(current_mode="something-new")) == "optimizing"


# --- Inverter -----------------------------------------------------------------------------------
def test_inverter_says_what_the_battery_does_else_the_grid():
    line = text(iv(battery_charge_discharge_power_w=-1500, current_power_to_grid_w=1200,
                   is_battery_connected=True, battery_charge_level_percent=60))
    assert line == "Battery charging at 1.5 kW (60 % full)."  # the pill says what the grid does
    assert text(iv(battery_charge_discharge_power_w=800, current_power_to_grid_w=-300, is_battery_connected=True,
                   battery_charge_level_percent=35)) == "Battery powering the home at 0.8 kW (35 % full)."
    no_battery = dict(battery_charge_discharge_power_w=None, is_battery_connected=False,
                      battery_charge_level_percent=None)
    assert text(iv(**no_battery, current_power_to_grid_w=900)) == "No battery: the surplus is sold to the grid."
    assert code(iv(**no_battery, current_power_to_grid_w=-300)) == "grid"
