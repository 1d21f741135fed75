"""The cards stay fresh: htmx polling and Refresh swap only the cards; outages show last-known data, never a 500."""

from __future__ import annotations

import pytest

from devices import podero, services
from tests import payloads

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def dashboard(client, homeowner, fake_podero):
    fake_podero.add(homeowner.podero.podero_user_id, "electric-vehicles", payloads.electric_vehicle(battery_level=64))
    client.force_login(homeowner)
    return client


def test_full_page_has_polling_refresh_and_indicator(dashboard):
    response = dashboard.get("/")
    html = response.content.decode()
    assert "<html" in html and 'id="device-cards"' in html
    assert 'hx-trigger="every 30s, tab-visible" data-pause-when-hidden' in html
    assert '<script src="/static/js/dashboard.js" defer></script>' in html
    # Refresh: a plain link without JS, an htmx GET that swaps only the cards with it
    assert '<a class="button button--secondary" id="refresh-button" href="/?refresh=1"' in html
    assert 'hx-get="/?refresh=1" hx-target="#device-cards" hx-swap="outerHTML"' in html
    assert 'class="htmx-indicator loading"' in html
    assert '<p class="freshness" role="status">' in html and "Updated <time" in html
    assert "HX-Request" in response["Vary"]


def test_htmx_request_gets_only_the_cards(dashboard):
    response = dashboard.get("/", headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="device-cards"')
    assert "<html" not in html and "site-header" not in html and "refresh-button" not in html
    assert "64\u00a0%" in html
    assert "HX-Request" in response["Vary"]


def test_refresh_forces_a_new_fetch_but_is_rate_limited(dashboard, fake_podero, monkeypatch):
    dashboard.get("/")
    calls = len(fake_podero.list_calls("list_devices"))
    dashboard.get("/?refresh=1", headers=HTMX)  # younger than MIN_FORCE_INTERVAL: served from the cache
    assert len(fake_podero.list_calls("list_devices")) == calls
    monkeypatch.setattr(services.reads, "MIN_FORCE_INTERVAL", 0)
    response = dashboard.get("/?refresh=1", headers=HTMX)
    assert len(fake_podero.list_calls("list_devices")) == calls + 3  # one per kind
    assert response.content.decode().lstrip().startswith('<div id="device-cards"')


def test_refresh_without_javascript_renders_the_full_page(dashboard):
    response = dashboard.get("/?refresh=1")
    assert response.status_code == 200 and "<html" in response.content.decode()


def test_outage_after_a_good_load_shows_last_data_marked_stale(dashboard, homeowner, fake_podero):
    dashboard.get("/")
    fake_podero.fail_with = podero.PoderoUnavailable("down")
    services.invalidate(link=homeowner.podero)  # the next read must ask Podero
    for headers in ({}, HTMX):
        response = dashboard.get("/", headers=headers)
        html = response.content.decode().replace("\u00a0", " ")
        assert response.status_code == 200
        assert "Podero is not reachable" in html
        assert "Last updated <time" in html and "</time> — Podero is not reachable." in html
        assert "64 %" in html  # the last-known card is still there


def test_first_visit_while_podero_is_down_says_so_clearly(client, homeowner, fake_podero):
    fake_podero.fail_with = podero.PoderoUnavailable("down")
    client.force_login(homeowner)
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "We could not load your devices." in html and "Podero is not reachable." in html
    assert "Your devices will appear as soon as Podero answers." in html
    assert "No devices connected yet" not in html  # not the empty state: we just don't know


def test_one_kind_failing_is_named_while_the_others_show(client, homeowner, fake_podero, monkeypatch):
    uid = homeowner.podero.podero_user_id
    fake_podero.add(uid, "heat-pumps", payloads.heat_pump())
    real = fake_podero.list_devices

    def flaky(*, user_id, kind, org_id=None):
        if kind == "inverters":
            raise podero.PoderoTimeout("slow")
        return real(user_id=user_id, kind=kind, org_id=org_id)

    monkeypatch.setattr(fake_podero, "list_devices", flaky)
    client.force_login(homeowner)
    html = client.get("/").content.decode()
    assert "Some of your devices could not be loaded: Podero is not reachable." in html
    assert "Nibe S2125-8" in html


def test_expired_session_htmx_poll_gets_hx_redirect(client):
    response = client.get("/", headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/login/?next=/")


def test_anonymous_full_page_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _set_next_sync(link, seconds_from_now: float) -> None:
    import time

    from django.core.cache import cache

    ids = services.Ids.of(link)
    for kind in podero.KINDS:
        entry = services.read_entry(ids.key(kind))
        cache.set(ids.key(kind), {**entry, "next_sync_at": time.time() + seconds_from_now}, services.KEEP_FOR)


@pytest.mark.parametrize(("next_sync_in", "fetches"), [(3, 0), (-1, 3)])
def test_warming_waits_for_the_sync_instead_of_fetching_just_before_it(dashboard, homeowner, fake_podero,
                                                                      next_sync_in, fetches):
    from tests.resilience.helpers import age_entries

    dashboard.get("/")
    age_entries(homeowner.podero, 26)  # past the warming threshold (25 s), inside the 30 s window
    _set_next_sync(homeowner.podero, next_sync_in)
    before = len(fake_podero.list_calls("list_devices"))
    services.device_overview(link=homeowner.podero, refresh_older_than=25)
    assert len(fake_podero.list_calls("list_devices")) - before == fetches
