"""The EV's plan as the card gathers it: current session + policy + device (services.ev_plan), never blocking."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devices import services
from devices.plan import Confidence
from tests import payloads
from tests.conftest import settle_background

pytestmark = pytest.mark.django_db
VIENNA = ZoneInfo("Europe/Vienna")
EV = "electric-vehicles"


def at(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=VIENNA)


def _ev(homeowner, fake_podero, **kw):
    raw = fake_podero.add(homeowner.podero.podero_user_id, EV, payloads.electric_vehicle(
        action_needed=False, actions=[], **kw))
    return raw, services.ev_get(link=homeowner.podero, device_id=raw["id"])


def _session(fake_podero, raw, **kw):
    fake_podero.sessions[raw["id"]] = {"id": "s1", "plug_in_time": "2026-12-03T17:00:00Z", **kw}


def test_the_plan_comes_from_the_current_session_once_cached(homeowner, fake_podero):
    raw, ev = _ev(homeowner, fake_podero, battery_level=50, battery_capacity_kwh="60", charge_rate_w=0,
                  minimum_charge_limit=80, charge_deadline_at="07:00")
    _session(fake_podero, raw, desired_charging_start_time="2026-12-04T00:00:00Z",
             desired_charging_end_time="2026-12-04T04:30:00Z")
    now = at(3, 22)
    first = services.ev_plan(link=homeowner.podero, device=ev, now=now)
    # Never waits: until the session is cached the plan says Podero is still planning, and it is fetched behind.
    assert first.plan == "No plan yet: Podero is planning the cheapest hours · 80 % by 07:00"
    settle_background()
    plan = services.ev_plan(link=homeowner.podero, device=ev, now=now)
    assert plan.plan == "Charging plan: 01:00–05:30 · 80 % by 07:00"
    assert plan.plan_start == at(4, 1)
    # No power known while idle (charge_rate_w 0, no expected maximum): can't tell, rather than guess.
    assert plan.forecast.status is Confidence.UNKNOWN
    assert len(fake_podero.list_calls("get_ev_current_session")) == 1
    facts = services.card_facts(link=homeowner.podero, device=ev, now=now)
    assert facts.reason.text == "Plugged in, waiting for the cheap window at 01:00."


def test_at_risk_uses_the_expected_maximum_power_when_idle(homeowner, fake_podero):
    _, ev = _ev(homeowner, fake_podero, battery_level=20, battery_capacity_kwh=60, charge_rate_w=0,
                expected_max_charge_power=3.6, minimum_charge_limit=80, charge_deadline_at="07:00")
    plan = services.ev_plan(link=homeowner.podero, device=ev, now=at(4, 0))
    # 36 kWh at 3.6 kW = 10 h from 00:00 = 10:00: 3 h late.
    assert plan.forecast.status is Confidence.AT_RISK and plan.forecast.minutes_late == 180
    assert plan.forecast_text == "At risk: at 3.6 kW the car reaches 80 % about 3 hours after 07:00."


def test_after_the_deadline_the_card_says_the_outcome(homeowner, fake_podero):
    raw, ev = _ev(homeowner, fake_podero, battery_level=62, minimum_charge_limit=80, charge_deadline_at="07:00")
    plan = services.ev_plan(link=homeowner.podero, device=ev, now=at(4, 7, 30))
    assert plan.forecast.status is Confidence.MISSED and plan.forecast_text == "Missed: 62 % at 07:00."
    assert plan.plan.endswith("· 80 % by 07:00 tomorrow")  # beside today's outcome, the next one says its day


def test_the_weekly_schedule_shows_on_the_card(client, homeowner, fake_podero):
    raw, _ = _ev(homeowner, fake_podero)
    fake_podero.policies[raw["id"]] = {
        **{d: {"charge_percentage": 80, "charge_deadline": "07:00"} for d in ("mon", "tue", "wed", "thu", "fri")},
        **{d: {"charge_percentage": 50, "charge_deadline": "10:00"} for d in ("sat", "sun")},
        "timezone": "Europe/Vienna"}
    client.force_login(homeowner)
    client.get("/")
    settle_background()
    services.invalidate(link=homeowner.podero)  # a fresh page, the policy now in the cache
    html = client.get("/").content.decode()
    assert "Weekly schedule: Weekdays 80 % by 07:00 · weekends 50 % by 10:00" in html
    assert re.search(r'<details class="controls__details" id="device-[^"]+-change-plan" data-keep-open>', html)
    assert html.count("<summary>Change plan</summary>") == 1


def test_a_deadline_passed_long_ago_is_forecast_for_the_next_one(homeowner, fake_podero):
    _, ev = _ev(homeowner, fake_podero, battery_level=79, minimum_charge_limit=80, charge_deadline_at="07:00",
                battery_capacity_kwh=60, charge_rate_w=7400)
    plan = services.ev_plan(link=homeowner.podero, device=ev, now=at(4, 7) + timedelta(hours=5))
    assert plan.forecast.status is Confidence.ON_TRACK and plan.forecast.deadline == at(5, 7)


def test_the_cards_session_follows_the_cars_syncs_not_a_clock():
    """Freshness follows the data (issue 14): the session is fetched again once the car synced after we
    fetched it, and otherwise only after SESSION_CARD_CAP; with no sync time, after SESSION_CARD_MAX_AGE."""
    from devices.services.evplan import SESSION_CARD_CAP, SESSION_CARD_MAX_AGE, session_due

    fetched = datetime(2026, 12, 3, 12, 0, tzinfo=VIENNA).timestamp()
    entry = {"fetched_at": fetched, "items": {}}
    before, after = (datetime.fromtimestamp(fetched - 60, VIENNA), datetime.fromtimestamp(fetched + 60, VIENNA))
    assert session_due(None, before) and session_due({**entry, "invalidated": True}, before, fetched + 1)
    assert not session_due(entry, before, now=fetched + SESSION_CARD_MAX_AGE + 1)  # no newer sync: kept
    assert session_due(entry, after, now=fetched + 61)  # the car synced since: fetch again
    assert session_due(entry, before, now=fetched + SESSION_CARD_CAP)  # the cap, in case it changed between syncs
    assert not session_due(entry, None, now=fetched + SESSION_CARD_MAX_AGE - 1)
    assert session_due(entry, None, now=fetched + SESSION_CARD_MAX_AGE)  # no sync time known: the short clock


def test_an_open_card_does_not_refetch_the_session_until_the_car_syncs(homeowner, fake_podero, monkeypatch):
    from devices.services import evplan

    raw, ev = _ev(homeowner, fake_podero, battery_level=50, minimum_charge_limit=80, charge_deadline_at="07:00")
    _session(fake_podero, raw, desired_charging_start_time="2026-12-04T00:00:00Z",
             desired_charging_end_time="2026-12-04T04:30:00Z")
    services.ev_plan(link=homeowner.podero, device=ev, now=at(3, 22))
    settle_background()
    clock = [evplan.time.time() + evplan.SESSION_CARD_MAX_AGE * 3]  # long past the old 2-minute clock
    monkeypatch.setattr(evplan.time, "time", lambda: clock[0])
    services.ev_plan(link=homeowner.podero, device=ev, now=at(3, 22))
    settle_background()
    assert len(fake_podero.list_calls("get_ev_current_session")) == 1  # the car has not synced since
    synced = dataclasses.replace(ev, state_updated_at=datetime.fromtimestamp(clock[0] - 1, VIENNA))
    services.ev_plan(link=homeowner.podero, device=synced, now=at(3, 22))
    settle_background()
    assert len(fake_podero.list_calls("get_ev_current_session")) == 2  # it has: fetched once more
