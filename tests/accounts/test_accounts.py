"""Login, the unlinked-account page, and the two account management commands."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import PoderoLink, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_with_email_and_password_reaches_the_dashboard(client, homeowner, fake_podero):
    response = client.post(reverse("account_login"), {"login": "owner@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_wrong_password_is_refused_and_keeps_the_email(client, homeowner):
    response = client.post(reverse("account_login"), {"login": "owner@example.com", "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "owner@example.com" in html
    assert "not correct" in html.lower() or "incorrect" in html.lower()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_unlinked_account_sees_a_friendly_page(client, db):
    user = User.objects.create_user(email="new@example.com", password=PASSWORD)
    client.force_login(user)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    assert "not connected yet" in response.content.decode()


def test_signup_and_password_reset_pages_render(client, db):
    assert client.get(reverse("account_signup")).status_code == 200
    assert client.get(reverse("account_reset_password")).status_code == 200


def test_link_homeowner_creates_then_updates(db, capsys):
    uid = str(uuid.uuid4())
    call_command("link_homeowner", "Jo@Example.com", "--podero-user-id", uid, "--password", PASSWORD)
    user = User.objects.get(email="jo@example.com")
    assert str(user.podero.podero_user_id) == uid
    assert user.check_password(PASSWORD)
    other = str(uuid.uuid4())
    call_command("link_homeowner", "jo@example.com", "--podero-user-id", other)
    user.refresh_from_db()
    assert str(user.podero.podero_user_id) == other
    assert PoderoLink.objects.count() == 1
    assert "Updated jo@example.com" in capsys.readouterr().out


def test_link_homeowner_rejects_a_malformed_uuid(db):
    with pytest.raises(CommandError, match="not a valid UUID"):
        call_command("link_homeowner", "jo@example.com", "--podero-user-id", "1234", "--password", PASSWORD)
    with pytest.raises(CommandError, match="not a valid UUID"):
        call_command("link_homeowner", "jo@example.com", "--podero-user-id", str(uuid.uuid4()), "--org-id", "x",
                     "--password", PASSWORD)


def test_link_homeowner_needs_a_password_for_an_unknown_email(db):
    with pytest.raises(CommandError, match="give --password"):
        call_command("link_homeowner", "nobody@example.com", "--podero-user-id", str(uuid.uuid4()))
    assert not User.objects.exists()


def test_one_podero_user_cannot_be_linked_twice(db, homeowner):
    with pytest.raises(CommandError, match="already linked"):
        call_command("link_homeowner", "second@example.com", "--podero-user-id",
                     str(homeowner.podero.podero_user_id), "--password", PASSWORD)
