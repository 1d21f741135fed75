"""Issue 14 (5): one upstream budget for all processes, homeowners first, fail open without its store."""

from __future__ import annotations

import logging

import pytest

from devices import budget, podero
from tests.hardening.hostile import Hostile

UID = "11111111-1111-4111-8111-111111111111"


@pytest.fixture
def upstream(settings):
    with Hostile() as server:
        settings.PODERO_BASE_URL = server.url
        settings.PODERO_MAX_RPS = 5
        settings.REDIS_URL = ""  # the in-process store (the Redis one is the same library)
        budget.reset()
        podero.reset_client()
        yield server
        podero.reset_client()
        budget.reset()


def calls_in_any_second(times: list[float], window: float = 0.75) -> int:
    """Most arrivals in any `window` seconds. The budget admits at most N per second; arrivals at the fake
    server lag their admission by a few (on a busy machine: tens of) milliseconds, so a window a little
    under a second is what the budget guarantees at arrival too. Without it, all 12 arrive within 0.1 s."""
    return max((sum(1 for u in times if t <= u < t + window) for t in times), default=0)


def lists() -> list:
    return podero.get_client().list_devices(user_id=UID, kind="heat-pumps")


def test_homeowner_calls_never_pass_the_budget(upstream):
    for _ in range(12):
        lists()  # each waits for its slot
    assert upstream.requests == 12
    assert calls_in_any_second(upstream.times) <= 5


def test_background_work_uses_its_share_and_skips_when_it_is_full(upstream, monkeypatch):
    monkeypatch.setattr(budget, "BACKGROUND_WAIT_S", 0)  # skip at once rather than wait for a slot
    share = int(5 * budget.BACKGROUND_SHARE)
    skipped = 0
    with budget.background():
        for _ in range(share + 3):
            try:
                lists()
            except podero.PoderoBudgetExhausted:
                skipped += 1
    assert upstream.requests == share and skipped == 3
    assert budget.skipped_last_hour() == skipped
    lists()  # a homeowner still gets through: the background share leaves room


def test_a_store_that_cannot_be_reached_fails_open_with_one_line(upstream, settings, caplog):
    from tests.hardening.conftest import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    budget.reset()
    caplog.set_level(logging.WARNING, logger="devices.budget")
    for _ in range(3):
        lists()
    assert upstream.requests == 3
    assert [r.getMessage() for r in caplog.records].count("budget_store_unavailable fail_open") == 1
