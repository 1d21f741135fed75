"""The homeowner settings page: attention emails on/off and the time zone, plain POST + redirect."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_settings_page_needs_login(client):
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_settings_page_shows_the_current_values_and_is_linked_from_the_header(client, homeowner, fake_podero):
    client.force_login(homeowner)
    html = client.get(reverse("accounts:settings")).content.decode()
    assert 'name="notify_attention"' in html and "checked" in html
    assert '<option value="Europe/Vienna" selected>' in html
    assert '<label for="id_timezone">' in html and 'name="csrfmiddlewaretoken"' in html
    assert f'href="{reverse("accounts:settings")}"' in client.get(reverse("dashboard:home")).content.decode()


def test_saving_settings_redirects_with_a_message(client, homeowner):
    client.force_login(homeowner)
    response = client.post(reverse("accounts:settings"), {"timezone": "America/New_York"}, follow=True)
    assert response.redirect_chain == [(reverse("accounts:settings"), 302)]
    assert "Your settings are saved." in response.content.decode()
    homeowner.refresh_from_db()
    assert (homeowner.notify_attention, homeowner.timezone) == (False, "America/New_York")


def test_a_bad_time_zone_is_refused_next_to_the_field(client, homeowner):
    client.force_login(homeowner)
    response = client.post(reverse("accounts:settings"), {"timezone": "Mars/Olympus", "notify_attention": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html and 'class="field__error"' in html
    homeowner.refresh_from_db()
    assert homeowner.timezone == "Europe/Vienna"


def test_settings_post_needs_csrf(homeowner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(homeowner)
    assert client.post(reverse("accounts:settings"), {"timezone": "UTC"}).status_code == 403
