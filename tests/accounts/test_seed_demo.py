"""seed_demo is idempotent, and the demo homeowner's dashboard shows the simulator's devices."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD
from accounts.models import PoderoLink, User
from simulator.models import Device, OAuthClient, Organization, PoderoUser


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing_and_prints_both_logins(capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), PoderoLink.objects.count(), Organization.objects.count(),
              OAuthClient.objects.count(), PoderoUser.objects.count(), Device.objects.count())
    call_command("seed_demo")
    assert counts == (User.objects.count(), PoderoLink.objects.count(), Organization.objects.count(),
                      OAuthClient.objects.count(), PoderoUser.objects.count(), Device.objects.count())
    assert counts == (2, 1, 1, 1, 1, 4)
    out = capsys.readouterr().out
    assert f"{DEMO_EMAIL} / {DEMO_PASSWORD}" in out and f"{STAFF_EMAIL} / {STAFF_PASSWORD}" in out
    demo = User.objects.get(email=DEMO_EMAIL)
    assert demo.check_password(DEMO_PASSWORD) and not demo.is_staff
    assert User.objects.get(email=STAFF_EMAIL).is_superuser


@pytest.mark.django_db(transaction=True)
def test_demo_homeowner_logs_in_and_sees_the_demo_devices(sim, client):
    call_command("seed_demo")
    response = client.post("/accounts/login/", {"login": DEMO_EMAIL, "password": DEMO_PASSWORD}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Nibe S2125-8", "Tesla Model 3", "Volkswagen ID.4", "Fronius Symo GEN24 10.0 Plus"):
        assert name in html


@pytest.mark.django_db(transaction=True)
def test_reset_devices_keeps_everyone_signed_in(sim, client):
    call_command("seed_demo")
    staff = Client()
    for who, email, password in ((client, DEMO_EMAIL, DEMO_PASSWORD), (staff, STAFF_EMAIL, STAFF_PASSWORD)):
        response = who.post("/accounts/login/", {"login": email, "password": password})
        assert response.status_code == 302, email
    call_command("seed_demo", "--reset-devices")
    assert client.get("/").status_code == 200  # not a redirect to the login page
    assert staff.get("/admin/").status_code == 200
    call_command("seed_demo")
    assert client.get("/").status_code == 200
