"""Homeowner controls against the in-memory fake Podero: every branch, every refusal, the audit log."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from dashboard import controls
from devices import podero, services
from devices.models import AuditEntry
from tests import payloads
from tests.conftest import PASSWORD

from .conftest import HTMX

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"dashboard:{name}", args=args)


def msgs(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def last_audit():
    return AuditEntry.objects.order_by("-id").first()


# --- Pause / resume optimization -------------------------------------------------------------------
def test_pause_heat_pump_without_js_redirects_with_message_and_audits(home):
    response = home.client.post(url("optimization", "heat-pump", home.hp["id"]), {"active": "0"})
    assert response.status_code == 302
    assert response["Location"].startswith(url("home"))
    assert msgs(response) == [controls.PAUSED["heat-pumps"]]
    assert "follows its own schedule until you resume" in msgs(response)[0]
    assert home.writes() == [("update_device", "heat-pumps", home.hp["id"])]
    assert home.hp["is_smart_optimization_active"] is False
    entry = last_audit()
    assert (entry.action, entry.outcome, entry.device_kind, entry.device_id) == (
        "optimization_set", "ok", "heat-pumps", home.hp["id"])
    assert entry.values == {"is_smart_optimization_active": False}
    assert entry.user == home.user and entry.user_email == home.user.email and entry.upstream_status == 200


def test_pause_inverter_with_htmx_swaps_the_card(home):
    response = home.client.post(url("optimization", "inverter", home.inverter["id"]), {"active": "0"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="device-{home.inverter["id"]}"' in html
    assert "your inverter and battery follow their own settings until you resume" in html
    assert "Resume optimization" in html and "<html" not in html
    assert response["Vary"].count("HX-Request") == 1


def test_resume_heat_pump(home):
    home.hp["is_smart_optimization_active"] = False
    response = home.client.post(url("optimization", "heat-pump", home.hp["id"]), {"active": "1"}, **HTMX)
    assert "Pause optimization" in response.content.decode()
    assert home.hp["is_smart_optimization_active"] is True


def test_optimization_card_says_what_pausing_means(home):
    html = home.client.get(url("home")).content.decode()
    assert "While paused, your heat pump follows its own schedule." in html
    assert "While paused, your inverter and battery follow their own settings." in html
    assert html.count("We resume optimization at the time you choose.") == 3  # heat pump, inverter, EV


@pytest.mark.parametrize("data", [{}, {"active": "maybe"}])
def test_optimization_bad_value_is_refused_without_a_call(home, data):
    response = home.client.post(url("optimization", "heat-pump", home.hp["id"]), data, **HTMX)
    assert response.status_code == 422
    assert "Choose pause or resume" in response.content.decode()
    assert home.writes() == []
    assert last_audit().outcome == "invalid"


def test_optimization_for_an_unknown_kind_is_404(home):
    response = home.client.post(url("optimization", "wallbox", home.ev["id"]), {"active": "0"})
    assert response.status_code == 404
    assert home.writes() == []


def test_optimization_of_an_ev_pauses_smart_charging(home):
    response = home.client.post(url("optimization", "electric-vehicle", home.ev["id"]), {"active": "0"})
    assert response.status_code == 302
    assert home.ev["is_smart_optimization_active"] is False
    assert msgs(response) == [controls.PAUSED["electric-vehicles"]]


def test_optimization_upstream_failure_says_not_saved(home):
    home.fake.write_error = podero.PoderoTimeout("timed out")
    response = home.client.post(url("optimization", "heat-pump", home.hp["id"]), {"active": "0"}, follow=True)
    assert "Your change was not saved" in response.content.decode()
    assert home.hp["is_smart_optimization_active"] is True
    entry = last_audit()
    assert entry.outcome == "failed" and "PoderoTimeout" in entry.error


# --- Charge now ------------------------------------------------------------------------------------
def test_boost_plugged_in_shows_starting_and_polls(home):
    response = home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Starting…" in html and re.search(r"<button[^>]*disabled[^>]*>Starting…", html)
    assert f'hx-get="{url("ev-boost-poll", home.ev["id"])}"' in html
    assert 'hx-trigger="every 3s"' in html and f'hx-target="#device-{home.ev["id"]}"' in html
    assert home.writes() == [("start_boost", home.ev["id"])]
    assert controls.BOOST_SESSION_KEY.format(id=home.ev["id"]) in home.client.session
    entry = last_audit()
    assert (entry.action, entry.outcome, entry.upstream_status) == ("boost_start", "ok", 204)


def test_boost_without_js_redirects_with_message(home):
    response = home.client.post(url("ev-boost", home.ev["id"]))
    assert response.status_code == 302
    assert msgs(response) == [controls.BOOST_STARTING]


def test_available_card_has_enabled_charge_now(home):
    html = home.client.get(url("home")).content.decode()
    assert re.search(r'<button type="submit" class="button button--primary" aria-describedby="[^"]+">Charge now'
                     r'</button>', html)
    assert f'action="{url("ev-boost", home.ev["id"])}"' in html


def test_poll_while_requested_keeps_polling_then_286_when_charging(home, monkeypatch):
    home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    poll = url("ev-boost-poll", home.ev["id"])
    response = home.client.get(poll, **HTMX)
    assert response.status_code == 200 and 'hx-trigger="every 3s"' in response.content.decode()
    home.ev.update(boost_state="ongoing", is_charging=True, charge_rate_w=11000)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3)  # the next poll, 3 s later
    response = home.client.get(poll, **HTMX)
    assert response.status_code == 286
    html = response.content.decode()
    # No dead stop button: there is no API to stop a running boost, so the sentence says what ends it.
    assert "Charging at full power until 90 %; it ends by itself then, or when you unplug the car." in html
    assert not re.search(r"<button[^>]*disabled[^>]*>Charging</button>", html)
    assert "every 3s" not in html
    assert controls.BOOST_SESSION_KEY.format(id=home.ev["id"]) not in home.client.session
    # The poll fetched this one EV fresh, not the list.
    assert home.fake.list_calls("get_device")[-1] == ("get_device", "electric-vehicles", home.ev["id"])


def test_poll_times_out_after_three_minutes(home):
    home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    session = home.client.session
    session[controls.BOOST_SESSION_KEY.format(id=home.ev["id"])] = time.time() - controls.BOOST_POLL_TIMEOUT_S - 1
    session.save()
    response = home.client.get(url("ev-boost-poll", home.ev["id"]), **HTMX)
    assert response.status_code == 286
    html = response.content.decode()
    assert "Still starting after 3 minutes: the car has not begun charging." in html
    assert ">Try again</button>" in html and f'action="{url("ev-boost", home.ev["id"])}"' in html
    assert "every 3s" not in html


def test_try_again_on_a_slow_boost_checks_for_three_more_minutes(home):
    home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    key = controls.BOOST_SESSION_KEY.format(id=home.ev["id"])
    session = home.client.session
    session[key] = time.time() - controls.BOOST_POLL_TIMEOUT_S - 1
    session.save()
    # Podero answers a second boost with 409 while the first is still `requested`: say it is still starting.
    response = home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    html = response.content.decode()
    assert str(controls.BOOST_STILL_STARTING) in html
    assert "Starting… (usually under a minute)" in html and 'hx-trigger="every 3s"' in html
    assert time.time() - home.client.session[key] < controls.BOOST_POLL_TIMEOUT_S


def test_poll_without_htmx_goes_back_to_the_dashboard(home):
    response = home.client.get(url("ev-boost-poll", home.ev["id"]))
    assert response.status_code == 302


def test_poll_upstream_failure_keeps_polling_with_a_note(home):
    home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    home.fake.fail_with = podero.PoderoTimeout("slow")
    response = home.client.get(url("ev-boost-poll", home.ev["id"]), **HTMX)
    assert response.status_code == 200
    assert "Could not check the car just now" in response.content.decode()


def test_boost_unplugged_is_armed_then_cancelled(home):
    home.ev.update(is_plugged_in=False, boost_state="unavailable")
    card = home.client.get(url("home")).content.decode()
    assert "Charge when plugged in" in card
    response = home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    html = response.content.decode()
    assert home.ev["boost_for_next_session"] is True
    assert "Will charge at full power as soon as you plug in." in html
    assert "Boost unavailable" not in html
    assert f'action="{url("ev-boost-cancel", home.ev["id"])}"' in html and ">Cancel</button>" in html
    response = home.client.post(url("ev-boost-cancel", home.ev["id"]), **HTMX)
    assert home.ev["boost_for_next_session"] is False
    html = response.content.decode()
    assert str(controls.BOOST_CANCELLED) in html and ">Cancel</button>" not in html
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["boost_start", "boost_cancel"]


def test_boost_unplugged_without_js_says_armed(home):
    home.ev.update(is_plugged_in=False, boost_state="unavailable")
    response = home.client.post(url("ev-boost", home.ev["id"]))
    assert msgs(response) == [controls.BOOST_ARMED]


@pytest.mark.parametrize("state", [{"boost_state": "ongoing", "is_charging": True},
                                   {"boost_state": "unavailable", "is_fully_charged": True}])
def test_boost_409_is_a_friendly_message(home, state):
    home.ev.update(state)
    response = home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    assert response.status_code == 200
    assert "Already charging or full — nothing to do." in response.content.decode()
    assert last_audit().outcome == "conflict" and last_audit().upstream_status == 409
    response = home.client.post(url("ev-boost", home.ev["id"]), follow=True)
    assert "Already charging or full — nothing to do." in response.content.decode()
    assert "message--info" in response.content.decode()


def test_unavailable_boost_is_disabled_with_the_reason(home):
    home.ev.update(boost_state="unavailable", is_fully_charged=True, battery_level=90)
    html = home.client.get(url("home")).content.decode()
    # The reason instead of a dead button.
    assert not re.search(r"<button[^>]*>Charge now</button>", html)
    assert "Charge now is not available: the battery is full." in html


def test_boost_upstream_failure_is_not_an_error_page(home):
    home.fake.write_error = podero.PoderoServerError(status=503, method="POST", path="/boost", body=None)
    response = home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    assert response.status_code == 200
    assert "Your change was not saved: Podero is not reachable." in response.content.decode()
    assert last_audit().outcome == "failed" and last_audit().upstream_status == 503


# --- Charge deadline -------------------------------------------------------------------------------
def test_deadline_enable_sends_the_fields(home):
    home.ev["is_charge_policy_enabled"] = False
    data = {"enabled": "1", "minimum_charge_limit": "70", "charge_deadline_at": "06:30"}
    response = home.client.post(url("ev-deadline", home.ev["id"]), data)
    assert response.status_code == 302
    assert msgs(response) == ["Charge deadline saved: at least 70 % by 06:30 every day."]
    assert home.ev["is_charge_policy_enabled"] is True
    assert home.ev["minimum_charge_limit"] == 70 and home.ev["charge_deadline_at"] == "06:30"
    assert last_audit().values == {"is_charge_policy_enabled": True, "minimum_charge_limit": 70,
                                   "charge_deadline_at": "06:30"}


def test_deadline_disable_with_htmx(home):
    response = home.client.post(url("ev-deadline", home.ev["id"]), {"enabled": "0"}, **HTMX)
    assert response.status_code == 200
    assert home.ev["is_charge_policy_enabled"] is False
    html = response.content.decode()
    assert "fully cost-optimized" in html and "Set a charge deadline" in html


BAD_DEADLINES = [
    ({"minimum_charge_limit": "abc", "charge_deadline_at": "07:00"}, "minimum_charge_limit", "abc",
     "whole number"),
    ({"minimum_charge_limit": "101", "charge_deadline_at": "07:00"}, "minimum_charge_limit", "101", "above 100"),
    ({"minimum_charge_limit": "-5", "charge_deadline_at": "07:00"}, "minimum_charge_limit", "-5", "below 0"),
    ({"minimum_charge_limit": "80", "charge_deadline_at": "7am"}, "charge_deadline_at", "7am", "“7am” is not a time of day"),
    ({"minimum_charge_limit": "80", "charge_deadline_at": "25:00"}, "charge_deadline_at", "25:00", "“25:00” is not a time of day"),
    ({"minimum_charge_limit": "80"}, "charge_deadline_at", "", "Enter a time, such as 07:00."),
]


@pytest.mark.parametrize(("data", "field", "typed", "error"), BAD_DEADLINES)
@pytest.mark.parametrize("htmx", [False, True])
def test_deadline_validation_keeps_input_and_sends_nothing(home, data, field, typed, error, htmx):
    response = home.client.post(url("ev-deadline", home.ev["id"]), {"enabled": "1", **data},
                                **(HTMX if htmx else {}))
    assert response.status_code == 422
    html = response.content.decode()
    field_id = f"deadline-{home.ev['id']}-{field}"
    assert re.search(rf'<input[^>]*id="{field_id}"[^>]*aria-invalid="true"', html) or \
        re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="{field_id}"', html)
    assert f'id="{field_id}_error"' in html and error in html
    if typed:
        assert f'value="{typed}"' in html
        if field == "charge_deadline_at":  # a time field cannot hold "25:00": it comes back as text, kept
            tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html).group(0)
            assert 'type="text"' in tag and f'value="{typed}"' in tag
    assert home.writes() == []
    entry = last_audit()
    assert (entry.outcome, entry.action) == ("invalid", "charge_deadline_set")
    if htmx:
        assert f'id="device-{home.ev["id"]}"' in html and "<html" not in html
    else:
        assert "<html" in html and "Please correct the highlighted fields" in html


def test_deadline_upstream_field_errors_land_on_the_field(home):
    home.fake.write_error = podero.PoderoValidationError(
        status=422, method="PUT", path="/ev", body={"detail": [{"loc": ["body", "minimum_charge_limit"],
                                                                "msg": "must not exceed charge_target_max"}]})
    data = {"enabled": "1", "minimum_charge_limit": "95", "charge_deadline_at": "07:15"}
    response = home.client.post(url("ev-deadline", home.ev["id"]), data, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Podero: must not exceed charge_target_max" in html
    assert 'value="95"' in html and 'value="07:15"' in html
    assert "Your change was not saved" in html
    assert last_audit().outcome == "invalid" and last_audit().upstream_status == 422


def test_deadline_upstream_timeout_keeps_input_for_retry(home):
    home.fake.write_error = podero.PoderoTimeout("timed out")
    data = {"enabled": "1", "minimum_charge_limit": "65", "charge_deadline_at": "05:45"}
    response = home.client.post(url("ev-deadline", home.ev["id"]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your change was not saved" in html and 'value="65"' in html and 'value="05:45"' in html
    home.fake.write_error = None
    assert home.client.post(url("ev-deadline", home.ev["id"]), data).status_code == 302
    assert home.ev["minimum_charge_limit"] == 65


def test_deadline_page_get(home):
    response = home.client.get(url("ev-deadline", home.ev["id"]))
    assert response.status_code == 200
    assert 'value="80"' in response.content.decode() and 'value="07:00"' in response.content.decode()


# --- Plan summary ----------------------------------------------------------------------------------
def test_plan_summary_from_the_weekly_policy(home):
    link = home.user.podero
    home.fake.policies[home.ev["id"]] = {
        **{d: {"charge_percentage": 80, "charge_deadline": "07:00"} for d in services.WEEKDAYS},
        "sat": {"charge_percentage": 55, "charge_deadline": "10:30"}, "timezone": "Europe/Vienna"}
    ev = services.ev_get(link=link, device_id=home.ev["id"])
    friday_evening = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # 21:00 in Vienna, a Friday
    # The card never waits for Podero: until the weekly policy is cached, the daily default speaks,
    # and the policy is fetched in the background.
    assert services.ev_charge_plan(link=link, device=ev, now=friday_evening) == "Tomorrow: 80 % by 07:00"
    for _ in range(200):
        if cache.get(services.policy_key(link, home.ev["id"])) is not None:
            break
        time.sleep(0.02)
    assert services.ev_charge_plan(link=link, device=ev, now=friday_evening) == "Tomorrow: 55 % by 10:30"
    saturday_early = datetime(2026, 3, 7, 5, 0, tzinfo=UTC)  # 06:00 in Vienna
    assert services.ev_charge_plan(link=link, device=ev, now=saturday_early) == "Today: 55 % by 10:30"
    assert len(home.fake.list_calls("get_charge_policy")) == 1  # then reused from the cache


def test_plan_summary_on_the_card_and_when_off(home):
    html = home.client.get(url("home")).content.decode()
    assert "No plan yet: Podero is planning the cheapest hours · 80 % by 07:00" in html
    home.ev["is_charge_policy_enabled"] = False
    services.invalidate(link=home.user.podero)
    html = home.client.get(url("home")).content.decode()
    assert "No plan yet: Podero is planning the cheapest hours · no deadline, fully cost-optimized" in html


def test_plan_summary_survives_a_policy_outage(home):
    real = home.fake.get_charge_policy

    def broken(**kw):
        raise podero.PoderoTimeout("slow")

    home.fake.get_charge_policy = broken
    html = home.client.get(url("home")).content.decode()
    assert "· 80 % by 07:00" in html  # from the EV's daily fields
    home.fake.get_charge_policy = real


# --- Weekly schedule -------------------------------------------------------------------------------
def schedule_data(**overrides):
    data = {f"{d}_percentage": "80" for d in services.WEEKDAYS}
    data.update({f"{d}_deadline": "07:00" for d in services.WEEKDAYS})
    data.update(action="save")
    data.update(overrides)
    return data


def test_schedule_loads_the_current_policy(home):
    home.fake.policies[home.ev["id"]] = {
        **{d: {"charge_percentage": 70, "charge_deadline": "06:45"} for d in services.WEEKDAYS},
        "sun": {"charge_percentage": 90, "charge_deadline": "18:00"}, "timezone": "Europe/Berlin"}
    html = home.client.get(url("ev-schedule", home.ev["id"])).content.decode()
    assert 'name="sun_percentage" value="90"' in html.replace("\n", " ") or re.search(
        r'name="sun_percentage"[^>]*value="90"', html)
    assert re.search(r'name="mon_deadline"[^>]*value="06:45"', html)
    # Saved elsewhere in another zone than the homeowner's: said, and saving uses theirs (Settings holds it).
    assert "This schedule was saved in Berlin time. Saving it again uses your time zone, Vienna." in html


def test_schedule_times_are_in_the_homeowners_one_time_zone(home):
    home.user.timezone = "Europe/Lisbon"
    home.user.save()
    home.fake.policies[home.ev["id"]] = {**{d: {"charge_percentage": 70, "charge_deadline": "06:45"}
                                            for d in services.WEEKDAYS}, "timezone": "Europe/Lisbon"}
    html = home.client.get(url("ev-schedule", home.ev["id"])).content.decode()
    assert "The times above are in your time zone, Lisbon." in html
    assert 'href="/settings/"' in html and 'name="timezone"' not in html  # one place to set it: Settings
    assert "was saved in" not in html


def test_schedule_save_sends_the_week_and_persists(home):
    home.user.timezone = "Europe/Berlin"
    home.user.save()
    data = schedule_data(fri_percentage="60", fri_deadline="07:30", sun_percentage="90", sun_deadline="18:00",
                         timezone="America/New_York")  # a posted zone is not a field: the setting wins
    home.client.get(url("ev-schedule", home.ev["id"]))  # warms the 30 s policy cache
    response = home.client.post(url("ev-schedule", home.ev["id"]), data)
    assert response.status_code == 302 and response["Location"].startswith(url("home"))
    sent = home.fake.policies[home.ev["id"]]
    assert sent["fri"] == {"charge_percentage": 60, "charge_deadline": "07:30"}
    assert sent["timezone"] == "Europe/Berlin" and set(sent) == {*services.WEEKDAYS, "timezone"}
    html = home.client.get(url("ev-schedule", home.ev["id"])).content.decode()
    assert re.search(r'name="fri_deadline"[^>]*value="07:30"', html)  # the cache was invalidated
    entry = last_audit()
    assert (entry.action, entry.outcome) == ("charge_policy_set", "ok") and entry.values["timezone"] == "Europe/Berlin"


BAD_SCHEDULES = [
    ({"tue_percentage": "150"}, "tue_percentage", "150", "above 100"),
    ({"wed_percentage": "-1"}, "wed_percentage", "-1", "below 0"),
    ({"thu_percentage": "lots"}, "thu_percentage", "lots", "whole number"),
    ({"fri_deadline": "7.30"}, "fri_deadline", "7.30", "“7.30” is not a time of day"),
    ({"sat_deadline": "24:00"}, "sat_deadline", "24:00", "“24:00” is not a time of day"),
    ({"sun_percentage": "", "sun_deadline": ""}, "sun_percentage", None, "Enter a charge level"),
]


@pytest.mark.parametrize(("override", "field", "typed", "error"), BAD_SCHEDULES)
def test_schedule_validation_keeps_input_and_sends_nothing(home, override, field, typed, error):
    data = schedule_data(mon_percentage="77", **override)
    response = home.client.post(url("ev-schedule", home.ev["id"]), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html and error in html
    assert re.search(rf'id="id_{field}"', html)
    if typed:
        assert re.search(rf'name="{field}"[^>]*value="{re.escape(typed)}"', html)
    assert re.search(r'name="mon_percentage"[^>]*value="77"', html)  # the rest survives too
    assert home.writes() == []
    assert last_audit().outcome == "invalid"


def test_schedule_missing_day_is_a_field_error(home):
    data = schedule_data()
    del data["wed_percentage"], data["wed_deadline"]
    response = home.client.post(url("ev-schedule", home.ev["id"]), data)
    assert response.status_code == 422
    assert 'id="id_wed_percentage_error"' in response.content.decode()
    assert home.writes() == []


def test_copy_monday_and_presets_change_the_form_only(home):
    data = schedule_data(mon_percentage="66", mon_deadline="06:10", action="copy_monday")
    html = home.client.post(url("ev-schedule", home.ev["id"]), data).content.decode()
    for day in ("tue", "wed", "thu", "fri"):
        assert re.search(rf'name="{day}_percentage"[^>]*value="66"', html)
        assert re.search(rf'name="{day}_deadline"[^>]*value="06:10"', html)
    assert re.search(r'name="sat_percentage"[^>]*value="80"', html)
    data = schedule_data(action="weekend_lie_in")
    html = home.client.post(url("ev-schedule", home.ev["id"]), data).content.decode()
    assert re.search(r'name="sun_percentage"[^>]*value="60"', html)
    assert re.search(r'name="sat_deadline"[^>]*value="10:00"', html)
    assert home.writes() == [] and AuditEntry.objects.count() == 0


def test_schedule_reachable_but_only_applies_while_the_policy_is_on(home):
    home.ev["is_charge_policy_enabled"] = False
    html = home.client.get(url("home")).content.decode()
    assert url("ev-schedule", home.ev["id"]) in html  # reachable whether or not a deadline is set
    html = home.client.get(url("ev-schedule", home.ev["id"])).content.decode()
    assert "Turn on a charge deadline first" in html and 'name="mon_percentage"' not in html
    response = home.client.post(url("ev-schedule", home.ev["id"]), schedule_data())
    assert response.status_code == 409 and home.writes() == []


def test_schedule_upstream_422_maps_onto_the_day(home):
    home.fake.write_error = podero.PoderoValidationError(
        status=422, method="PUT", path="/charge-policy",
        body={"detail": [{"loc": ["body", "payload", "thu", "charge_deadline"], "msg": "bad time"}]})
    response = home.client.post(url("ev-schedule", home.ev["id"]), schedule_data(thu_deadline="05:55"))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_thu_deadline_error"' in html and "Podero: bad time" in html
    assert re.search(r'name="thu_deadline"[^>]*value="05:55"', html)


def test_schedule_upstream_failure_keeps_input(home):
    home.fake.write_error = podero.PoderoServerError(status=500, method="PUT", path="/charge-policy", body=None)
    response = home.client.post(url("ev-schedule", home.ev["id"]), schedule_data(sat_percentage="42"))
    html = response.content.decode()
    assert "Your change was not saved" in html and re.search(r'name="sat_percentage"[^>]*value="42"', html)


def test_schedule_load_failure_falls_back_to_the_daily_deadline(home):
    def broken(**kw):
        raise podero.PoderoTimeout("slow")

    home.fake.get_charge_policy = broken
    html = home.client.get(url("ev-schedule", home.ev["id"])).content.decode()
    assert "could not be loaded" in html and re.search(r'name="wed_percentage"[^>]*value="80"', html)


def test_policy_is_cached_and_invalidated_on_write(home):
    link = home.user.podero
    services.ev_charge_policy_get(link=link, device_id=home.ev["id"])
    services.ev_charge_policy_get(link=link, device_id=home.ev["id"])
    assert len(home.fake.list_calls("get_charge_policy")) == 1
    home.client.post(url("ev-deadline", home.ev["id"]),
                     {"enabled": "1", "minimum_charge_limit": "70", "charge_deadline_at": "06:30"})
    services.ev_charge_policy_get(link=link, device_id=home.ev["id"])
    assert len(home.fake.list_calls("get_charge_policy")) == 2


# --- Security --------------------------------------------------------------------------------------
FOREIGN_POSTS = [
    ("ev-boost", {}), ("ev-boost-cancel", {}),
    ("ev-deadline", {"enabled": "1", "minimum_charge_limit": "80", "charge_deadline_at": "07:00"}),
    ("ev-deadline", {"enabled": "1", "minimum_charge_limit": "bad"}),
    ("ev-schedule", schedule_data()),
    ("ev-schedule", schedule_data(mon_percentage="bad")),
]


@pytest.mark.parametrize(("name", "data"), FOREIGN_POSTS)
def test_another_homeowners_ev_is_404_and_audited(home, other_ev, name, data):
    response = home.client.post(url(name, other_ev["id"]), data, **HTMX)
    assert response.status_code == 404
    assert home.writes() == []
    entry = last_audit()
    assert (entry.outcome, entry.device_id, entry.user) == ("refused", other_ev["id"], home.user)


def test_another_homeowners_heat_pump_is_404(home, fake_podero, other_homeowner):
    hp = fake_podero.add(other_homeowner.podero.podero_user_id, "heat-pumps", payloads.heat_pump())
    response = home.client.post(url("optimization", "heat-pump", hp["id"]), {"active": "0"})
    assert response.status_code == 404 and home.writes() == [] and last_audit().outcome == "refused"
    assert hp["is_smart_optimization_active"] is True


@pytest.mark.parametrize("name", ["ev-boost-poll", "ev-schedule", "ev-deadline"])
def test_another_homeowners_ev_cannot_be_read(home, other_ev, name):
    assert home.client.get(url(name, other_ev["id"]), **HTMX).status_code == 404
    assert not home.fake.list_calls("get_device") and not home.fake.list_calls("get_charge_policy")


def test_post_without_csrf_token_is_refused(home):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(home.user)
    for target, data in [(url("ev-boost", home.ev["id"]), {}),
                         (url("optimization", "heat-pump", home.hp["id"]), {"active": "0"}),
                         (url("ev-schedule", home.ev["id"]), schedule_data())]:
        assert strict.post(target, data).status_code == 403
        assert strict.post(target, data, **HTMX).status_code == 403
    assert home.writes() == []


def test_post_with_csrf_token_from_the_page_works(home):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(home.user)
    page = strict.get(url("home")).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = strict.post(url("ev-boost", home.ev["id"]), HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200 and home.writes() == [("start_boost", home.ev["id"])]


def test_get_cannot_change_anything(home):
    assert home.client.get(url("ev-boost", home.ev["id"])).status_code == 405
    assert home.client.get(url("optimization", "heat-pump", home.hp["id"])).status_code == 405


def test_anonymous_is_sent_to_login(client, fake_podero):
    target = url("ev-boost", "c2a9e1d4-55b0-4b7e-9f51-0a6c7d8e9f10")
    assert client.post(target)["Location"].startswith("/accounts/login/")
    assert "HX-Redirect" in client.post(target, **HTMX)
    assert fake_podero.calls == []


def test_the_eleventh_write_in_a_minute_is_429(home):
    for i in range(services.WRITE_LIMIT):
        active = "0" if i % 2 == 0 else "1"
        response = home.client.post(url("optimization", "heat-pump", home.hp["id"]), {"active": active})
        assert response.status_code == 302, i
    before = len(home.writes())
    response = home.client.post(url("ev-boost", home.ev["id"]))
    assert response.status_code == 429
    html = response.content.decode()
    assert "You have made 10 changes in the last minute. Please wait a minute and try again." in html
    assert "<html" in html
    response = home.client.post(url("ev-boost", home.ev["id"]), **HTMX)
    assert response.status_code == 429 and f'id="device-{home.ev["id"]}"' in response.content.decode()
    response = home.client.post(url("ev-schedule", home.ev["id"]), schedule_data(mon_percentage="33"))
    assert response.status_code == 429
    assert re.search(r'name="mon_percentage"[^>]*value="33"', response.content.decode())  # input kept
    assert len(home.writes()) == before
    assert AuditEntry.objects.filter(outcome="rate_limited").count() == 3


def test_the_rate_limit_is_per_homeowner(home, other_homeowner, fake_podero):
    ev = fake_podero.add(other_homeowner.podero.podero_user_id, "electric-vehicles", payloads.electric_vehicle())
    statuses = [home.client.post(url("optimization", "heat-pump", home.hp["id"]), {"active": "0"}).status_code
                for _ in range(services.WRITE_LIMIT + 1)]
    assert statuses == [302] * services.WRITE_LIMIT + [429]  # the first homeowner WAS limited ...
    assert home.client.post(url("ev-boost", home.ev["id"])).status_code == 429  # ... on every device
    assert home.writes() == [("update_device", "heat-pumps", home.hp["id"])] * services.WRITE_LIMIT
    other = Client()
    other.force_login(other_homeowner)
    assert other.post(url("ev-boost", ev["id"])).status_code == 302  # ... and the second one is not
    assert home.writes()[-1] == ("start_boost", ev["id"])


# --- Admin -----------------------------------------------------------------------------------------
def test_audit_admin_is_read_only_and_filterable(home, django_user_model):
    home.client.post(url("ev-boost", home.ev["id"]))
    staff = django_user_model.objects.create_superuser(email="boss@example.com", password=PASSWORD)
    admin = Client()
    admin.force_login(staff)
    changelist = reverse("admin:devices_auditentry_changelist")
    response = admin.get(changelist, {"outcome": "ok", "q": home.user.email})
    assert response.status_code == 200 and "boost_start" in response.content.decode()
    assert admin.get(changelist, {"q": home.ev["id"]}).status_code == 200
    assert admin.get(changelist, {"device_kind": "electric-vehicles", "action": "boost_start"}).status_code == 200
    assert admin.get(reverse("admin:devices_auditentry_add")).status_code == 403
    entry = last_audit()
    page = admin.get(reverse("admin:devices_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200 and 'name="outcome"' not in page.content.decode()
    assert admin.post(reverse("admin:devices_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403


def test_a_valid_time_renders_as_a_time_field_in_the_locale_clock(home):
    html = home.client.get("/").content.decode()
    tag = re.search(rf'<input[^>]*id="deadline-{home.ev["id"]}-charge_deadline_at"[^>]*>', html).group(0)
    assert 'type="time"' in tag and re.search(r'value="\d\d:\d\d"', tag)
