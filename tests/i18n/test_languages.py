"""Which language a person sees: their setting, else the switcher's cookie, else Accept-Language."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _lang(response) -> str:
    html = response.content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_login_page_follows_accept_language_and_says_so(client):
    assert _lang(client.get(LOGIN, headers={"accept-language": "de-AT,de;q=0.9,en;q=0.5"})) == "de"
    assert _lang(client.get(LOGIN, headers={"accept-language": "en-GB,en;q=0.9"})) == "en"
    assert _lang(client.get(LOGIN, headers={"accept-language": "fr-FR"})) == "en"  # not ours: English
    response = client.get(LOGIN, headers={"accept-language": "de"})
    assert response.headers["Content-Language"] == "de"
    assert "Anmelden" in response.content.decode()


def test_switcher_on_the_login_page_sets_a_cookie_and_returns(client):
    page = client.get(LOGIN).content.decode()
    assert 'action="/settings/language"' in page and 'value="de"' in page  # a plain form: no JS needed
    response = client.post("/settings/language", {"language": "de", "next": LOGIN})
    assert response.status_code == 302 and response.headers["Location"] == LOGIN
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME]["httponly"]
    assert _lang(client.get(LOGIN, headers={"accept-language": "en"})) == "de"  # the choice beats the browser


def test_switcher_refuses_foreign_redirects_and_unknown_languages(client):
    response = client.post("/settings/language", {"language": "de", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    response = client.post("/settings/language", {"language": "xx", "next": LOGIN})
    assert response.headers["Location"] == LOGIN and settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert client.get("/settings/language").status_code == 405


def test_a_signed_in_persons_choice_is_saved_and_wins_everywhere(client, homeowner, fake_podero):
    client.force_login(homeowner)
    client.post("/settings/language", {"language": "de", "next": "/"})
    homeowner.refresh_from_db()
    assert homeowner.language == "de"
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)  # another browser: only the account knows
    response = client.get("/", headers={"accept-language": "en"})
    assert _lang(response) == "de"
    homeowner.language = ""  # "same as my browser"
    homeowner.save()
    assert _lang(client.get("/", headers={"accept-language": "en"})) == "en"
    assert _lang(client.get("/", headers={"accept-language": "de"})) == "de"


def test_a_language_picked_before_signing_in_is_kept_by_the_account(client, homeowner):
    from tests.conftest import PASSWORD

    client.post("/settings/language", {"language": "de", "next": LOGIN})
    client.post(LOGIN, {"login": homeowner.email, "password": PASSWORD})
    homeowner.refresh_from_db()
    assert homeowner.language == "de"
    homeowner.language = "en"  # a saved choice is not overwritten by a cookie at the next login
    homeowner.save()
    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    client.post(LOGIN, {"login": homeowner.email, "password": PASSWORD})
    homeowner.refresh_from_db()
    assert homeowner.language == "en"
