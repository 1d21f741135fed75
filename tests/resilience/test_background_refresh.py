"""Stale-while-revalidate with the real pieces: Redis for the cache, a real Celery worker process for
the refresh, the simulator over HTTP for Podero."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from devices import podero, services
from devices.podero import KINDS

from .helpers import age_entries, wait_until

pytestmark = [pytest.mark.redis, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_stale_key_is_served_at_once_and_refreshed_by_the_worker(sim, live_server, redis_cache, celery_worker):
    from simulator import stats

    celery_worker.env["PODERO_BASE_URL"] = live_server.url + "/simulator"
    celery_worker.start()
    link = SimpleNamespace(org_id=sim.org_id, podero_user_id=sim.user_id)
    ids = services.Ids.of(link)
    assert len(services.device_overview(link=link).devices) == 4  # first load, in this process
    # Old enough that the devices may have synced since (state changes every 5 min at the soonest)
    age_entries(link, services.reads.MIN_SYNC_SPACING_S + 30)
    stats.reset()
    podero.local_stats.reset()

    overview = services.device_overview(link=link)
    # served from the stale entries, without waiting for Podero
    assert overview.error is None and len(overview.devices) == 4
    assert all(r.age_s >= services.FRESH_FOR for r in overview.kinds.values())

    def refreshed() -> bool:
        entries = [services.read_entry(ids.key(kind)) for kind in KINDS]
        return all(e and time.time() - e["fetched_at"] < services.FRESH_FOR for e in entries)

    wait_until(refreshed, timeout=20, interval=0.1)
    for kind in KINDS:
        assert stats.count(method="GET", path_contains="/" + kind) == 1, stats.snapshot()
    assert stats.count(kind="token") == 0  # the worker used the token this process put in Redis
    assert podero.local_stats.calls["total"] == 0  # ... and the calls were the worker's, not this process's
    wait_until(lambda: all(redis_cache.raw.get(f"{redis_cache.prefix}:1:{ids.key(k)}:refreshing") is None
                           for k in KINDS), timeout=5)

    # fresh afterwards: the next page is served from the cache with no call at all
    after = services.device_overview(link=link)
    assert all(r.age_s < services.FRESH_FOR and r.error is None for r in after.kinds.values())
    assert stats.count(method="GET") == len(KINDS)
