"""Item 3: with Redis unreachable (never there, or killed mid-session) people log in, see their devices,
and their changes are made; limits fail open to a per-process limit with one log line."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from devices import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    return reverse(f"dashboard:{name}", args=args)


def schedule_data(**overrides):
    data = {f"{d}_percentage": "80" for d in services.WEEKDAYS}
    data.update({f"{d}_deadline": "07:00" for d in services.WEEKDAYS})
    data.update(timezone="Europe/Vienna", action="save")
    data.update(overrides)
    return data


def exercise(home, caplog) -> None:
    """Log in, see the dashboard, pause (htmx), save a schedule (no JS): all work."""
    fresh = Client()
    response = fresh.post(reverse("account_login"), {"login": home.user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]  # not 429
    page = fresh.get(url("home"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"device-{home.hp['id']}" in html and "not reachable" not in html

    response = fresh.post(url("optimization", "heat-pump", home.hp["id"]), {"active": "0"}, **HTMX)
    assert response.status_code == 200
    assert ("update_device",) == tuple(c[0] for c in home.writes())[:1]

    response = fresh.post(url("ev-schedule", home.ev["id"]), schedule_data(mon_percentage="66"))
    assert response.status_code == 302
    assert home.fake.policies[home.ev["id"]]["mon"]["charge_percentage"] == 66


def test_redis_never_there(dead_redis, home, caplog):
    caplog.set_level(logging.WARNING, logger="dashboard.cache")
    exercise(home, caplog)
    lines = [r for r in caplog.records if r.getMessage().startswith("cache_unavailable")]
    assert len(lines) == 1  # one line per outage, not one per call


def test_redis_killed_mid_session(own_redis, home, caplog):
    from django.core.cache import cache

    caplog.set_level(logging.WARNING, logger="dashboard.cache")
    assert home.client.get(url("home")).status_code == 200
    assert cache.get(services.cache.Ids.of(home.user.podero).key("heat-pumps")) is not None  # really in Redis
    own_redis.kill()
    page = home.client.get(url("home"))
    assert page.status_code == 200 and f"device-{home.hp['id']}" in page.content.decode()
    exercise(home, caplog)
    assert any(r.getMessage().startswith("cache_unavailable") for r in caplog.records)


def test_write_limit_still_limits_per_process_when_redis_is_down(dead_redis, home):
    for _ in range(services.WRITE_LIMIT):
        assert home.client.post(url("optimization", "heat-pump", home.hp["id"]), {"active": "1"},
                                **HTMX).status_code == 200
    response = home.client.post(url("optimization", "heat-pump", home.hp["id"]), {"active": "1"}, **HTMX)
    assert response.status_code == 429
