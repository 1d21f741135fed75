"""The settings page: language, time zone and emails; the email address and password (allauth); signing
out elsewhere; deleting the account. Each is a POST with CSRF that works without JavaScript, and a
mistake keeps what was typed."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
SETTINGS = reverse("accounts:settings")


def _signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


# --- Language, time zone, attention emails ------------------------------------------------------------
def test_saving_german_takes_effect_at_once(client, homeowner, german_catalogue):
    client.force_login(homeowner)
    response = client.post(SETTINGS, {"language": "de", "timezone": "Europe/Berlin"}, follow=True)
    homeowner.refresh_from_db()
    assert (homeowner.language, homeowner.timezone, homeowner.notify_attention) == ("de", "Europe/Berlin", False)
    html = response.content.decode()
    assert response.headers["Content-Language"] == "de"
    assert "Ihre Einstellungen sind gespeichert." in html and "<h1>Einstellungen</h1>" in html
    assert client.cookies["language"].value == "de"


def test_same_as_my_browser_follows_accept_language_and_clears_the_cookie(client, homeowner, german_catalogue):
    homeowner.language = "de"
    homeowner.save()
    client.force_login(homeowner)
    client.cookies["language"] = "de"
    response = client.post(SETTINGS, {"language": "", "timezone": "Europe/Vienna", "notify_attention": "on"},
                           headers={"accept-language": "en-GB,en;q=0.8"}, follow=True)
    homeowner.refresh_from_db()
    assert homeowner.language == ""
    assert client.cookies["language"].value == ""  # deleted
    assert "Your settings are saved." in response.content.decode()


def test_the_time_zone_list_has_the_likely_zones_first_and_no_legacy_aliases(client, homeowner):
    client.force_login(homeowner)
    html = client.get(SETTINGS).content.decode()
    select = re.search(r'<select name="timezone".*?</select>', html, re.S).group(0)
    values = re.findall(r'value="([^"]+)"', select)
    assert values[:3] == ["Europe/Vienna", "Europe/Berlin", "Europe/Zurich"]
    assert '<optgroup label="Europe">' in select and '<optgroup label="America">' in select
    assert "Europe/Paris" in values and "Asia/Kolkata" in values and "Europe/Kyiv" in values
    for alias in ("US/Eastern", "Etc/GMT+3", "Asia/Calcutta", "Europe/Kiev", "UTC", "EST5EDT", "SystemV/AST4"):
        assert alias not in values
    assert len(values) == len(set(values))


@pytest.mark.parametrize("zone", ["US/Eastern", "Asia/Calcutta", "Mars/Olympus"])
def test_an_alias_or_unknown_zone_is_refused_and_the_rest_is_kept(client, homeowner, zone):
    client.force_login(homeowner)
    response = client.post(SETTINGS, {"language": "de", "timezone": zone})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and 'id="id_timezone_error"' in html
    assert re.search(r'<option value="de"[^>]*selected', html), "the chosen language is kept"
    assert not re.search(r'name="notify_attention"[^>]*checked', html), "the unticked box stays unticked"
    homeowner.refresh_from_db()
    assert (homeowner.timezone, homeowner.language) == ("Europe/Vienna", "")


def test_an_unknown_language_is_refused(client, homeowner):
    client.force_login(homeowner)
    assert client.post(SETTINGS, {"language": "xx", "timezone": "Europe/Vienna"}).status_code == 400


# --- Email address and password (allauth) -------------------------------------------------------------
def test_a_new_email_counts_only_after_its_confirmation(client, homeowner, mailoutbox):
    client.force_login(homeowner)
    html = client.get(SETTINGS).content.decode()
    assert f'action="{reverse("account_email")}"' in html and 'name="action_add"' in html
    client.post(reverse("account_email"), {"email": "new-home@example.com", "action_add": ""})
    homeowner.refresh_from_db()
    assert homeowner.email == "owner@example.com"
    for page in (client.get(SETTINGS), client.get(reverse("account_email"))):  # Settings and allauth's page alike
        html = page.content.decode()
        assert "We sent a confirmation link to new-home@example.com" in html
        assert 'name="email" value="new-home@example.com"' in html
        assert 'name="action_send"' in html and 'name="action_remove"' in html  # send again, or cancel
    # "Send the link again" at once: allauth sends at most one link per 3 minutes (the first stays valid),
    # which the notice says, rather than a silent button.
    sent = len(mailoutbox)
    page = client.post(reverse("account_email"), {"email": "new-home@example.com", "action_send": ""}, follow=True)
    assert len(mailoutbox) == sent and "a new one can be sent every 3 minutes" in page.content.decode()
    confirm = re.search(r"http://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body).group(0)
    assert mailoutbox[-1].to == ["new-home@example.com"]
    client.post(confirm.split("8000", 1)[-1] if "8000" in confirm else re.sub(r"^http://[^/]+", "", confirm))
    homeowner.refresh_from_db()
    assert homeowner.email == "new-home@example.com"


def test_a_wrong_new_email_keeps_what_was_typed(client, homeowner):
    client.force_login(homeowner)
    response = client.post(reverse("account_email"), {"email": "not-an-address", "action_add": ""})
    html = response.content.decode()
    assert 'value="not-an-address"' in html and 'aria-invalid="true"' in html
    assert reverse("accounts:settings") in html  # the way back


def test_password_change_has_one_primary_action_and_a_way_back(client, homeowner):
    client.force_login(homeowner)
    html = client.get(reverse("account_change_password")).content.decode()
    assert html.count('type="submit"') - html.count('class="link-button"') == 1
    assert f'href="{SETTINGS}"' in html
    response = client.post(reverse("account_change_password"),
                           {"oldpassword": "wrong-one-123", "password1": "new-pass-9876x", "password2": "new-pass-9876x"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = client.post(reverse("account_change_password"),
                           {"oldpassword": PASSWORD, "password1": "new-pass-9876x", "password2": "new-pass-9876x"})
    assert response.status_code == 302
    homeowner.refresh_from_db()
    assert homeowner.check_password("new-pass-9876x")


@pytest.mark.parametrize("name", ["account_reset_password", "account_reset_password_done"])
def test_reset_pages_have_a_way_back_to_sign_in(client, db, name):
    html = client.get(reverse(name)).content.decode()
    assert f'href="{reverse("account_login")}"' in html and "Back to sign in" in html


# --- Other sessions --------------------------------------------------------------------------------------
def test_signing_out_elsewhere_ends_every_other_session_but_this_one(homeowner, other_homeowner):
    here, phone, laptop, someone_else = (_signed_in(homeowner), _signed_in(homeowner), _signed_in(homeowner),
                                         _signed_in(other_homeowner))
    for client in (here, phone, laptop, someone_else):
        assert client.get(SETTINGS).status_code == 200
    response = here.post(reverse("accounts:sessions-end"), follow=True)
    assert "You are signed out on every other device and browser." in response.content.decode()
    assert here.get(SETTINGS).status_code == 200
    for client in (phone, laptop):
        assert client.get(SETTINGS).status_code == 302  # to the login page
        assert not Session.objects.filter(session_key=client.session.session_key).exists() or \
            "_auth_user_id" not in client.session
    assert someone_else.get(SETTINGS).status_code == 200
    # And it can be done again: the generation keeps counting.
    again = _signed_in(homeowner)
    here.post(reverse("accounts:sessions-end"))
    assert here.get(SETTINGS).status_code == 200 and again.get(SETTINGS).status_code == 302


def test_a_session_from_before_the_feature_stays_valid(homeowner):
    """Generation 0 is Django's own hash: sessions that existed before this field was added survive it."""
    from django.contrib.auth.base_user import AbstractBaseUser

    assert homeowner.session_generation == 0
    assert homeowner.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(homeowner)


