"""One token for all processes (shared through the real Redis), renewed before expiry, one renewal at a
time; every upstream call logged and counted, never with the token or the client secret."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as dj_settings

from dashboard.logging import KeyValueFormatter
from devices import podero

pytestmark = pytest.mark.redis


def _new_client() -> podero.PoderoClient:
    """A second client, as another web or worker process would have (its own session, same cache)."""
    return podero.PoderoClient(base_url=dj_settings.PODERO_BASE_URL, org_id=dj_settings.PODERO_ORG_ID,
                               client_id=dj_settings.PODERO_CLIENT_ID,
                               client_secret=dj_settings.PODERO_CLIENT_SECRET, timeout=(3.05, 8.0))


def test_twenty_threads_with_an_empty_cache_cause_one_token_request(sim, redis_cache):
    from simulator import stats

    client = podero.get_client()
    barrier = threading.Barrier(20)

    def one(_: int) -> str:
        barrier.wait(timeout=10)
        return client.tokens.get()

    with ThreadPoolExecutor(max_workers=20) as pool:
        tokens = set(pool.map(one, range(20)))
    assert len(tokens) == 1
    assert stats.count(kind="token") == 1
    # another process (its own client, the same Redis) uses that token too
    assert _new_client().tokens.get() in tokens
    assert stats.count(kind="token") == 1


def test_twenty_threads_in_two_processes_worth_of_clients_still_one_request(sim, redis_cache):
    from simulator import stats

    clients = [_new_client() for _ in range(4)]
    barrier = threading.Barrier(20)

    def one(i: int) -> str:
        barrier.wait(timeout=10)
        return clients[i % 4].tokens.get()

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert len(set(pool.map(one, range(20)))) == 1
    assert stats.count(kind="token") == 1


def test_token_is_renewed_once_when_within_the_margin_of_expiry(sim, redis_cache):
    from django.core.cache import cache

    from simulator import stats

    client = podero.get_client()
    first = client.tokens.get()
    entry = cache.get(client.tokens.cache_key)
    assert entry["expires_at"] - time.time() > podero.TOKEN_RENEW_MARGIN_S
    # Four minutes left: inside the five-minute margin.
    near = time.time() + 240
    cache.set(client.tokens.cache_key, {**entry, "expires_at": near, "renew_at": near - podero.TOKEN_RENEW_MARGIN_S},
              240)
    client.tokens._local = None  # as in a process that has not cached it locally
    barrier = threading.Barrier(10)

    def one(_: int) -> str:
        barrier.wait(timeout=10)
        return client.tokens.get()

    with ThreadPoolExecutor(max_workers=10) as pool:
        renewed = set(pool.map(one, range(10)))
    assert len(renewed) == 1 and first not in renewed
    assert stats.count(kind="token") == 2


def test_a_short_lived_token_is_not_renewed_on_every_call(sim, redis_cache):
    """A lifetime below the margin (e.g. 60 s) must not make every call fetch a new token."""
    from simulator import config, stats

    config.configure(token_ttl_s=60)
    try:
        client = podero.get_client()
        client.list_devices(user_id=sim.user_id, kind="heat-pumps")
        client.list_devices(user_id=sim.user_id, kind="inverters")
        _new_client().list_devices(user_id=sim.user_id, kind="electric-vehicles")
        assert stats.count(kind="token") == 1
    finally:
        config.reset()


def test_every_upstream_call_is_logged_and_counted_without_secrets(sim, redis_cache, caplog):
    caplog.set_level(logging.INFO, logger="devices.podero")
    client = podero.get_client()
    client.list_devices(user_id=sim.user_id, kind="heat-pumps")
    client.list_devices(user_id=sim.user_id, kind="inverters")
    token = client.tokens.get()

    records = [r for r in caplog.records if r.getMessage() == "podero_call"]
    assert [(r.method, r.path.rsplit("/", 1)[-1], r.status) for r in records] == [
        ("POST", "", 200), ("GET", "heat-pumps", 200), ("GET", "inverters", 200)]
    assert records[0].path == podero.TOKEN_PATH
    for record in records:
        assert isinstance(record.duration_ms, float) and record.duration_ms >= 0
        line = KeyValueFormatter().format(record)
        assert "msg=podero_call" in line and f"status={record.status}" in line and "duration_ms=" in line
        for secret in (token, dj_settings.PODERO_CLIENT_SECRET, "Bearer"):
            assert secret not in line
            assert all(secret not in str(v) for v in vars(record).values())
    assert podero.local_stats.calls["GET"] == 2 and podero.local_stats.calls["POST"] == 1
    assert podero.metrics_last_hour()["calls"] == 3  # shared per-minute counters in Redis


def test_failed_calls_are_logged_as_warnings_and_counted_as_errors(sim, redis_cache, caplog, monkeypatch):
    from simulator import faults

    monkeypatch.setattr(podero.client, "BACKOFF_BASE_S", 0.01)
    caplog.set_level(logging.INFO, logger="devices.podero")
    faults.configure(error_count=1, error_status=502)
    podero.get_client().list_devices(user_id=sim.user_id, kind="heat-pumps")
    calls = [r for r in caplog.records if r.getMessage() == "podero_call" and r.method == "GET"]
    assert [(r.levelno, r.status, r.attempt) for r in calls] == [(logging.WARNING, 502, 1), (logging.INFO, 200, 2)]
    metrics = podero.metrics_last_hour()
    assert metrics["calls"] == 3 and metrics["errors"] == 1
