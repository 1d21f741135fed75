"""Each freshness threshold just inside and just outside its limit, with fixed ages written here (never
computed from the constant under test, so a wrong constant fails):

* a device list is fresh for 30 s: at 29 s it is served with no upstream call, at 31 s it is served at
  once and refreshed in the background;
* a device whose state is over an hour old warns: at 59 min no warning, at 61 min the card says so.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from devices import services
from tests import payloads
from tests.conftest import settle_background

pytestmark = pytest.mark.django_db
KINDS = ("heat-pumps", "electric-vehicles", "inverters")


def _list_calls(fake, kind: str) -> int:
    return len([c for c in fake.calls if c == ("list_devices", kind)])


def _refreshing(link) -> list[str]:
    from django.core.cache import cache

    ids = services.Ids.of(link)
    return [kind for kind in KINDS if cache.get(ids.key(kind) + ":refreshing") is not None]


@pytest.mark.parametrize(("age_s", "fresh"), [(29, True), (31, False)])
def test_a_device_list_is_fresh_for_30_seconds(homeowner, fake_podero, monkeypatch, age_s, fresh):
    link = homeowner.podero
    # The heat pump last synced 10 minutes ago: a newer sync may exist at any moment, so plain 30 s
    # freshness applies (the empty lists have no device to time, so they follow it too).
    synced = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    fake_podero.add(link.podero_user_id, "heat-pumps",
                    payloads.heat_pump(current_state_last_updated_at=synced))
    loaded = services.device_overview(link=link)
    assert [_list_calls(fake_podero, kind) for kind in KINDS] == [1, 1, 1]
    fetched_at = loaded.kinds["heat-pumps"].fetched_at

    monkeypatch.setattr(time, "time", lambda: fetched_at + age_s)
    overview = services.device_overview(link=link)
    assert overview.kinds["heat-pumps"].fetched_at == fetched_at  # served from the cache, at once
    assert overview.error is None and len(overview.devices) == 1
    settle_background()
    calls = [_list_calls(fake_podero, kind) for kind in KINDS]
    if fresh:
        assert calls == [1, 1, 1], f"a list {age_s} s old is fresh: no upstream call"
        assert _refreshing(link) == []
    else:
        assert calls == [2, 2, 2], f"a list {age_s} s old is refreshed in the background"
        refreshed = services.device_overview(link=link)
        assert refreshed.kinds["heat-pumps"].fetched_at == fetched_at + age_s


def _card(client, homeowner, fake_podero, minutes: int) -> str:
    synced = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
    fake_podero.add(homeowner.podero.podero_user_id, "heat-pumps",
                    payloads.heat_pump(current_state_last_updated_at=synced))
    client.force_login(homeowner)
    html = client.get("/").content.decode()
    start = html.index('<article class="card card--heat_pump')
    return html[start:html.index("</article>", start)]


def test_state_59_minutes_old_does_not_warn(client, homeowner, fake_podero):
    card = _card(client, homeowner, fake_podero, 59)
    assert "card--stale" not in card and "may be out of date" not in card


def test_state_61_minutes_old_warns(client, homeowner, fake_podero):
    card = _card(client, homeowner, fake_podero, 61)
    assert "card--stale" in card
    assert "This heat pump last reported" in card and "Its readings may be out of date." in card
