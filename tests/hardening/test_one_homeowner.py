"""Item 9: one homeowner must not degrade everyone. The boost poll costs at most one upstream GET per
device per window however many tabs poll, and a 429 pauses only the homeowner it came from, unless
several homeowners are limited at once (then it is Podero's org-wide limit and everything pauses)."""

from __future__ import annotations

import threading
import time

import pytest
from django.test import Client
from django.urls import reverse

from devices import podero, services

from .hostile import Hostile

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def gets(fake, device_id):
    return [c for c in fake.calls if c[0] == "get_device" and c[-1] == device_id]


def test_100_polls_cost_one_get_per_window(home, monkeypatch):
    poll = reverse("dashboard:ev-boost-poll", args=[home.ev["id"]])
    home.client.get(reverse("dashboard:home"))
    start = time.time()
    clock = {"now": start}
    monkeypatch.setattr(time, "time", lambda: clock["now"])
    for i in range(100):  # 100 polls in 3 s
        clock["now"] = start + i * 0.03
        assert home.client.get(poll, **HTMX).status_code in (200, 286)
    # t = 0 .. 2.97 s: one GET in the first 2.5 s window, one more after it
    assert len(gets(home.fake, home.ev["id"])) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_polls_share_one_get(home):
    home.client.get(reverse("dashboard:home"))
    poll = reverse("dashboard:ev-boost-poll", args=[home.ev["id"]])
    session = home.client.cookies
    results: list[int] = []

    def one() -> None:
        from django.db import connection

        try:
            c = Client()
            c.cookies = session
            results.append(c.get(poll, **HTMX).status_code)
        finally:
            connection.close()  # each thread's own connection, so the test database can be dropped

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 20 and set(results) <= {200, 286}
    assert len(gets(home.fake, home.ev["id"])) == 1


def test_a_write_makes_the_next_poll_read_afresh(home):
    poll = reverse("dashboard:ev-boost-poll", args=[home.ev["id"]])
    home.client.get(poll, **HTMX)
    before = len(gets(home.fake, home.ev["id"]))
    home.client.post(reverse("dashboard:ev-boost", args=[home.ev["id"]]), **HTMX)
    home.client.get(poll, **HTMX)
    assert len(gets(home.fake, home.ev["id"])) >= before + 2  # the write's own re-read, then the poll's


USERS = [f"{i}{i}{i}{i}{i}{i}{i}{i}-{i}{i}{i}{i}-4{i}{i}{i}-8{i}{i}{i}-{str(i) * 12}" for i in range(1, 7)]


@pytest.fixture
def limited(settings):
    with Hostile() as server:
        settings.PODERO_BASE_URL = server.url
        podero.reset_client()
        yield server
        podero.reset_client()


def lists(user):
    return podero.get_client().list_devices(user_id=user, kind="heat-pumps")


def test_a_429_pauses_only_that_homeowner(limited):
    limited.rate_limited_users = {USERS[0]}
    with pytest.raises(podero.PoderoRateLimited):
        lists(USERS[0])
    sent = limited.requests
    with pytest.raises(podero.PoderoCircuitOpen) as paused:
        lists(USERS[0])  # paused for its Retry-After, without a call
    assert paused.value.rate_limited and limited.requests == sent
    assert services.describe_failure(paused.value) == "Podero is busy; we'll try again in a moment."
    assert lists(USERS[1]) == [limited.device]  # everyone else carries on


def test_several_homeowners_limited_at_once_is_org_wide(limited):
    limited.rate_limited_users = set(USERS[:podero.ORG_WIDE_SCOPES])
    for user in USERS[:podero.ORG_WIDE_SCOPES]:
        with pytest.raises(podero.PoderoRateLimited):
            lists(user)
    with pytest.raises(podero.PoderoCircuitOpen) as paused:
        lists(USERS[5])
    assert paused.value.rate_limited
    assert podero.get_client().breaker.state()["state"] == "open"
