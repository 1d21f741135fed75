"""The controls in German: labels, buttons, errors and outcomes from the catalogue, times as "07:00", what was
typed kept beside a German error, and the reconnect asks Podero for a German sign-in."""

from __future__ import annotations

import html as html_lib
import re
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from devices import podero, services
from devices.services.cache import Ids, fetch_once
from tests.i18n.test_german_pages import english_in, readable

from .conftest import HTMX

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"dashboard:{name}", args=args)


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def msgs(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def german(home):
    home.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return home


def schedule_data(**overrides):
    data = {f"{d}_percentage": "80" for d in services.WEEKDAYS}
    data.update({f"{d}_deadline": "07:00" for d in services.WEEKDAYS})
    data.update(action="save")
    data.update(overrides)
    return data


def test_the_deadline_page_is_german_with_a_24_hour_time(german):
    page = text(german.client.get(url("ev-deadline", german.ev["id"])))
    assert '<html lang="de">' in page
    assert "Mindestens laden auf (%)" in page and ">Abfahrtszeit</label>" in page
    assert "Abfahrtszeit speichern" in page and "Abfahrtszeit ausschalten" in page
    assert "Podero lädt weiterhin in den günstigsten Stunden" in page
    assert re.search(r'<input type="time"[^>]*value="07:00"', page)
    assert "Ready by" not in page and "Save deadline" not in page
    assert english_in(readable(page)) == []


def test_the_deadline_page_follows_accept_language_too(home):
    page = text(home.client.get(url("ev-deadline", home.ev["id"]), HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9"))
    assert "Abfahrtszeit speichern" in page
    assert "Save deadline" in text(home.client.get(url("ev-deadline", home.ev["id"]), HTTP_ACCEPT_LANGUAGE="en"))


@pytest.mark.parametrize(("data", "typed", "error"), [
    ({"minimum_charge_limit": "80", "charge_deadline_at": "25:00"}, "25:00",
     "„25:00“ ist keine Uhrzeit: Geben Sie Stunden von 00–23 und Minuten von 00–59 ein, zum Beispiel 07:00."),
    ({"minimum_charge_limit": "101", "charge_deadline_at": "07:00"}, "101",
     "Der Ladestand kann nicht über 100 % liegen."),
    ({"minimum_charge_limit": "viel", "charge_deadline_at": "07:00"}, "viel",
     "Geben Sie eine ganze Zahl von 0 bis 100 ein."),
    ({"minimum_charge_limit": "80"}, None, "Geben Sie eine Uhrzeit ein, zum Beispiel 07:00."),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_refused_deadline_says_why_in_german_and_keeps_what_was_typed(german, data, typed, error, htmx):
    response = german.client.post(url("ev-deadline", german.ev["id"]), {"enabled": "1", **data},
                                  **(HTMX if htmx else {}))
    assert response.status_code == 422
    page = text(response)
    assert error in page
    assert "Bitte korrigieren Sie die markierten Felder. Es wurde nichts geändert." in page
    if typed:
        assert f'value="{typed}"' in page
    assert german.writes() == []


def test_a_saved_deadline_is_confirmed_in_german_with_a_24_hour_time(german):
    data = {"enabled": "1", "minimum_charge_limit": "70", "charge_deadline_at": "06:30"}
    response = german.client.post(url("ev-deadline", german.ev["id"]), data)
    assert response.status_code == 302
    assert msgs(response) == ["Abfahrt gespeichert: jeden Tag mindestens 70 % bis 06:30."]
    response = german.client.post(url("ev-deadline", german.ev["id"]), {"enabled": "0"})
    assert msgs(response)[-1:] == ["Abfahrtszeit ausgeschaltet: Das Laden ist vollständig kostenoptimiert."]


def test_the_schedule_page_names_the_days_in_german(german):
    german.fake.policies[german.ev["id"]] = {
        **{d: {"charge_percentage": 70, "charge_deadline": "06:45"} for d in services.WEEKDAYS},
        "sun": {"charge_percentage": 90, "charge_deadline": "18:00"}, "timezone": "Europe/Vienna"}
    page = text(german.client.get(url("ev-schedule", german.ev["id"])))
    days = re.findall(r'<th scope="row">([^<]+)</th>', page)
    assert days == ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
    assert "Montag: laden auf (%)" in page and "Sonntag: Abfahrtszeit" in page
    assert re.search(r'name="mon_deadline"[^>]*value="06:45"', page)
    assert re.search(r'name="sun_deadline"[^>]*value="18:00"', page)
    for words in ("Wochenplan speichern", "Montag für Dienstag–Freitag übernehmen", "Wochenende: 60 % bis 10:00",
                  "Die Uhrzeiten oben gelten in Ihrer Zeitzone: Wien.", "Zeitzone in den Einstellungen ändern"):
        assert words in page
    assert "Monday" not in page and "Save schedule" not in page
    assert english_in(readable(page)) == []


def test_a_refused_schedule_says_why_in_german_and_keeps_every_value(german):
    data = schedule_data(mon_percentage="77", tue_percentage="150", sat_deadline="24:00")
    response = german.client.post(url("ev-schedule", german.ev["id"]), data)
    assert response.status_code == 422
    page = text(response)
    assert "Der Ladestand kann nicht über 100 % liegen." in page
    assert "„24:00“ ist keine Uhrzeit" in page
    for name, value in (("mon_percentage", "77"), ("tue_percentage", "150"), ("sat_deadline", "24:00")):
        assert re.search(rf'name="{name}"[^>]*value="{value}"', page), name
    assert german.writes() == []
    assert english_in(readable(page)) == []


def test_a_schedule_helper_and_a_saved_schedule_speak_german(german):
    page = text(german.client.post(url("ev-schedule", german.ev["id"]), schedule_data(action="weekend_trip")))
    assert "Gespeichert wird erst, wenn Sie „Wochenplan speichern“ drücken." in page
    response = german.client.post(url("ev-schedule", german.ev["id"]), schedule_data())
    assert response.status_code == 302
    assert re.fullmatch(r"Wochenplan für .+ gespeichert\.", msgs(response)[-1])


def test_pausing_speaks_german(german):
    response = german.client.post(url("optimization", "heat-pump", german.hp["id"]),
                                  {"active": "0", "until": "at", "at": ""})
    assert response.status_code == 422
    assert "Geben Sie Datum und Uhrzeit ein, zu der die Optimierung fortgesetzt werden soll. " \
           "Es wurde nichts geändert." in text(response)
    response = german.client.post(url("optimization", "heat-pump", german.hp["id"]), {"active": "0"})
    assert msgs(response) == ["Optimierung pausiert: Ihre Wärmepumpe folgt ihrem eigenen Zeitplan, bis Sie die "
                              "Optimierung fortsetzen."]
    response = german.client.post(url("optimization", "heat-pump", german.hp["id"]), {"active": "1"})
    assert msgs(response)[-1:] == ["Optimierung fortgesetzt: Podero optimiert Ihre Wärmepumpe wieder."]


def test_a_pause_end_typed_the_german_way_is_understood(german):
    """Where a browser draws datetime-local as a text field, a German types "06.12.2026 18:00"."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from devices.models import ScheduledResume

    at = (timezone.now().astimezone(ZoneInfo("Europe/Vienna")) + timedelta(days=2)).replace(
        hour=18, minute=0, second=0, microsecond=0)
    response = german.client.post(url("optimization", "inverter", german.inverter["id"]),
                                  {"active": "0", "until": "at", "at": at.strftime("%d.%m.%Y %H:%M")})
    assert response.status_code == 302
    assert ScheduledResume.objects.get().resume_at == at
    assert msgs(response)[-1].startswith("Optimierung pausiert bis ")


def test_a_failed_write_says_so_in_german(german):
    german.fake.write_error = podero.PoderoServerError(status=503, method="PUT", path="/ev", body=None)
    data = {"enabled": "1", "minimum_charge_limit": "65", "charge_deadline_at": "05:45"}
    page = text(german.client.post(url("ev-deadline", german.ev["id"]), data))
    assert ("Ihre Änderung wurde nicht gespeichert: Podero ist nicht erreichbar. Bitte versuchen Sie es erneut."
            in page)
    assert 'value="65"' in page and 'value="05:45"' in page


def test_a_remembered_failure_reads_in_each_readers_language(home):
    """The error memo is shared by everyone who reads that key: it is kept in English and translated per read."""
    key = Ids.of(home.user.podero).key("heat-pumps") + ":german-test"

    def down():
        raise podero.PoderoUnavailable("connection refused")

    with translation.override("de"), pytest.raises(podero.PoderoError):
        fetch_once(key, down, max_age=0, keep_for=60, error_memo_s=60)
    try:
        assert cache.get(key + ":error") == "Podero is not reachable."
        with pytest.raises(services.RecentFailure) as memo:
            fetch_once(key, down, max_age=0, keep_for=60, error_memo_s=60)
        with translation.override("de"):
            assert services.describe_failure(memo.value) == "Podero ist nicht erreichbar."
        with translation.override("en"):
            assert services.describe_failure(memo.value) == "Podero is not reachable."
    finally:
        cache.delete_many([key + ":error", key + ":failed"])


def test_the_write_limit_is_german(german, monkeypatch):
    monkeypatch.setattr("devices.services.writes.take_write_slot", lambda user: False)
    response = german.client.post(url("ev-boost", german.ev["id"]))
    assert response.status_code == 429
    assert ("Sie haben in der letzten Minute 10 Änderungen vorgenommen. Bitte warten Sie eine Minute und "
            "versuchen Sie es dann erneut.") in text(response)
    assert "Zu viele Änderungen" in text(response)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "sent"), [("de", "de"), ("de-at", "de"), ("en", "en")])
def test_the_reconnect_asks_podero_for_the_homeowners_language(sim, demo_homeowner, client, language, sent):
    from simulator import factories
    from simulator.models import Device

    factories.require_reauth(Device.objects.get(id=sim.second_ev_id))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(demo_homeowner)
    client.get(reverse("dashboard:home"))
    real_call = podero.PoderoClient._call
    with mock.patch.object(podero.PoderoClient, "_call", autospec=True, side_effect=real_call) as spy:
        response = client.post(reverse("dashboard:device-reconnect", args=["electric-vehicle", sim.second_ev_id]),
                               {"action": "0"})
    assert response.status_code == 200  # the simulator accepted the body
    bodies = [c.kwargs["json"] for c in spy.call_args_list if "/resolve" in c.args[2]]
    assert len(bodies) == 1 and bodies[0]["language"] == sent
    if sent == "de":
        page = text(response)
        assert "Neu verbinden" in page and "Weiter zur Anmeldung" in page


def test_an_unanswered_write_is_told_in_german(german):
    """Sent, no answer, and the re-read shows the old setting: "not saved", in German, with the device's gender."""
    german.client.get(url("home"))  # the device list is cached: the write's ownership check needs no call
    german.fake.write_error = podero.PoderoWriteTimeout("read timed out")
    response = german.client.post(url("optimization", "heat-pump", german.hp["id"]), {"active": "0"}, **HTMX)
    assert ("Nicht gespeichert – es wurde nichts geändert: Podero hat nicht rechtzeitig geantwortet, und Ihre "
            "Wärmepumpe zeigt noch die bisherige Einstellung. Bitte versuchen Sie es erneut.") in text(response)


def test_a_full_car_is_told_in_german(german):
    german.ev.update({"boost_state": "ongoing", "is_charging": True})
    response = german.client.post(url("ev-boost", german.ev["id"]), **HTMX)
    assert "Das Auto lädt bereits oder ist voll – es ist nichts zu tun." in text(response)
