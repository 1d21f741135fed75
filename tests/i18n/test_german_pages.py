"""A German page says nothing in English: the pages a homeowner sees, rendered in German, contain none
of the English phrases of our own catalogue (three words or more), and their numbers use the comma.

The phrase list comes from locale/de/LC_MESSAGES/django.po itself (tests/i18n/catalogue.py), so a new
string is covered as soon as it is translatable; a string that is not wrapped fails the catalogue test.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core import mail

from .catalogue import english_phrases

pytestmark = pytest.mark.django_db(transaction=True)

READABLE_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "aria-description", "value"}


class _Text(HTMLParser):
    """What a person reads or hears: text outside <script>/<style>, and the labels in attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "template"}:
            self._skip += 1
        for name, value in attrs:
            if value and name in READABLE_ATTRIBUTES and not (tag == "input" and name == "value"):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "template"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def readable(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts).replace("\u00a0", " "))


def english_in(text: str) -> list[str]:
    return [phrase for phrase in english_phrases() if phrase in text]


@pytest.fixture
def german(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


def test_there_are_phrases_to_look_for():
    assert len(english_phrases()) > 200  # the catalogue is the list; an empty list would test nothing


def test_login_and_password_reset_pages_are_german(german):
    for url in ("/accounts/login/", "/accounts/password/reset/", "/accounts/signup/"):
        response = german.get(url)
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert '<html lang="de">' in response.content.decode()
            assert english_in(readable(response.content.decode())) == [], url


def test_homeowner_pages_are_german(german, sim, demo_homeowner):
    german.force_login(demo_homeowner)
    ev = f"/devices/electric-vehicle/{sim.ev_id}/"
    pages = ["/", "/?refresh=1", ev, f"{ev}?load=1", f"{ev}schedule", f"{ev}deadline",
             f"/devices/heat-pump/{sim.heat_pump_id}/?load=1", f"/devices/inverter/{sim.inverter_id}/?load=1",
             "/savings/", f"{ev}sessions/", "/settings/", "/offline/"]
    seen = {}
    for url in pages:
        response = german.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<html lang="de">' in html, url
        seen[url] = english_in(readable(html))
    assert {url: found for url, found in seen.items() if found} == {}
    home = readable(german.get("/").content.decode())
    assert "Wärmepumpe" in home or "E-Auto" in home
    assert re.search(r"\d,\d\s?(kW|kWh|W|%)", home), "German numbers use a decimal comma"


def test_htmx_partials_are_german_too(german, sim, demo_homeowner):
    german.force_login(demo_homeowner)
    response = german.get("/?refresh=1", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert english_in(readable(response.content.decode())) == []


def test_an_email_is_german(german, demo_homeowner):
    demo_homeowner.language = "de"
    demo_homeowner.save(update_fields=["language"])
    german.post("/accounts/password/reset/", {"email": demo_homeowner.email})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    bodies = [message.subject, message.body] + [readable(content) for content, _type in
                                                getattr(message, "alternatives", [])]
    for text in bodies:
        assert english_in(text) == [], text[:200]
    assert "Passwort" in message.subject
