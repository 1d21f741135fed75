"""The device cards in German: words from the catalogue, decimal commas and 24-hour times from the locale.

The catalogue is compiled from locale/de/LC_MESSAGES/django.po into a temporary directory put first in
LOCALE_PATHS, so these tests never read a stale .mo and write nothing into the repository; changing
LOCALE_PATHS resets Django's translation caches.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polib
import pytest
from django.conf import settings as django_settings
from django.utils import translation

from devices.plan import Confidence, Forecast, plan_line, schedule_summary
from devices.reasons import Pause, reason_line, when
from devices.schemas import parse_device
from tests import payloads

pytestmark = pytest.mark.django_db

VIENNA = ZoneInfo("Europe/Vienna")
ENGLISH_REASONS = ("Battery charging at", "Battery powering the home", "Not plugged in", "Plugged in, waiting",
                   "Charging in a cheap window", "Podero shifts its heating", "prices are", "Optimization paused")


@pytest.fixture
def german(settings, tmp_path):
    """The German catalogue compiled into a temporary locale directory."""
    source = django_settings.BASE_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po"
    target = tmp_path / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    polib.pofile(str(source)).save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]  # the first path wins
    return tmp_path


@pytest.fixture
def german_homeowner(homeowner, german):
    homeowner.language = "de"
    homeowner.save(update_fields=["language"])
    return homeowner


def _page(client, homeowner, fake_podero, kind: str, *items) -> str:
    for item in items:
        fake_podero.add(homeowner.podero.podero_user_id, kind, item)
    client.force_login(homeowner)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode().replace("\u00a0", " ")


def _card(html: str, device_id: str) -> str:
    start = html.rindex("<article", 0, html.index(f'id="device-{device_id}"'))
    return html[start:html.find("</article>", start)]


def _fresh() -> str:
    return (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def test_heat_pump_card_speaks_german(client, german_homeowner, fake_podero):
    hp = payloads.heat_pump(is_smart_optimization_active=True, current_mode="mid", current_power_consumption_w=4200,
                            outdoor_temperature=-3.45, current_state_last_updated_at=_fresh())
    card = _card(_page(client, german_homeowner, fake_podero, "heat-pumps", hp), hp["id"])
    assert '<p class="hero__value">4,2 kW</p>' in card
    assert "Komfort: Die Preise sind normal, daher heizt die Wärmepumpe wie gewohnt." in card
    assert "<dt>Läuft gerade</dt><dd>Komfort — normaler Komfort</dd>" in card
    assert "-3,5 °C" in card  # rounded half up, then the decimal comma
    assert "<dt>Betriebsart</dt><dd>Heizen &amp; Warmwasser</dd>" in card
    assert "Running now" not in card and "prices are normal" not in card


def test_inverter_card_speaks_german(client, german_homeowner, fake_podero):
    iv = payloads.inverter(battery_charge_discharge_power_w=-2500, battery_charge_level_percent=64,
                           current_power_to_grid_w=1400, current_state_last_updated_at=_fresh())
    card = _card(_page(client, german_homeowner, fake_podero, "inverters", iv), iv["id"])
    assert "Heimspeicher lädt mit 2,5 kW (64 % voll)." in card
    assert "Einspeisung ins Netz: 1,4 kW" in card
    assert "<title" in card and "Energiefluss" in card
    for english in ENGLISH_REASONS + ("Exporting", "to the grid", "Energy flow"):
        assert english not in card, english


def test_ev_card_speaks_german_with_times_and_decimal_commas(client, german_homeowner, fake_podero):
    ev = payloads.electric_vehicle(battery_level=64, minimum_charge_limit=80, is_charging=True, charge_rate_w=7400,
                                   battery_capacity_kwh=75.0, charge_target_max=90, is_plugged_in=True,
                                   is_charge_policy_enabled=True, charge_deadline_at="07:00",
                                   current_state_last_updated_at=_fresh())
    card = _card(_page(client, german_homeowner, fake_podero, "electric-vehicles", ev), ev["id"])
    assert "<dt>Ladeleistung</dt><dd>7,4 kW</dd>" in card
    assert "Ladeziel 80 %" in card
    assert "80 % bis 07:00" in card or "80 % bis morgen um 07:00" in card
    assert "Lädt in einem günstigen Zeitfenster." in card
    for english in ENGLISH_REASONS + ("Charge rate", "Target 80", " by 07:00"):
        assert english not in card, english


def test_unplugged_ev_reason_line_in_german(client, german_homeowner, fake_podero):
    ev = payloads.electric_vehicle(is_plugged_in=False, is_charging=False, current_state_last_updated_at=_fresh())
    card = _card(_page(client, german_homeowner, fake_podero, "electric-vehicles", ev), ev["id"])
    assert "Nicht angesteckt." in card
    assert "Not plugged in" not in card and "Unplugged" not in card


def test_reason_and_plan_lines_follow_the_active_language(german):
    now = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
    ev = parse_device("electric-vehicles", payloads.electric_vehicle(is_plugged_in=True, is_charging=False))
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    window = (start, start + timedelta(hours=4, minutes=30))
    deadline = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    with translation.override("de"):
        waiting = reason_line(ev, now=now, tz=VIENNA, plan_start=start).text
        plan = plan_line(policy_enabled=True, plugged_in=True, window=window, target=80, deadline=deadline, tz=VIENNA)
        paused = reason_line(parse_device("heat-pumps", payloads.heat_pump(is_smart_optimization_active=False)),
                             now=now, tz=VIENNA, pause=Pause(until=datetime(2026, 12, 6, 17, 0, tzinfo=UTC))).text
        risk = Forecast(status=Confidence.AT_RISK, target=80, deadline=deadline, power_kw=3.7,
                        minutes_late=90).sentence(VIENNA)
        week = schedule_summary({d: (80, time(7, 0)) for d in ("mon", "tue", "wed", "thu", "fri")}
                                | {d: (50, time(10, 0)) for d in ("sat", "sun")})
        later = when(datetime(2026, 12, 3, 6, 0, tzinfo=UTC), now, VIENNA)
    assert waiting == "Angesteckt, wartet auf das günstige Zeitfenster um 02:00."
    assert plan == "Ladeplan: 02:00–06:30 · 80 % bis 07:00"
    assert paused == "Optimierung pausiert bis So 18:00 (in 4 Tagen)."
    assert risk == "Gefährdet: Mit 3,7 kW erreicht das Auto 80 % erst etwa 1 h 30 min nach 07:00."
    assert week == "Werktags 80 % bis 07:00 · am Wochenende 50 % bis 10:00"
    assert later == "morgen 07:00 (in 10 Stunden)"
    # The same calls in English are unchanged.
    with translation.override("en"):
        assert reason_line(ev, now=now, tz=VIENNA, plan_start=start).text == \
            "Plugged in, waiting for the cheap window at 02:00."


def test_every_card_msgid_has_german(german):
    """No entry referenced from the card files is left empty or fuzzy."""
    source = django_settings.BASE_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po"
    mine = re.compile(r"^(templates/dashboard/components/|dashboard/templatetags/|devices/(reasons|plan|boost)\.py|"
                      r"devices/schemas/)")
    catalogue = polib.pofile(str(source))
    ours = [e for e in catalogue if any(mine.match(path) for path, _line in e.occurrences)]
    assert ours, "the card files have entries in the catalogue"
    empty = [e.msgid for e in ours if not e.translated() or "fuzzy" in e.flags]
    assert empty == []


def test_lapsed_login_says_so_in_german_with_a_german_button(client, german_homeowner, fake_podero):
    hp = payloads.heat_pump(is_authenticated=False, action_needed=True, actions=[], current_state_last_updated_at=_fresh())
    card = _card(_page(client, german_homeowner, fake_podero, "heat-pumps", hp), hp["id"])
    reason = re.search(r"Die Anmeldung bei (\w+) ist abgelaufen: Verbinden Sie sie neu, damit Podero dieses Gerät "
                       r"\(Wärmepumpe\) wieder steuern kann\.", card)
    assert reason, card
    assert f"{reason.group(1)} neu verbinden" in card and "(öffnet in einem neuen Tab)" in card
    assert "login has lapsed" not in card and "Reconnect" not in card and "opens in a new tab" not in card
