"""Household members: the owner invites by email, the invitation goes through allauth's login or signup,
works once and lapses after 7 days; members use the controls, viewers see no control; the owner sees and
removes people in settings; the audit log says who acted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import HouseholdInvite, HouseholdMember, Role, User
from devices.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HOME = reverse("dashboard:home")
SETTINGS = reverse("accounts:settings")


def _invite(client, owner, email="new@example.com", role="viewer"):
    client.force_login(owner)
    response = client.post(reverse("accounts:household-invite"), {"email": email, "role": role})
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    body = mail.outbox[-1].body
    return re.search(r"http://\S+/settings/household/join/\S+/", body).group(0)


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_invitation_email_carries_a_single_use_link_whose_token_is_stored_hashed(client, household):
    url = _invite(client, household.owner, email="New@Example.com", role="member")
    message = mail.outbox[-1]
    assert message.to == ["new@example.com"]
    assert "invites you" in message.subject and "7 days" in message.body and "member" in message.body
    token = url.rstrip("/").rsplit("/", 1)[-1]
    invite = HouseholdInvite.objects.get(email="new@example.com")
    assert token not in invite.token_hash and len(invite.token_hash) == 64
    assert invite.role == Role.MEMBER and invite.link == household.owner.podero
    assert invite.expires_at - invite.created_at == timedelta(days=7)


def test_signup_through_the_invitation_then_accept_with_a_post(client, household, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    join = _path(_invite(client, household.owner))
    page = client.get(join)
    html = page.content.decode()
    assert page.status_code == 200
    signup = reverse("account_signup") + "?next=" + join
    assert signup in html and "Owner (owner@example.com) invites you" in html
    response = client.post(signup, {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == join
    html = client.get(join).content.decode()
    assert "Accept the invitation" in html and 'name="csrfmiddlewaretoken"' in html
    response = client.post(join)
    assert response.status_code == 302 and response["Location"] == HOME
    member = HouseholdMember.objects.get(user__email="new@example.com")
    assert member.role == Role.VIEWER and member.link == household.owner.podero
    assert client.get(HOME).status_code == 200


def test_the_accept_post_needs_csrf(household):
    from django.test import Client

    join = _path(_invite(Client(), household.owner))
    newcomer = User.objects.create_user(email="new@example.com", password=PASSWORD)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(newcomer)
    assert strict.post(join).status_code == 403
    assert not HouseholdMember.objects.filter(user=newcomer).exists()


def test_an_invitation_works_once(client, household):
    join = _path(_invite(client, household.owner))
    first = User.objects.create_user(email="new@example.com", password=PASSWORD)
    client.force_login(first)
    assert client.post(join).status_code == 302
    client.logout()
    second = User.objects.create_user(email="someone@example.com", password=PASSWORD)
    client.force_login(second)
    response = client.post(join)
    assert response.status_code == 410 and "already been used" in response.content.decode()
    assert not HouseholdMember.objects.filter(user=second).exists()
    with pytest.raises(services.InviteError):
        services.household_invite_accept(token=join.rstrip("/").rsplit("/", 1)[-1], user=second)


def test_an_invitation_expires_after_seven_days(client, household, monkeypatch):
    join = _path(_invite(client, household.owner))
    newcomer = User.objects.create_user(email="new@example.com", password=PASSWORD)
    client.force_login(newcomer)
    created = HouseholdInvite.objects.get().created_at
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: created + timedelta(days=6, hours=23))
    assert client.get(join).status_code == 200  # still valid a day before
    monkeypatch.setattr(timezone, "now", lambda: created + timedelta(days=7, seconds=1))
    response = client.post(join)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not HouseholdMember.objects.filter(user=newcomer).exists()
    monkeypatch.setattr(timezone, "now", real_now)


def test_an_invitation_is_for_the_address_it_was_sent_to(client, household):
    join = _path(_invite(client, household.owner))
    stranger = User.objects.create_user(email="stranger@example.com", password=PASSWORD)
    client.force_login(stranger)
    assert "Sign out and sign in with that address" in client.get(join).content.decode()
    assert client.post(join).status_code == 409
    assert not HouseholdMember.objects.filter(user=stranger).exists()


def test_a_withdrawn_invitation_cannot_be_used(client, household):
    join = _path(_invite(client, household.owner))
    invite = HouseholdInvite.objects.get()
    client.force_login(household.owner)
    html = client.get(SETTINGS).content.decode()
    assert "new@example.com" in html and reverse("accounts:household-revoke", args=[invite.pk]) in html
    assert client.post(reverse("accounts:household-revoke", args=[invite.pk])).status_code == 302
    client.force_login(User.objects.create_user(email="new@example.com", password=PASSWORD))
    assert client.post(join).status_code == 410


def test_nobody_can_be_invited_who_already_has_a_home(client, household):
    client.force_login(household.owner)
    for email in (household.other.email, household.viewer.email, household.owner.email):
        response = client.post(reverse("accounts:household-invite"), {"email": email, "role": "member"})
        assert response.status_code == 400
    assert not HouseholdInvite.objects.exists() and mail.outbox == []


def test_owner_sees_and_removes_members_in_settings(client, household):
    client.force_login(household.owner)
    html = client.get(SETTINGS).content.decode()
    assert "member@example.com" in html and "viewer@example.com" in html and "Send invitation" in html
    viewer_row = HouseholdMember.objects.get(user=household.viewer)
    assert client.post(reverse("accounts:household-remove", args=[viewer_row.pk])).status_code == 302
    assert not HouseholdMember.objects.filter(pk=viewer_row.pk).exists()
    client.force_login(household.viewer)
    assert "not connected" in client.get(HOME).content.decode().lower()


def test_members_and_viewers_see_whose_home_and_no_invite_form(client, household):
    for person in (household.member, household.viewer):
        client.force_login(person)
        html = client.get(SETTINGS).content.decode()
        assert "You see the home of Owner" in html and "Send invitation" not in html


def test_viewer_sees_every_device_and_no_control(client, household):
    client.force_login(household.viewer)
    html = client.get(HOME).content.decode()
    for device in (household.hp, household.ev, household.inverter):
        assert f'id="device-{device["id"]}"' in html
    main = html.split('<main', 1)[1]
    assert "<form" not in main  # the header's "Log out" is the only form on the page
    assert "hx-post" not in html and "Charge now</button>" not in html and "Pause optimization" not in html
    assert "You can view this home" in html
    detail = client.get(reverse("dashboard:device_detail", args=["electric-vehicle", household.ev["id"]]))
    assert detail.status_code == 200 and "hx-post" not in detail.content.decode()


def test_member_uses_the_controls_and_the_audit_log_names_them(client, household):
    client.force_login(household.member)
    html = client.get(HOME).content.decode()
    assert "Charge now</button>" in html and "Pause optimization" in html
    response = client.post(reverse("dashboard:ev-boost", args=[household.ev["id"]]))
    assert response.status_code == 302
    assert household.fake.writes() == [("start_boost", household.ev["id"])]
    entry = AuditEntry.objects.get(action="boost_start")
    assert (entry.user, entry.actor, entry.actor_email) == (household.owner, household.member, "member@example.com")
    assert entry.user_email == "owner@example.com"
    assert str(entry.podero_user_id) == str(household.owner.podero.podero_user_id)


def test_owner_is_the_actor_of_their_own_changes(client, household):
    client.force_login(household.owner)
    client.post(reverse("dashboard:optimization", args=["heat-pump", household.hp["id"]]), {"active": "0"})
    entry = AuditEntry.objects.get(action="optimization_set")
    assert entry.user == entry.actor == household.owner


def test_household_access_is_the_one_check(household):
    from django.core.exceptions import PermissionDenied

    assert services.household_access(household.owner).role == Role.OWNER
    assert services.household_access(household.member, control=True).link == household.owner.podero
    with pytest.raises(PermissionDenied):
        services.household_access(household.viewer, control=True)
    with pytest.raises(PermissionDenied):
        services.household_access(household.member, manage=True)
    assert services.household_access(household.other).link == household.other.podero
    household.owner.is_active = False
    household.owner.save()
    assert services.household_access(household.member) is None  # a deactivated owner's home closes


def test_signup_with_mandatory_verification_comes_back_to_the_invitation(client, household, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    join = _path(_invite(client, household.owner))
    assert client.get(join).status_code == 200  # the invitation link, opened signed out
    response = client.post(reverse("account_signup") + "?next=" + join,
                           {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    confirm = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    assert client.post(_path(confirm)).status_code == 302  # confirmed; allauth asks to sign in
    response = client.post(reverse("account_login"), {"login": "new@example.com", "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(response["Location"])  # the dashboard: no home yet, an invitation pending
    assert response.status_code == 302 and response["Location"] == join
    assert client.post(join)["Location"] == HOME
    assert HouseholdMember.objects.filter(user__email="new@example.com").exists()
    assert client.get(HOME).status_code == 200


def test_sign_in_through_the_invitation(client, household):
    join = _path(_invite(client, household.owner))
    User.objects.create_user(email="new@example.com", password=PASSWORD)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=User.objects.get(email="new@example.com"), email="new@example.com",
                                verified=True, primary=True)
    assert (reverse("account_login") + "?next=" + join) in client.get(join).content.decode()
    response = client.post(reverse("account_login") + "?next=" + join,
                           {"login": "new@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == join
    assert client.post(join).status_code == 302
    assert HouseholdMember.objects.get(user__email="new@example.com").role == Role.VIEWER


def test_a_new_invitation_to_the_same_address_replaces_the_open_one(client, household):
    first = _path(_invite(client, household.owner))
    second = _path(_invite(client, household.owner, role="member"))
    client.force_login(User.objects.create_user(email="new@example.com", password=PASSWORD))
    assert client.post(first).status_code == 410
    assert client.post(second).status_code == 302
    assert HouseholdMember.objects.get(user__email="new@example.com").role == Role.MEMBER


def test_a_home_sends_a_bounded_number_of_invitations_a_day(client, household):
    client.force_login(household.owner)
    for i in range(services.INVITES_PER_DAY):
        services.household_invite_create(owner=household.owner, email=f"p{i}@example.com", role="viewer")
    response = client.post(reverse("accounts:household-invite"), {"email": "one-more@example.com", "role": "viewer"})
    assert response.status_code == 400 and "many invitations today" in response.content.decode()
    assert not HouseholdInvite.objects.filter(email="one-more@example.com").exists() and mail.outbox == []


def test_only_the_owner_is_offered_adding_and_removing_devices(client, household):
    add = reverse("dashboard:device-add")
    remove = reverse("dashboard:device-remove", args=["heat-pump", household.hp["id"]])
    detail = reverse("dashboard:device_detail", args=["heat-pump", household.hp["id"]])
    client.force_login(household.owner)
    assert add in client.get(HOME).content.decode() and remove in client.get(detail).content.decode()
    for person in (household.member, household.viewer):
        client.force_login(person)
        assert add not in client.get(HOME).content.decode()
        assert remove not in client.get(detail).content.decode()
        assert client.post(remove).status_code == 403 and client.post(add).status_code == 403
    assert household.fake.writes() == []
