"""An upstream failure shows last-known data marked stale, never a 500; a first visit gets a clear message."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from devices import podero, services
from devices.podero import KINDS
from tests import payloads

from .helpers import NOT_REACHABLE_NOTICE, age_entries, page_text, refreshes_done, wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(fake_podero, homeowner):
    uid = homeowner.podero.podero_user_id
    hp = fake_podero.add(uid, "heat-pumps", payloads.heat_pump())
    ev = fake_podero.add(uid, "electric-vehicles", payloads.electric_vehicle())
    inv = fake_podero.add(uid, "inverters", payloads.inverter())
    return {"hp": hp, "ev": ev, "inv": inv}


@pytest.fixture
def logged_in(client, homeowner):
    client.force_login(homeowner)
    return client


def _names_shown(text: str) -> bool:
    return all(name in text for name in ("Nibe S2125-8", "Tesla Model 3", "Fronius Symo GEN24 10.0 Plus"))


def test_outage_after_a_first_load_shows_last_known_data_with_its_age(logged_in, seeded, fake_podero, homeowner):
    first = logged_in.get(reverse("dashboard:home"))
    assert first.status_code == 200 and _names_shown(page_text(first))
    assert "not reachable" not in page_text(first)

    fake_podero.fail_with = podero.PoderoUnavailable("connection refused")
    age_entries(homeowner.podero, 10 * 60)
    # Stale data is served at once while the background refresh finds Podero down ...
    during = logged_in.get(reverse("dashboard:home"))
    assert during.status_code == 200 and _names_shown(page_text(during))
    wait_until(lambda: refreshes_done(homeowner.podero))
    # ... and from then on the page says why the data is old, and how old.
    after = logged_in.get(reverse("dashboard:home"))
    text = page_text(after)
    assert after.status_code == 200
    assert _names_shown(text)
    assert NOT_REACHABLE_NOTICE.search(text), text[:600]
    assert re.search(r"Last updated 10 min(ute)?s? ago", text), text[:600]
    # the htmx poll gets the same notice in the partial
    partial = logged_in.get(reverse("dashboard:home"), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and NOT_REACHABLE_NOTICE.search(page_text(partial))


def test_manual_refresh_during_an_outage_keeps_the_data_and_says_so(logged_in, seeded, fake_podero, homeowner):
    logged_in.get(reverse("dashboard:home"))
    fake_podero.fail_with = podero.PoderoTimeout("read timed out")
    age_entries(homeowner.podero, 90)
    response = logged_in.get(reverse("dashboard:home") + "?refresh=1")
    text = page_text(response)
    assert response.status_code == 200 and _names_shown(text)
    assert NOT_REACHABLE_NOTICE.search(text), text[:600]


def test_breaker_open_after_repeated_failures_still_reads_as_not_reachable(logged_in, seeded, fake_podero,
                                                                            homeowner):
    """The circuit breaker pauses calls after an outage; for the homeowner it is still 'not reachable'."""
    logged_in.get(reverse("dashboard:home"))
    fake_podero.fail_with = podero.PoderoCircuitOpen("paused", retry_in=20)
    age_entries(homeowner.podero, 120)
    text = page_text(logged_in.get(reverse("dashboard:home") + "?refresh=1"))
    assert NOT_REACHABLE_NOTICE.search(text), text[:600]


def test_rate_limited_reads_as_busy_not_as_down(logged_in, seeded, fake_podero, homeowner):
    logged_in.get(reverse("dashboard:home"))
    fake_podero.fail_with = podero.PoderoCircuitOpen("429", retry_in=20, rate_limited=True)
    age_entries(homeowner.podero, 120)
    text = page_text(logged_in.get(reverse("dashboard:home") + "?refresh=1"))
    assert "Podero is busy" in text and _names_shown(text)


def test_first_visit_with_podero_down_gets_a_clear_message_not_an_error(logged_in, seeded, fake_podero):
    fake_podero.fail_with = podero.PoderoUnavailable("connection refused")
    response = logged_in.get(reverse("dashboard:home"))
    text = page_text(response)
    assert response.status_code == 200
    assert "We could not load your devices" in text and "Podero is not reachable" in text
    assert "Traceback" not in text and "No devices connected yet" not in text


def test_first_visit_with_unreadable_data_gets_a_clear_message(logged_in, seeded, fake_podero):
    fake_podero.fail_with = podero.PoderoBadResponse("inverters list is not a JSON array")
    response = logged_in.get(reverse("dashboard:home"))
    assert response.status_code == 200
    assert "Podero sent data we could not read" in page_text(response)


def test_the_error_memo_keeps_the_reason_for_waiting_requests(fake_podero, homeowner):
    """A second request within the memo window gets the same sentence, not a generic 'not reachable'."""
    fake_podero.fail_with = podero.PoderoBadResponse("truncated")
    first = services.device_overview(link=homeowner.podero)
    second = services.device_overview(link=homeowner.podero)
    assert first.error == second.error == "Podero sent data we could not read."
    assert len(fake_podero.list_calls("list_devices")) == len(KINDS)  # the memo spared the second round


def test_one_kind_failing_still_shows_the_others(logged_in, seeded, fake_podero, homeowner):
    original = fake_podero.list_devices

    def flaky(*, kind, **kw):
        if kind == "inverters":
            raise podero.PoderoServerError(status=503, method="GET", path="/inverters", body=None)
        return original(kind=kind, **kw)

    fake_podero.list_devices = flaky
    response = logged_in.get(reverse("dashboard:home"))
    text = page_text(response)
    assert response.status_code == 200
    assert "Nibe S2125-8" in text and "Tesla Model 3" in text
    assert "Podero is not reachable" in text
