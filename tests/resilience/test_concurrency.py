"""One upstream GET per (org, user, kind), however many requests find the key missing or stale.

These run against the REAL Redis (the lock is a cache `add`, which locmem would make trivially true
inside one process)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from devices import services
from devices.podero import KINDS
from tests import payloads

pytestmark = pytest.mark.redis

N_REQUESTS = 50


def _stampede(link, n: int = N_REQUESTS, **kw) -> list[services.DeviceOverview]:
    """n threads released at once by a barrier, each asking for the overview."""
    barrier = threading.Barrier(n)

    def one(_: int) -> services.DeviceOverview:
        barrier.wait(timeout=10)
        return services.device_overview(link=link, **kw)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _seed(fake, user_id: str) -> None:
    fake.add(user_id, "heat-pumps", payloads.heat_pump())
    fake.add(user_id, "electric-vehicles", payloads.electric_vehicle())
    fake.add(user_id, "inverters", payloads.inverter())


def _list_calls(fake) -> Counter[str]:
    return Counter(call[1] for call in fake.list_calls("list_devices"))


def test_fifty_concurrent_cold_requests_make_one_call_per_kind_fast_fake(redis_cache, fake_podero, link):
    _seed(fake_podero, link.podero_user_id)
    results = _stampede(link)
    assert _list_calls(fake_podero) == {kind: 1 for kind in KINDS}
    assert all(len(r.devices) == 3 and r.error is None for r in results)


def test_fifty_concurrent_cold_requests_make_one_call_per_kind_slow_fake(redis_cache, slow_podero, link):
    slow_podero.delay = 0.3
    _seed(slow_podero, link.podero_user_id)
    results = _stampede(link)
    assert _list_calls(slow_podero) == {kind: 1 for kind in KINDS}
    assert all(len(r.devices) == 3 and r.error is None for r in results)
    # the three kinds were fetched side by side (parallel fan-out), not one after another
    assert slow_podero.max_in_flight == 3


def test_fifty_concurrent_requests_on_a_stale_key_enqueue_one_refresh(redis_cache, slow_podero, link, monkeypatch):
    """Stale entries are served at once; the refresh is scheduled once per kind, not once per request."""
    _seed(slow_podero, link.podero_user_id)
    services.device_overview(link=link)
    ids = services.Ids.of(link)
    for kind in KINDS:
        entry = services.read_entry(ids.key(kind))
        redis_cache_entry = {**entry, "fetched_at": time.time() - services.FRESH_FOR - 5, "next_sync_at": None}
        from django.core.cache import cache

        cache.set(ids.key(kind), redis_cache_entry, services.KEEP_FOR)
    scheduled: list[tuple[str, ...]] = []
    monkeypatch.setattr("devices.tasks.refresh_device_list.delay", lambda *a: scheduled.append(a))
    monkeypatch.setattr("django.conf.settings.CELERY_TASK_ALWAYS_EAGER", False)
    slow_podero.calls.clear()
    results = _stampede(link)
    assert slow_podero.calls == []  # nobody waited for Podero
    assert all(len(r.devices) == 3 and r.error is None for r in results)
    assert sorted(a[2] for a in scheduled) == sorted(KINDS)


def test_forced_refresh_from_many_tabs_does_not_multiply_calls(redis_cache, slow_podero, link):
    slow_podero.delay = 0.1
    _seed(slow_podero, link.podero_user_id)
    services.device_overview(link=link)
    assert len(slow_podero.list_calls("list_devices")) == 3
    # Within MIN_FORCE_INTERVAL of the last fetch, Refresh serves the cache.
    _stampede(link, n=10, force=True)
    assert len(slow_podero.list_calls("list_devices")) == 3
    # Older than that: ten tabs pressing Refresh together cause one call per kind.
    ids = services.Ids.of(link)
    from django.core.cache import cache

    for kind in KINDS:
        entry = services.read_entry(ids.key(kind))
        cache.set(ids.key(kind), {**entry, "fetched_at": time.time() - services.MIN_FORCE_INTERVAL - 1},
                  services.KEEP_FOR)
    _stampede(link, n=10, force=True)
    assert _list_calls(slow_podero) == {kind: 2 for kind in KINDS}


def test_cold_overview_waits_for_the_slowest_kind_not_the_sum(redis_cache, slow_podero, link):
    """Parallel fan-out, measured structurally (never by wall clock): all three GETs overlap."""
    slow_podero.delay = 0.2
    _seed(slow_podero, link.podero_user_id)
    services.device_overview(link=link)
    assert slow_podero.max_in_flight == 3


def test_the_lock_is_a_real_redis_key_and_the_data_lands_in_redis(redis_cache, fake_podero, link):
    _seed(fake_podero, link.podero_user_id)
    services.device_overview(link=link)
    ids = services.Ids.of(link)
    stored = redis_cache.keys()
    for kind in KINDS:
        assert any(k == ids.key(kind) for k in stored), stored
    assert not any(k.endswith(":lock") for k in stored)  # every lock was released


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_cold_requests_reach_the_simulator_once_per_kind(sim, redis_cache):
    """The same over real HTTP, counted by the simulator itself."""
    from types import SimpleNamespace

    from simulator import faults, stats

    faults.configure(latency_ms=150)  # a realistic upstream: the stampede overlaps the first call
    link = SimpleNamespace(org_id=sim.org_id, podero_user_id=sim.user_id)
    results = _stampede(link)
    for kind in KINDS:
        assert stats.count(method="GET", path_contains="/" + kind) == 1, stats.snapshot()
    assert stats.count(kind="token") == 1
    assert all(r.error is None and len(r.devices) == 4 for r in results)