# --- Deleting the account -------------------------------------------------------------------------------
def test_a_wrong_password_deletes_nothing(client, homeowner):
    client.force_login(homeowner)
    response = client.post(reverse("accounts:delete"), {"password": "not-it"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "That is not your password." in html and 'id="delete-password-error"' in html
    homeowner.refresh_from_db()


def test_deleting_keeps_the_audit_rows_and_ends_the_household(client, household):
    from accounts.models import HouseholdInvite, HouseholdMember, PoderoLink, User
    from accounts.services import household_access
    from devices.models import AuditEntry

    owner = household.owner
    entry = AuditEntry.objects.create(user=owner, user_email=owner.email, actor=household.member,
                                      actor_email=household.member.email, device_kind="heat-pumps",
                                      device_id=household.hp["id"], action="pause", outcome="ok")
    own = AuditEntry.objects.create(user=owner, actor=owner, device_kind="heat-pumps", device_id=household.hp["id"],
                                    action="resume", outcome="ok")
    member_client = _signed_in(household.member)
    client.force_login(owner)
    response = client.post(reverse("accounts:delete"), {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert "Your account is deleted." in response.content.decode()
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not PoderoLink.objects.exists() or not PoderoLink.objects.filter(user_id=owner.pk).exists()
    assert not HouseholdMember.objects.filter(user=household.member).exists()
    assert not HouseholdInvite.objects.filter(invited_by_id=owner.pk).exists()
    entry.refresh_from_db()
    own.refresh_from_db()
    assert (entry.user, entry.user_email, entry.actor_email) == (None, "owner@example.com", "member@example.com")
    assert (own.user, own.actor, own.user_email, own.actor_email) == (None, None, "owner@example.com",
                                                                       "owner@example.com")
    # The member keeps their account, sees no home any more, and nothing breaks.
    household.member.refresh_from_db()
    assert household_access(household.member) is None
    assert member_client.get(reverse("dashboard:home")).status_code == 200
    assert member_client.get(SETTINGS).status_code == 200
    assert client.get(SETTINGS).status_code == 302  # signed out


def test_staff_cannot_delete_their_account_here(client, django_user_model):
    staff = django_user_model.objects.create_user(email="staff@partner.example", password=PASSWORD, is_staff=True)
    client.force_login(staff)
    assert client.post(reverse("accounts:delete"), {"password": PASSWORD}).status_code == 403
    assert django_user_model.objects.filter(pk=staff.pk).exists()
