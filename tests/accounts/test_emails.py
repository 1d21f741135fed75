"""Every email (allauth's confirmation and reset, the attention email, the household invitation) is in the
recipient's language, speaks as the partner, has a plain-text and an HTML part in the partner's colours, and
its links survive copying from the console backend (8bit or 7bit, each URL whole on one line)."""

from __future__ import annotations

import dataclasses
import email
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.emails import email_language
from devices import tasks
from tests import payloads
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
URL = re.compile(r"https?://[^\s<>\"']+")


@pytest.fixture
def partner(settings):
    settings.PARTNER = dataclasses.replace(settings.PARTNER, name="Stadtwerke Beispiel", primary="#8a1538",
                                           accent="#c8102e", support_email="hilfe@stadtwerke.example",
                                           support_phone="+43 1 234 56 78")
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = "Stadtwerke Beispiel: "
    settings.DASHBOARD_URL = "http://dashboard.stadtwerke.example"
    return settings.PARTNER


def _parts(message) -> dict[str, email.message.Message]:
    """The MIME parts as the console backend writes them (the same bytes an SMTP server gets)."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    return {part.get_content_type(): part for part in parsed.walk() if not part.is_multipart()}


def assert_copyable(message) -> None:
    """The text part is not quoted-printable: every link of the body is whole on one line of the raw part."""
    raw = message.message().as_bytes().decode()  # what the console and SMTP backends write
    parts = _parts(message)
    text = parts["text/plain"]
    assert text["Content-Transfer-Encoding"] in ("7bit", "8bit"), text["Content-Transfer-Encoding"]
    assert parts["text/html"]["Content-Transfer-Encoding"] in ("7bit", "8bit")
    urls = URL.findall(message.body)
    assert urls, "the email carries a link"
    raw_lines = raw.splitlines()
    for url in urls:
        assert any(url in line for line in raw_lines), f"{url} is broken across lines in the raw message"
    assert "quoted-printable" not in raw and "base64" not in raw


def _german_owner(homeowner):
    homeowner.language = "de"
    homeowner.save(update_fields=["language"])
    return homeowner


# --- allauth: password reset, email confirmation, email change --------------------------------------------
def test_password_reset_email_is_german_for_a_german_user(client, homeowner, partner, mailoutbox, german_catalogue):
    _german_owner(homeowner)
    client.post(reverse("account_reset_password"), {"email": homeowner.email},
                headers={"accept-language": "en"})  # the person's own setting wins over this browser
    message = mailoutbox[-1]
    assert message.subject.startswith("Stadtwerke Beispiel: ") and "Passwort" in message.subject
    assert "Guten Tag," in message.body and "hilfe@stadtwerke.example" in message.body
    assert "Stadtwerke Beispiel" in message.body and "+43 1 234 56 78" in message.body
    assert "Hello" not in message.body
    html = _parts(message)["text/html"].get_content()
    assert '<html lang="de">' in html and "Neues Passwort wählen" in html and "Guten Tag," in html
    assert "#8a1538" in html and "#c8102e" in html and "hilfe@stadtwerke.example" in html
    reset_url = re.search(r"http://\S+/accounts/password/reset/key/\S+/", message.body).group(0)
    assert f'href="{reset_url}"' in html
    assert_copyable(message)


def test_password_reset_for_an_unknown_address_is_in_the_browser_language(client, db, partner, mailoutbox,
                                                                          german_catalogue):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"},
                headers={"accept-language": "de-AT,de;q=0.9"})
    message = mailoutbox[-1]
    assert message.to == ["nobody@example.com"]
    assert "Guten Tag," in message.body
    assert 'lang="de"' in _parts(message)["text/html"].get_content()


def test_signup_confirmation_is_in_the_browser_language_and_signs_in(client, db, partner, mailoutbox,
                                                                     german_catalogue, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = client.post(reverse("account_signup"),
                           {"email": "neu@example.com", "password1": PASSWORD, "password2": PASSWORD},
                           headers={"accept-language": "de"})
    assert response.status_code == 302
    from accounts.models import User

    assert User.objects.get(email="neu@example.com").browser_language == "de"  # not signed in yet, but known
    message = mailoutbox[-1]
    assert message.subject.startswith("Stadtwerke Beispiel: ") and "Guten Tag," in message.body
    assert "E-Mail-Adresse bestätigen" in _parts(message)["text/html"].get_content()
    assert_copyable(message)
    confirm = re.search(r"http://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    path = re.sub(r"^http://[^/]+", "", confirm)
    other_device = Client()  # allauth signs in only the browser that signed up, not whoever holds the link
    other_device.post(path)
    assert other_device.get(reverse("accounts:settings")).status_code == 302
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(email="neu@example.com").update(verified=False)
    assert client.post(path, headers={"accept-language": "de"}).status_code == 302
    assert client.get(reverse("accounts:settings")).status_code == 200  # signed in by the confirmation
    assert User.objects.get(email="neu@example.com").browser_language == "de"


def test_an_email_change_confirmation_goes_to_the_new_address_in_the_users_language(client, homeowner, partner,
                                                                                   mailoutbox, german_catalogue):
    client.force_login(_german_owner(homeowner))
    client.post(reverse("account_email"), {"email": "neu@example.com", "action_add": ""})
    message = mailoutbox[-1]
    assert message.to == ["neu@example.com"] and "Guten Tag," in message.body
    assert_copyable(message)


# --- Ours: the attention email and the household invitation -------------------------------------------------
def test_attention_email_in_german_with_brand_and_both_parts(homeowner, fake_podero, partner, mailoutbox,
                                                             german_catalogue):
    _german_owner(homeowner)
    fake_podero.add(homeowner.podero.podero_user_id, "electric-vehicles", payloads.electric_vehicle(
        is_authenticated=False, action_needed=True,
        actions=[{"code": "reauthenticate", "resolution_link": {"url": "https://podero.example/cues/1/resolve",
                                                                "required_parameters": []}}]))
    assert tasks.notify_attention_chunk([homeowner.pk]) == 1
    message = mailoutbox[-1]
    assert message.subject == "„Tesla Model 3“ braucht Ihre Aufmerksamkeit"
    assert "Guten Tag Owner," in message.body and "Ihre Übersicht:" in message.body
    assert "http://dashboard.stadtwerke.example/settings/" in message.body
    assert "hilfe@stadtwerke.example" in message.body
    assert "Hello" not in message.body and "needs an action" not in message.body
    html = _parts(message)["text/html"].get_content()
    assert "Guten Tag Owner," in html and "#8a1538" in html and "Stadtwerke Beispiel" in html
    assert_copyable(message)


def test_attention_email_without_a_setting_uses_the_browser_language_of_the_last_sign_in(
        homeowner, fake_podero, mailoutbox, german_catalogue):
    assert Client().post(reverse("account_login"), {"login": homeowner.email, "password": PASSWORD},
                         headers={"accept-language": "de"}).status_code == 302
    homeowner.refresh_from_db()
    assert (homeowner.language, homeowner.browser_language) == ("", "de")
    fake_podero.add(homeowner.podero.podero_user_id, "electric-vehicles", payloads.electric_vehicle(
        is_authenticated=False, action_needed=True, actions=[]))
    assert tasks.notify_attention_chunk([homeowner.pk]) == 1
    assert "Guten Tag" in mailoutbox[-1].body


def test_invitation_in_the_owners_language_with_a_whole_link(client, homeowner, partner, mailoutbox,
                                                             german_catalogue):
    client.force_login(_german_owner(homeowner))
    response = client.post(reverse("accounts:household-invite"), {"email": "gast@example.com", "role": "viewer"})
    assert response.status_code == 302
    message = mailoutbox[-1]
    assert message.subject == "Owner lädt Sie in den Haushalt auf Stadtwerke Beispiel ein"
    assert "Nur-Lesen" in message.body and "Der Link gilt einmal und läuft nach 7 Tagen ab." in message.body
    html = _parts(message)["text/html"].get_content()
    assert "Einladung annehmen" in html
    assert_copyable(message)


def test_english_stays_english(client, homeowner, mailoutbox, german_catalogue):
    client.post(reverse("account_reset_password"), {"email": homeowner.email}, headers={"accept-language": "en"})
    assert mailoutbox[-1].body.startswith("Hello,")
    assert "Choose a new password" in _parts(mailoutbox[-1])["text/html"].get_content()


# --- Which language -----------------------------------------------------------------------------------------
def test_email_language_order(settings, rf, homeowner, other_homeowner):
    request = rf.get("/")
    request.LANGUAGE_CODE = "de"
    request.user = other_homeowner
    assert email_language(None) == settings.LANGUAGE_CODE
    assert email_language(None, request=request) == "de"  # an unknown recipient: the asker's language
    homeowner.browser_language = "en"
    assert email_language(homeowner, request=request) == "en"  # someone else asked: the recipient's browser
    request.user = homeowner
    assert email_language(homeowner, request=request) == "de"  # they asked themselves: this browser
    homeowner.language = "en"
    assert email_language(homeowner, request=request) == "en"  # their setting wins


def test_our_neutral_product_name_is_translated_in_a_german_email(client, db, settings, mailoutbox, german_catalogue):
    from dashboard.branding import Brand
    from tests.conftest import _make_homeowner

    settings.PARTNER = Brand()  # no PARTNER_NAME: the neutral default
    user = _make_homeowner("neutral@example.com", "33333333-3333-4333-8333-333333333333")
    user.language = "de"
    user.save()
    client.post("/accounts/password/reset/", {"email": user.email})
    message = mailoutbox[-1]
    html = message.alternatives[0][0]
    assert message.subject.startswith("Energie zu Hause: ")
    assert "Home energy" not in message.body + html and "Energie zu Hause" in message.body
