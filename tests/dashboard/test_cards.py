"""The dashboard cards show every display rule of the integration guide, and never a 500 on odd payloads."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.test import override_settings

from devices.schemas import parse_device
from tests import payloads

pytestmark = pytest.mark.django_db


def _page(client, homeowner, fake_podero, **kinds) -> str:
    """Render the dashboard for `homeowner` with the given payloads (kind=[payload, ...])."""
    uid = homeowner.podero.podero_user_id
    for kind, items in kinds.items():
        for item in items:
            fake_podero.add(uid, kind.replace("_", "-"), item)
    client.force_login(homeowner)
    response = client.get("/")
    assert response.status_code == 200
    return _text(response.content.decode())


def _text(html: str) -> str:
    return html.replace("\u00a0", " ")


def _card(html: str, device_id: str) -> str:
    start = html.rindex("<article", 0, html.index(f'id="device-{device_id}"'))
    end = html.find("</article>", start)
    return html[start:end]


def _fresh() -> str:
    return (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


# --- Heat pump ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("active", "mode", "label"),
    [
        (False, "low", "Not optimizing"),
        (True, "min", "Min"),
        (True, "low", "ECO"),
        (True, "mid", "Comfort"),
        (True, "max", "Boost"),
        (True, "turbo", "Optimizing (turbo)"),
        (True, None, "Optimizing"),
        (None, "low", "Unknown"),
    ],
)
def test_heat_pump_optimization_label(client, homeowner, fake_podero, active, mode, label):
    hp = payloads.heat_pump(is_smart_optimization_active=active, current_mode=mode)
    card = _card(_page(client, homeowner, fake_podero, heat_pumps=[hp]), hp["id"])
    assert f'<p class="pill pill--{"on" if active else "off"}">{label}</p>' in card
    assert re.search(rf"<dt>Running now</dt><dd>{re.escape(label)}( — [a-z ]+)?</dd>", card), card


def test_heat_pump_says_what_its_mode_and_level_mean(client, homeowner, fake_podero):
    hp = payloads.heat_pump(is_smart_optimization_active=True, current_mode="min", optimization_level="mid")
    fake_podero.add(homeowner.podero.podero_user_id, "heat-pumps", hp)
    client.force_login(homeowner)
    html = client.get(f"/devices/heat-pump/{hp['id']}/").content.decode()
    assert "<dt>Running now</dt><dd>Min — the lowest setting</dd>" in html
    assert "<dt>Highest setting Podero may use</dt><dd>Comfort</dd>" in html


def test_heat_pump_readings_units_and_missing_indoor_sensor(client, homeowner, fake_podero):
    hp = payloads.heat_pump(current_power_consumption_w=950, indoor_actual_temperature=None,
                            indoor_target_temperature=None, outdoor_temperature=-3.45, dhw_temperature=47.9,
                            inlet_temperature=33.1, operational_mode="Heating")
    card = _card(_page(client, homeowner, fake_podero, heat_pumps=[hp]), hp["id"])
    assert '<p class="hero__value">950 W</p>' in card
    assert "Indoor</dt><dd>no sensor</dd>" in card
    assert "Outdoor</dt><dd>-3.5 °C</dd>" in card  # rounded half up, one decimal
    assert "Hot water</dt><dd>47.9 °C</dd>" in card
    assert "Inlet</dt><dd>33.1 °C</dd>" in card
    assert "Operating mode</dt><dd>Heating</dd>" in card


def test_operating_mode_is_derived_from_the_enabled_functions_when_not_sent(client, homeowner, fake_podero):
    hp = payloads.heat_pump(is_space_heating_enabled=True, is_hot_water_heating_enabled=True)
    off = payloads.heat_pump(is_space_heating_enabled=False, is_hot_water_heating_enabled=False)
    html = _page(client, homeowner, fake_podero, heat_pumps=[hp, off])
    assert "Operating mode</dt><dd>Heating & hot water</dd>" in _card(html, hp["id"]).replace("&amp;", "&")
    assert "Operating mode</dt><dd>Standby</dd>" in _card(html, off["id"])


def test_power_above_one_kilowatt_is_shown_in_kw(client, homeowner, fake_podero):
    hp = payloads.heat_pump(current_power_consumption_w=1850)
    card = _card(_page(client, homeowner, fake_podero, heat_pumps=[hp]), hp["id"])
    assert '<p class="hero__value">1.9 kW</p>' in card


# --- Electric vehicle ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("plugged", "charging", "full", "label"),
    [
        (False, False, False, "Unplugged"),
        (False, None, False, "Unplugged"),
        (True, False, False, "Plugged in — waiting for an optimal window"),
        (True, True, False, "Charging"),
        (True, False, True, "Plugged in — fully charged"),
        (None, None, None, "Charging status unknown"),
    ],
)
def test_ev_charge_status(client, homeowner, fake_podero, plugged, charging, full, label):
    ev = payloads.electric_vehicle(is_plugged_in=plugged, is_charging=charging, is_fully_charged=full,
                                   boost_state="unavailable")
    card = _card(_page(client, homeowner, fake_podero, electric_vehicles=[ev]), ev["id"])
    # Said once, in the pill (the card no longer repeats it as a reading).
    pill = re.search(r'<p class="pill pill--[a-z]+[^"]*"[^>]*>(.*?)</p>', card, re.S).group(1)
    assert re.sub(r"<svg.*?</svg>", "", pill, flags=re.S) == label
    assert "<dt>Charge status</dt>" not in card


@pytest.mark.parametrize(
    ("overrides", "text", "pill"),
    [
        ({"boost_state": "available"}, "Charges at full power straight away, whatever the price.",
         "Plugged in — waiting for an optimal window"),
        ({"boost_state": "requested"}, "Starting… (usually under a minute)", "Starting…"),
        ({"boost_state": "ongoing", "is_charging": True},
         "Charging at full power until 90 %; it ends by itself then, or when you unplug the car.",
         "Charging"),
        ({"boost_state": "ongoing", "is_charging": True, "charge_target_max": None},
         "Charging at full power until the battery is full; it ends by itself then, or when you unplug the car.",
         "Charging"),
        ({"boost_state": "unavailable", "is_plugged_in": False},
         "Plug in the car, or have it charge at full power as soon as you do.", "Unplugged"),
        ({"boost_state": "unavailable", "is_plugged_in": False, "boost_for_next_session": True},
         "Will charge at full power as soon as you plug in.", "Unplugged — charges when plugged in"),
        ({"boost_state": "unavailable", "is_fully_charged": True}, "Charge now is not available: the battery is full.",
         "Plugged in — fully charged"),
        ({"boost_state": "unavailable", "is_charging": True}, "Charge now is not available: the car is already charging.",
         "Charging"),
        ({"boost_state": "warp-speed"}, "Charge now is not available: the car's charging state is not known.", None),
        ({"boost_state": None}, "Charge now is not available: the car's charging state is not known.", None),
    ],
)
def test_ev_boost_is_one_state_one_sentence(client, homeowner, fake_podero, overrides, text, pill):
    ev = payloads.electric_vehicle(**overrides)
    card = html.unescape(_card(_page(client, homeowner, fake_podero, electric_vehicles=[ev]), ev["id"]))
    status = re.search(rf'<p class="controls__status [^"]*" id="device-{ev["id"]}-boost" role="status" '
                       r'aria-live="polite">(.*?)</p>', card, re.S)
    assert status and status.group(1) == text
    assert card.count(text) == 1  # said once: no reading, notice or hint repeats it
    if pill:
        shown = re.search(r'<p class="pill pill--[a-z]+[^"]*"[^>]*>(.*?)</p>', card, re.S).group(1)
        assert re.sub(r"<svg.*?</svg>", "", shown, flags=re.S) == pill
    assert "Boost unavailable" not in card and "Boost is armed" not in card
    if overrides["boost_state"] == "requested":
        assert "optimal window" not in card  # the pill is in step with Starting…


def test_ev_battery_bar_marks_the_target_and_shows_charging_details(client, homeowner, fake_podero):
    ev = payloads.electric_vehicle(battery_level=64, minimum_charge_limit=80, is_charging=True, charge_rate_w=7400,
                                   battery_capacity_kwh=75.0, charge_target_max=90, driving_range=250,
                                   is_charge_policy_enabled=True, charge_deadline_at="07:30")
    card = _card(_page(client, homeowner, fake_podero, electric_vehicles=[ev]), ev["id"])
    assert 'class="battery-bar__fill battery-bar__fill--charging" x="0" y="0" width="64.0"' in card
    assert 'class="battery-bar__target" x1="80.0" x2="80.0"' in card
    assert "Target 80 %" in card and '<p class="hero__value">64 %</p>' in card
    assert "<dt>Charge rate</dt><dd>7.4 kW</dd>" in card
    assert "<dt>Range</dt><dd>250 km</dd>" in card
    # (90 − 64) % of 75 kWh at 7.4 kW = 2 h 38 min
    assert "<dt>Time remaining</dt><dd>2 h 38 min</dd>" in card
    # The deadline is said once, in the plan line, not again as a reading.
    assert card.count("80 % by 07:30") == 1 and "<dt>Charge deadline</dt>" not in card


def test_ev_without_a_deadline_policy(client, homeowner, fake_podero):
    ev = payloads.electric_vehicle(is_charge_policy_enabled=False, is_charging=False, charge_rate_w=0)
    card = _card(_page(client, homeowner, fake_podero, electric_vehicles=[ev]), ev["id"])
    assert "no deadline, fully cost-optimized" in card
    assert "<dt>Charge rate</dt><dd>not charging</dd>" in card


# --- Solar inverter -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("battery_w", "words", "arrow_into_hub"),
    [
        (-1500, "Battery charging 1.5 kW", False),
        (800, "Battery discharging 800 W", True),
        (0, "Battery idle", None),
    ],
)
def test_inverter_battery_sign_convention(client, homeowner, fake_podero, battery_w, words, arrow_into_hub):
    iv = payloads.inverter(battery_charge_discharge_power_w=battery_w)
    card = _card(_page(client, homeowner, fake_podero, inverters=[iv]), iv["id"])
    assert words in card
    line = re.search(r'flow__line--battery [^"]*" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"', card)
    assert line, "the battery spoke is drawn"
    y1, y2 = float(line.group(2)), float(line.group(4))
    if arrow_into_hub is None:
        assert "flow__arrow--battery" not in card and "flow__line--battery flow__line--idle" in card
    else:
        assert "flow__arrow--battery" in card
        # the battery sits below the hub: flowing into the hub means drawn upwards
        assert (y1 > y2) is arrow_into_hub


@pytest.mark.parametrize(
    ("grid_w", "words", "pill"),
    [
        (1400, "Exporting 1.4 kW to the grid", "exporting"),
        (-600, "Importing 600 W from the grid", "importing"),
        (0, "No power to or from the grid", "idle"),
    ],
)
def test_inverter_grid_sign_convention(client, homeowner, fake_podero, grid_w, words, pill):
    iv = payloads.inverter(current_power_to_grid_w=grid_w)
    card = _card(_page(client, homeowner, fake_podero, inverters=[iv]), iv["id"])
    assert f'<p class="pill pill--{pill}">{words}</p>' in card
    assert f"<li>{words}" in re.sub(r"<svg.*?</svg>", "", card)


def test_inverter_surplus_reported_and_fallback(client, homeowner, fake_podero):
    reported = payloads.inverter(solar_surplus_w=5300)
    derived = payloads.inverter(solar_surplus_w=None, current_solar_production_w=4000, household_consumption_w=1200)
    html = _page(client, homeowner, fake_podero, inverters=[reported, derived])
    assert "<dt>Solar surplus</dt><dd>5.3 kW</dd>" in _card(html, reported["id"])
    assert "<dt>Solar surplus</dt><dd>2.8 kW</dd>" in _card(html, derived["id"])


def test_inverter_energy_flow_diagram_has_text_labels(client, homeowner, fake_podero):
    iv = payloads.inverter()  # 6250 solar, 950 home, −2000 battery (charging), +3300 grid (export)
    card = _card(_page(client, homeowner, fake_podero, inverters=[iv]), iv["id"])
    assert '<svg class="flow__svg"' in card and 'role="img"' in card
    assert ("<desc" in card and "Solar production 6.3 kW. Your home uses 950 W. Battery charging 2.0 kW. "
            "Exporting 3.3 kW to the grid.</desc>" in card)
    labels = re.findall(r'<text class="flow__(?:label|value)"[^>]*>([^<]*)</text>', card)
    assert labels == ["Solar", "6.3 kW", "Home", "950 W", "Grid", "exporting", "3.3 kW", "Battery 63 %",
                      "charging", "2.0 kW"]  # one short word or number per line: nothing wider than its room
    widths = dict(re.findall(r'flow__line--(\w+) flow__line--active"[^>]*stroke-width="([\d.]+)"', card))
    assert float(widths["solar"]) > float(widths["grid"]) > float(widths["home"])  # width follows power


def test_inverter_without_battery_has_no_battery_node(client, homeowner, fake_podero):
    iv = payloads.inverter(is_battery_connected=False, battery_charge_level_percent=None,
                           battery_charge_discharge_power_w=0)
    card = _card(_page(client, homeowner, fake_podero, inverters=[iv]), iv["id"])
    assert "flow__node--battery" not in card
    assert "<dt>Battery level</dt><dd>no battery</dd>" in card


# --- Every card ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "text"),
    [("ok", "Connected"), ("warning", "Connection warning"), ("error", "Connection error"),
     ("unknown", "Connection unknown"), ("sideways", "Connection unknown")],
)
def test_connection_badge_has_icon_and_words(client, homeowner, fake_podero, status, text):
    hp = payloads.heat_pump(connection_status=status, is_authenticated=None)
    card = _card(_page(client, homeowner, fake_podero, heat_pumps=[hp]), hp["id"])
    badge = re.search(r'<span class="badge badge--(\w+)"><svg class="icon icon--([\w-]+)".*?<span>(.*?)</span>', card)
    assert badge and badge.group(3) == text
    assert badge.group(2) in {"check-circle", "alert-triangle", "x-circle", "help-circle"}


@pytest.mark.parametrize(("authenticated", "text"), [(True, "Connected"), (False, "Connection error"),
                                                    (None, "Connection unknown")])
def test_without_status_fields_the_badge_follows_is_authenticated(client, homeowner, fake_podero, authenticated, text):
    hp = payloads.heat_pump(is_authenticated=authenticated)
    for name in ("connection_status", "monitoring_status", "steering_status"):  # as in the guide's example payload
        hp.pop(name, None)
    card = _card(_page(client, homeowner, fake_podero, heat_pumps=[hp]), hp["id"])
    assert re.search(r'<span class="badge badge--\w+"><svg class="icon icon--[\w-]+".*?<span>(.*?)</span>', card).group(1) == text


def test_card_header_links_to_detail_and_shows_model(client, homeowner, fake_podero):
    hp = payloads.heat_pump()
    card = _card(_page(client, homeowner, fake_podero, heat_pumps=[hp]), hp["id"])
    assert f'<a href="/devices/heat-pump/{hp["id"]}/">Nibe S2125-8</a>' in card
    assert "Heat pump (air to water) · 2022" in card  # our words for a documented type code


def test_last_sync_is_relative_with_the_exact_time_on_hover(client, homeowner, fake_podero):
    hp = payloads.heat_pump(current_state_last_updated_at=_fresh())
    card = _card(_page(client, homeowner, fake_podero, heat_pumps=[hp]), hp["id"])
    stamp = re.search(r'Last sync <time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', card)
    assert stamp and stamp.group(3) == "5 min ago"
    assert "(CET)" in stamp.group(2) or "(CEST)" in stamp.group(2)  # the homeowner's time zone
    assert "last reported" not in card and "card--stale" not in card


def test_stale_device_state_warns(client, homeowner, fake_podero):
    stale = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    hp = payloads.heat_pump(current_state_last_updated_at=stale)
    card = _card(_page(client, homeowner, fake_podero, heat_pumps=[hp]), hp["id"])
    assert "card--stale" in card
    assert re.search(r"This heat pump last reported <time[^>]*>3 h ago</time>\. Its readings may be out of date\.",
                     card)


# --- Attention ------------------------------------------------------------------------------------
def _attention(html: str) -> str:
    start = html.index('<section class="attention"')
    return html[start:html.index("</section>", start)]


def test_reauthenticate_action_is_explained_at_the_top_with_a_reconnect_link(client, homeowner, fake_podero):
    ev = payloads.electric_vehicle(action_needed=True, actions=payloads.ELECTRIC_VEHICLE["actions"])
    hp = payloads.heat_pump()
    html = _page(client, homeowner, fake_podero, heat_pumps=[hp], electric_vehicles=[ev])
    top = _attention(html)
    assert html.index('<section class="attention"') < html.index('<ul class="cards">')
    assert ("The connection to your Tesla account has expired. Reconnect it so Podero can keep optimizing."
            in top)
    # The resolution link needs our Podero token: the button posts to our reconnect view, never links to it.
    assert payloads.ELECTRIC_VEHICLE["actions"][0]["resolution_link"]["url"] not in html
    assert f'action="/devices/electric-vehicle/{ev["id"]}/reconnect" target="_blank"' in top
    assert '<input type="hidden" name="action" value="0">' in top and "Reconnect Tesla" in top
    assert "Nibe" not in top
    assert "card--attention" in _card(html, ev["id"]) and "card--attention" not in _card(html, hp["id"])


def test_unknown_action_code_gets_a_generic_sentence(client, homeowner, fake_podero):
    hp = payloads.heat_pump(action_needed=True, actions=[
        {"code": "accept_new_terms", "resolution_link": {"url": "https://podero.example/terms", "required_parameters": []}},
    ])
    top = _attention(_page(client, homeowner, fake_podero, heat_pumps=[hp]))
    assert "Podero needs you to take an action on this heat pump before it can resume normal optimization." in top
    assert f'action="/devices/heat-pump/{hp["id"]}/reconnect"' in top and ">Resolve" in top


def test_lost_authentication_links_to_authorization_url(client, homeowner, fake_podero):
    iv = payloads.inverter(is_authenticated=False, action_needed=False, actions=[],
                           authorization_url="https://auth.podero.example/connect/fronius")
    top = _attention(_page(client, homeowner, fake_podero, inverters=[iv]))
    assert "This solar inverter is not connected to your Fronius account any more." in top
    assert 'href="https://auth.podero.example/connect/fronius" target="_blank" rel="noopener">Reconnect Fronius' in top


def test_lost_authentication_without_a_link_starts_an_auth_session(client, homeowner, fake_podero):
    hp = payloads.heat_pump(is_authenticated=False, authorization_url="javascript:alert(1)")
    top = _attention(_page(client, homeowner, fake_podero, heat_pumps=[hp]))
    assert "javascript:" not in top
    assert f'action="/devices/heat-pump/{hp["id"]}/reconnect"' in top
    assert 'name="action"' not in top  # no pending action: the view opens an auth_session


def test_attention_without_any_way_to_fix_it_says_who_can_help(client, homeowner, fake_podero):
    hp = payloads.heat_pump(action_needed=True, actions=[{"code": "call_installer"}])
    top = _attention(_page(client, homeowner, fake_podero, heat_pumps=[hp]))
    assert "/reconnect" not in top
    assert "your energy provider's support team can help" in top.replace("&#x27;", "'")


def test_no_attention_section_when_all_is_well(client, homeowner, fake_podero):
    html = _page(client, homeowner, fake_podero, heat_pumps=[payloads.heat_pump()])
    assert '<section class="attention"' not in html


# --- Empty state and odd payloads -------------------------------------------------------------------
def test_empty_state_explains_how_to_connect_a_device(client, homeowner, fake_podero):
    html = _page(client, homeowner, fake_podero)
    assert "No devices connected yet" in html
    assert "Add one now: choose your device, sign in with your manufacturer account" in html
    assert '<form method="post" action="/devices/add"' in html  # issue 13: the empty state starts onboarding
    assert '<ul class="cards">' not in html


def _all_null(base: dict) -> dict:
    return {key: (base[key] if key == "id" else None) for key in base}


def _wrong_types(base: dict) -> dict:
    odd = {key: ["?"] if i % 3 == 0 else ({"x": 1} if i % 3 == 1 else "n/a") for i, key in enumerate(base)}
    odd["id"] = base["id"]
    return odd


@pytest.mark.parametrize("mangle", [_all_null, _wrong_types])
def test_null_or_wrong_typed_payloads_render_unknown(client, homeowner, fake_podero, mangle):
    hp, ev, iv = (mangle(payloads.heat_pump()), mangle(payloads.electric_vehicle()), mangle(payloads.inverter()))
    html = _page(client, homeowner, fake_podero, heat_pumps=[hp], electric_vehicles=[ev], inverters=[iv])
    for device in (hp, ev, iv):
        card = _card(html, device["id"])
        assert "Connection unknown" in card
        assert "unknown" in card
        assert "Last sync unknown" in card
    assert "<dt>Running now</dt><dd>Unknown</dd>" in _card(html, hp["id"])
    assert '<p class="hero__value">unknown</p>' in _card(html, hp["id"])
    assert "Charging status unknown" in _card(html, ev["id"])
    assert "Grid exchange unknown" in _card(html, iv["id"])


def test_payloads_that_are_not_objects_do_not_break_the_page(client, homeowner, fake_podero):
    html = _page(client, homeowner, fake_podero, heat_pumps=["garbage", 42], inverters=[None])
    assert "Unknown heat pump" in html and "Unknown solar inverter" in html


# --- Consumption ---------------------------------------------------------------------------------
def test_consumption_bars_per_device_and_for_the_home(client, homeowner, fake_podero):
    hp = payloads.heat_pump(consumption_last_day_kwh=14.24, consumption_last_week_kwh=91.5,
                            consumption_last_month_kwh=1402.3)
    ev = payloads.electric_vehicle(consumption_last_day_kwh=9.1, consumption_last_week_kwh=48,
                                   consumption_last_month_kwh=230)
    html = _page(client, homeowner, fake_podero, heat_pumps=[hp], electric_vehicles=[ev])
    card = _card(html, hp["id"])
    assert re.search(r'<th scope="row">Last day</th>.*?<td class="consumption__value">14.2 kWh</td>', card, re.S)
    assert re.search(r'<th scope="row">Last month</th>.*?<td class="consumption__value">1,402 kWh</td>', card, re.S)
    assert "46.7 kWh/day" in card  # 1402.3 / 30, the bar's length
    assert "14.2 kWh/day" not in card  # the day's average is its total: said once, beside the bar
    home = html[html.index('consumption--home'):]
    assert ">Home use</h2>" in home
    assert '<td class="consumption__value">23.3 kWh</td>' in home  # 14.24 + 9.1
    assert '<td class="consumption__value">1,632 kWh</td>' in home
    assert "Nibe S2125-8" in home and "Tesla Model 3" in home  # the legend names each device


def test_two_cars_get_two_colours_and_their_names(client, homeowner, fake_podero):
    first = payloads.electric_vehicle(consumption_last_day_kwh=9, consumption_last_week_kwh=50, consumption_last_month_kwh=200)
    second = payloads.electric_vehicle(id="0d2c8b1e-7f3a-4e5b-9c6d-1a2b3c4d5e6f", device_model={"manufacturer": "Volkswagen", "model": "ID.4", "year": 2022},
                                       consumption_last_day_kwh=4, consumption_last_week_kwh=20, consumption_last_month_kwh=90)
    html = _page(client, homeowner, fake_podero, electric_vehicles=[first, second])
    home = html[html.index('consumption--home'):]
    assert "consumption__seg--electric_vehicle\"" in home and "consumption__seg--electric_vehicle-2\"" in home
    assert "legend__swatch--electric_vehicle-2" in home and "Volkswagen ID.4" in home


@override_settings(LANGUAGE_CODE="de")
def test_numbers_follow_the_locale(client, homeowner, fake_podero):
    hp = payloads.heat_pump(current_power_consumption_w=1850, consumption_last_month_kwh=1402.3)
    uid = homeowner.podero.podero_user_id
    fake_podero.add(uid, "heat-pumps", hp)
    client.force_login(homeowner)
    html = _text(client.get("/", headers={"Accept-Language": "de"}).content.decode())
    card = _card(html, hp["id"])
    assert '<p class="hero__value">1,9 kW</p>' in card
    assert "1.402 kWh" in card


def test_a_household_figure_smaller_than_its_parts_is_taken_as_the_rest(client, homeowner, fake_podero):
    hp = payloads.heat_pump(consumption_last_day_kwh=30, consumption_last_week_kwh=200, consumption_last_month_kwh=900)
    iv = payloads.inverter(consumption_last_day_kwh=12, consumption_last_week_kwh=80, consumption_last_month_kwh=350)
    html = _page(client, homeowner, fake_podero, heat_pumps=[hp], inverters=[iv])
    home = html[html.index("consumption--home"):]
    assert '<td class="consumption__value">42.0 kWh</td>' in home  # 30 + 12, not 12 and a "rest" of 0
    assert "Everything else</th><td>12.0</td><td>80.0</td><td>350</td>" in home


def test_device_card_partial_renders_one_card_with_a_notice():
    device = parse_device("electric-vehicles", payloads.electric_vehicle(battery_level=64))
    html = render_to_string("dashboard/home.html#device-card", {"device": device, "notice": "Boost started."})
    assert html.strip().startswith("<article") and html.count("<article") == 1
    assert f'id="device-{device.id}"' in html
    assert '<p class="card__notice" role="status">Boost started.</p>' in html
    assert "<html" not in html


def test_home_consumption_with_an_inverter_shows_the_rest_of_the_home(client, homeowner, fake_podero):
    hp = payloads.heat_pump(consumption_last_day_kwh=10, consumption_last_week_kwh=70, consumption_last_month_kwh=300)
    iv = payloads.inverter(consumption_last_day_kwh=25, consumption_last_week_kwh=160, consumption_last_month_kwh=690)
    html = _page(client, homeowner, fake_podero, heat_pumps=[hp], inverters=[iv])
    assert ">Home use</h3>" in _card(html, iv["id"])
    home = html[html.index("consumption--home"):]
    assert '<td class="consumption__value">25.0 kWh</td>' in home  # the household total, not 10 + 25
    assert "<title>Everything else: 15.0 kWh</title>" in home
    # The split per device is a table of names and numbers, not colour alone.
    breakdown = home[home.index('<table class="breakdown">'):]
    assert "By device, in kWh" in breakdown
    assert "Everything else</th><td>15.0</td><td>90.0</td><td>390</td>" in breakdown, breakdown
    assert "Nibe S2125-8</th><td>10.0</td><td>70.0</td><td>300</td>" in breakdown


@pytest.mark.parametrize(("solar", "grid", "text"), [
    (4000, 1000, "75 % of the solar power is used at home"),  # a quarter goes to the grid
    (4000, -500, "100 % of the solar power is used at home"),  # importing as well: all of it stays
    (4000, 9000, "0 % of the solar power is used at home"),  # an export above production is capped
    (0, -800, None),  # night: no solar, no share
    (4000, None, None),  # grid flow unknown: not guessed
])
def test_inverter_self_consumption(client, homeowner, fake_podero, solar, grid, text):
    iv = payloads.inverter(current_solar_production_w=solar, current_power_to_grid_w=grid)
    card = _card(_page(client, homeowner, fake_podero, inverters=[iv]), iv["id"]).replace("\u00a0", " ")
    if text is None:
        assert "Self-consumption" not in card
    else:
        assert f"<dt>Self-consumption</dt><dd>{text}</dd>" in card
