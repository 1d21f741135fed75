"""The pages in German: a homeowner whose language cookie (or saved choice) is "de" reads every page in
German, with German numbers, dates and money ("1,20 €", "2. Nov."), against the simulator over HTTP.
The English pages are the other test modules; these check the German side and that nothing mixes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.urls import reverse

from devices.models import DeviceOnboarding
from devices.services import history as history_service
from simulator import clock

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday
ENGLISH_LEFT = ("Your home", "Refresh", "Last sync", "History:", "All readings", "Charging sessions", "unknown")


@pytest.fixture
def german(client, sim, demo_homeowner, monkeypatch):
    """The demo homeowner, signed in, with the language cookie set to German; a frozen clock."""
    clock.freeze(NOW)
    monkeypatch.setattr(history_service, "_now", clock.now)
    client.force_login(demo_homeowner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    yield client
    clock.unfreeze()


def text(response) -> str:
    return response.content.decode().replace("\u00a0", " ").replace("&#x27;", "'")


def german_page(response) -> str:
    html = text(response)
    assert response.status_code == 200, html[:500]
    assert '<html lang="de">' in html and response["Content-Language"] == "de"
    return html


def test_the_dashboard_in_german(german, sim):
    html = german_page(german.get("/"))
    assert "<title>Ihr Zuhause · " in html and "<h1>Ihr Zuhause</h1>" in html
    assert "Aktualisieren</a>" in html and "Zuletzt aktualisiert" in html
    assert "Was Podero Ihnen erspart hat" in html and "Zum Inhalt springen" in html
    assert "Abmelden" in html and "Einstellungen" in html
    for english in ("<h1>Your home</h1>", ">Refresh<", "Last sync", "Skip to content"):
        assert english not in html, english


def test_a_message_after_reconnecting_is_german(german):
    html = german_page(german.get("/?reconnected=1", follow=True))
    assert "Willkommen zurück. Podero prüft jetzt die Verbindung zu Ihrem Gerät." in html


def test_a_device_page_in_german_with_decimal_commas(german, sim):
    url = f"/devices/heat-pump/{sim.heat_pump_id}/"
    html = german_page(german.get(f"{url}?range=week&date=2026-11-02&load=1"))
    assert "Verlauf: Woche ab 2. Nov.</h2>" in html  # "Week of 2 Nov" in English
    assert "Alle Werte" in html and "Modell und Verbindung" in html and "Hersteller" in html
    assert "Vorherige Woche" in html and "Tag</label>" in html
    assert re.search(r"<td>\d+,\d\d kWh</td>", html)  # the chart's table: decimal comma
    assert re.search(r'<th scope="row">Mo 02\.11\.2026 \d\d:\d\d</th>', html)  # German weekday and date per row
    assert "Verbrauch der Wärmepumpe, mit Podero und ohne" in html
    for english in ("History:", "Week of", "All readings", "Previous week"):
        assert english not in html, english


def test_a_week_of_an_earlier_year_names_its_year(german, sim):
    html = german_page(german.get(f"/devices/heat-pump/{sim.heat_pump_id}/?range=week&date=2025-12-31&load=1"))
    assert "Verlauf: Woche ab 29. Dez. 2025</h2>" in html


def test_a_day_is_titled_with_its_german_weekday(german, sim):
    html = german_page(german.get(f"/devices/inverter/{sim.inverter_id}/?range=day&date=2026-11-01&load=1"))
    assert "Verlauf: Sonntag, 1. November 2026</h2>" in html
    assert "Solarstrom, Haus, Heimspeicher und Netz" in html


def test_a_range_the_homeowner_cannot_ask_for_is_a_german_sentence(german, sim):
    response = german.get(f"/devices/heat-pump/{sim.heat_pump_id}/?range=day&date=1900-01-01")
    assert response.status_code == 400
    assert "Der Verlauf reicht bis 1. Januar 2016 zurück. Wählen Sie ein späteres Datum." in text(response)


def test_savings_in_euros_as_german_writes_them(german, sim):
    html = german_page(german.get("/savings/"))
    assert "<h1>Ihre Ersparnis</h1>" in html and "Insgesamt" in html and "Nach Gerät" in html
    assert re.search(r"Podero hat Ihnen diesen Monat (\d+,\d\d € (\(\d+ %\) )?erspart|noch nichts erspart)\.", html)
    assert re.search(r"Oktober 2026: \d+,\d\d € \(\d+ %\) · November 2025: \d+,\d\d €", html)
    assert "Dieser Monat (November 2026)" in html
    assert not re.search(r"€ ?\d", html)  # never "€ 1,20": the sign follows the amount


def test_the_sessions_pages_in_german(german, sim):
    url = f"/devices/electric-vehicle/{sim.ev_id}/sessions/"
    html = german_page(german.get(url))
    assert "<h1>Ladevorgänge</h1>" in html and "Abgeschlossene Ladevorgänge" in html
    assert re.search(r"Seite 1 von \d+", html) and "Alle Ladevorgänge herunterladen (CSV)" in html
    assert re.search(r", seit \d+\. \w+ 2024, die neuesten zuerst", html)
    assert "Wie geplant geladen" in html
    link = re.search(r'href="(/devices/electric-vehicle/[^"]+/sessions/\d{4}-\d\d-\d\d/[^/"]+/)"', html).group(1)
    detail = german_page(german.get(link))
    assert re.search(r"<h1>Ladevorgang vom \d\d\.\d\d\.2026, \d\d:\d\d</h1>", detail)
    assert "Energie und Kosten" in detail and "Geladene Energie" in detail
    assert re.search(r"<dd>\d+,\d kWh</dd>", detail) and re.search(r"<dd>\d+,\d\d €</dd>", detail)


def test_the_manifest_and_the_offline_page_in_german(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = client.get(reverse("dashboard:manifest"))
    manifest = json.loads(response.content)
    assert manifest["lang"] == "de" and "optimiert von Podero" in manifest["description"]
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary  # a shared cache keeps one manifest per language
    english = json.loads(client.get(reverse("dashboard:manifest"), HTTP_ACCEPT_LANGUAGE="en",
                                    headers={"Cookie": ""}).content)
    assert english["lang"] == "en" and "optimized by Podero" in english["description"]
    offline = client.get(reverse("dashboard:offline"))
    assert '<html lang="de">' in text(offline) and "Sie sind offline" in text(offline)
    assert {"accept-language", "cookie"} <= {v.strip().lower() for v in offline["Vary"].split(",")}


def test_not_connected_yet_in_german(client, django_user_model):
    person = django_user_model.objects.create_user(email="new@example.com", password="unused", language="de")
    client.force_login(person)
    html = german_page(client.get("/"))
    assert "Ihr Konto ist noch nicht verbunden" in html and "<strong>new@example.com</strong>" in html


# --- The onboarding asks Podero for the active language -----------------------------------------------
def test_a_german_request_starts_the_onboarding_in_german(client, fake_podero, homeowner):
    client.force_login(homeowner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = client.post(reverse("dashboard:device-add"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "Gerät hinzufügen" in text(response)
    (session,) = fake_podero.onboardings.values()
    assert session["_body"]["language"] == "de"
    assert DeviceOnboarding.objects.get().user == homeowner


def test_the_saved_language_wins_over_the_browser_for_the_onboarding(client, fake_podero, homeowner):
    homeowner.language = "de"
    homeowner.save(update_fields=["language"])
    client.force_login(homeowner)
    client.post(reverse("dashboard:device-add"), HTTP_ACCEPT_LANGUAGE="en")
    (session,) = fake_podero.onboardings.values()
    assert session["_body"]["language"] == "de"


def test_english_stays_english(client, fake_podero, homeowner):
    client.force_login(homeowner)
    html = text(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="en">' in html and "<h1>Your home</h1>" in html and "Ihr Zuhause" not in html
    client.post(reverse("dashboard:device-add"), HTTP_ACCEPT_LANGUAGE="en")
    (session,) = fake_podero.onboardings.values()
    assert session["_body"]["language"] == "en"


def test_a_share_that_rounds_to_nothing_is_not_shown():
    from django.utils import translation

    from dashboard import history

    with translation.override("de"):
        assert history.saved_words(history.Saved(0.03, 0.2)).replace("\u00a0", " ") == "0,03 €"
        assert history.saved_words(history.Saved(1.2, 18.4)).replace("\u00a0", " ") == "1,20 € (18 %)"
    with translation.override("en"):
        assert history.saved_words(history.Saved(1.2, 18.4)).replace("\u00a0", " ") == "€ 1.20 (18 %)"
