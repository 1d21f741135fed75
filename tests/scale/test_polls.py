"""Issue 14 (1-3): unchanged polls answer 204 without rendering, each card renders once per change, and
a list is refetched only when newer data can exist."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from dashboard import cards
from devices import services
from tests.resilience.helpers import age_entries

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def version_of(html: str) -> str:
    return re.search(r'hx-get="/\?v=([0-9a-f]+)"', html).group(1)


def test_an_unchanged_poll_is_204_with_no_body(home):
    html = home.client.get(reverse("dashboard:home")).content.decode()
    v = version_of(html)
    response = home.client.get(reverse("dashboard:home") + f"?v={v}", **HTMX)
    assert response.status_code == 204 and response.content == b""
    assert "X-Data-Fetched-At" in response


def test_a_changed_device_answers_the_partial_with_a_new_version(home):
    v = version_of(home.client.get(reverse("dashboard:home")).content.decode())
    home.ev["battery_level"] = 12
    services.invalidate(link=home.user.podero)
    response = home.client.get(reverse("dashboard:home") + f"?v={v}", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert version_of(html) != v and 'id="device-cards"' in html and "<html" not in html


def test_the_version_follows_the_time_zone(home):
    v = version_of(home.client.get(reverse("dashboard:home")).content.decode())
    home.user.timezone = "America/New_York"
    home.user.save()
    assert home.client.get(reverse("dashboard:home") + f"?v={v}", **HTMX).status_code == 200


def test_a_warm_page_renders_no_card_and_a_change_renders_one(home, monkeypatch):
    home.client.get(reverse("dashboard:home"))
    rendered: list[str] = []
    real = cards.render_to_string
    monkeypatch.setattr(cards, "render_to_string", lambda *a, **kw: rendered.append(a[1]["device"].id) or real(*a, **kw))
    home.client.get(reverse("dashboard:home"))
    assert rendered == []
    home.hp["operation_mode"] = "max"
    services.invalidate(link=home.user.podero, kinds=("heat-pumps",))
    home.client.get(reverse("dashboard:home"))
    assert rendered == [home.hp["id"]]


def test_a_warm_page_draws_the_home_consumption_once_per_change(home, monkeypatch):
    for device, kwh in ((home.hp, 30.0), (home.ev, 12.0), (home.inverter, 55.0)):
        device.update(consumption_last_day_kwh=kwh, consumption_last_week_kwh=kwh * 7,
                      consumption_last_month_kwh=kwh * 30)
    first = home.client.get(reverse("dashboard:home")).content.decode()
    drawn: list[int] = []
    real = cards._home_use_template()
    monkeypatch.setattr(cards, "_home_use_template", lambda: drawn.append(1) or real)
    again = home.client.get(reverse("dashboard:home")).content.decode()
    assert drawn == [] and 'class="consumption consumption--home"' in again
    assert again.count("consumption--home") == first.count("consumption--home") == 1
    home.hp["consumption_last_day_kwh"] = 41.5
    services.invalidate(link=home.user.podero, kinds=("heat-pumps",))
    home.client.get(reverse("dashboard:home"))
    assert drawn == [1]


def test_cached_cards_carry_each_browsers_own_csrf_token(home):
    """A card rendered for one browser must not hand its CSRF token to another browser of the same person."""
    home.client.get(reverse("dashboard:home"))
    other = Client(enforce_csrf_checks=True)
    other.force_login(home.user)
    html = other.get(reverse("dashboard:home")).content.decode()
    form = re.search(rf'action="/devices/heat-pump/{home.hp["id"]}/optimization".*?name="csrfmiddlewaretoken" value="([^"]+)"',
                     html, re.S)
    response = other.post(f"/devices/heat-pump/{home.hp['id']}/optimization",
                          {"active": "0", "csrfmiddlewaretoken": form.group(1)})
    assert response.status_code in (200, 302)


def test_a_list_is_refetched_only_when_newer_data_can_exist(home):
    """The fake's devices last synced long ago: they are treated as offline, looked at once per 5 min."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))  # synced a minute ago
    for device in (home.hp, home.ev, home.inverter):
        device["current_state_last_updated_at"] = stamp
    home.client.get(reverse("dashboard:home"))
    calls = len(home.fake.list_calls("list_devices"))
    age_entries(home.user.podero, 60)  # past the 30 s, but the next sync is not due for 3 more minutes
    home.client.get(reverse("dashboard:home"))
    from tests.conftest import settle_background

    settle_background()
    assert len(home.fake.list_calls("list_devices")) == calls  # nothing new can exist: no call
    age_entries(home.user.podero, 5 * 60)  # now a sync may have happened
    home.client.get(reverse("dashboard:home"))
    settle_background()
    assert len(home.fake.list_calls("list_devices")) == calls + 3


def test_a_poll_fetches_a_list_that_may_hold_a_newer_sync_for_its_own_answer(home, monkeypatch):
    """An open dashboard's poll shows a new sync at once; a full page serves the list and refreshes it behind."""
    from devices.services import reads

    scheduled: list[tuple] = []
    monkeypatch.setattr(reads, "_schedule_refresh", lambda ids, kind: scheduled.append((ids, kind)))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    for device in (home.hp, home.ev, home.inverter):
        device["current_state_last_updated_at"] = stamp
    v = version_of(home.client.get(reverse("dashboard:home")).content.decode())
    calls = len(home.fake.list_calls("list_devices"))
    home.hp["operation_mode"] = "max"  # what the next sync brings
    age_entries(home.user.podero, 5 * 60)  # a sync may have happened since
    home.client.get(reverse("dashboard:home"))  # the full page: last-known lists at once, refreshes queued
    assert len(home.fake.list_calls("list_devices")) == calls and len(scheduled) == 3
    response = home.client.get(reverse("dashboard:home") + f"?v={v}", **HTMX)
    assert len(home.fake.list_calls("list_devices")) == calls + 3 and len(scheduled) == 3
    assert response.status_code == 200 and version_of(response.content.decode()) != v


def test_an_evs_session_and_policy_are_read_in_one_round_trip(home, monkeypatch):
    """A plugged-in car that follows a policy: its card's two cache entries come in one get_many."""
    from devices.services import evplan, policy

    home.client.get(reverse("dashboard:home"))
    single: list[str] = []
    for module in (evplan, policy):
        real = module.read_entry
        monkeypatch.setattr(module, "read_entry", lambda key, real=real: single.append(key) or real(key))
    response = home.client.get(reverse("dashboard:home"))
    assert response.status_code == 200 and single == []
