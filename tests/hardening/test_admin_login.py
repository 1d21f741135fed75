"""Item 1: the admin login is no brute-force side door: staff sign in through allauth's limited login."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
STAFF = "boss@partner.example"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(email=STAFF, password=PASSWORD)


def test_admin_login_page_sends_staff_to_the_limited_login(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Faccounts%2Fuser%2F"
    # A direct POST to the old form logs no one in.
    response = client.post("/admin/login/", {"username": STAFF, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_staff_signs_in_and_reaches_the_admin(client, staff):
    response = client.post(reverse("account_login") + "?next=/admin/",
                           {"login": STAFF, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_twenty_wrong_passwords_then_the_right_one_is_refused_until_the_window_passes(staff, monkeypatch):
    # Different client addresses, so the per-account limit (not only the per-IP one) is what holds.
    for i in range(20):
        c = Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
        response = c.post(reverse("account_login"), {"login": STAFF, "password": f"wrong-{i}"})
        assert response.status_code in (200, 429)
    c = Client(REMOTE_ADDR="203.0.113.9")
    response = c.post(reverse("account_login"), {"login": STAFF, "password": PASSWORD})
    assert "_auth_user_id" not in c.session
    assert response.status_code in (200, 429) and "Too many failed login attempts" in response.content.decode()
    assert c.get("/admin/").status_code == 302

    later = time.time() + 5 * 60 + 1  # the per-account window (5/5m/key) has passed
    monkeypatch.setattr(time, "time", lambda: later)
    response = c.post(reverse("account_login"), {"login": STAFF, "password": PASSWORD})
    assert response.status_code == 302 and c.get("/admin/").status_code == 200


def test_a_homeowner_in_the_admin_is_told_instead_of_looping(client, homeowner):
    client.force_login(homeowner)
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 403 and "no access to the staff area" in response.content.decode()
