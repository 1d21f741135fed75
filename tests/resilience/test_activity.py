"""Who is looking, on the real Redis: every page and poll notes the homeowner in one round trip."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis

from devices.services import activity

pytestmark = pytest.mark.django_db

LINK = SimpleNamespace(org_id="7c3e1c52-4b1e-4f6a-9a51-0d2f6b8e9a10", podero_user_id="11111111-1111-4111-8111-111111111111")


def test_a_poll_notes_the_dashboard_in_one_round_trip(redis_cache, monkeypatch):
    single: list[tuple] = []
    batches: list[int] = []
    real_single, real_batch = redis.Redis.execute_command, redis.client.Pipeline.execute
    monkeypatch.setattr(redis.Redis, "execute_command",
                        lambda self, *a, **k: single.append(a) or real_single(self, *a, **k))
    monkeypatch.setattr(redis.client.Pipeline, "execute",
                        lambda self, *a, **k: batches.append(len(self.command_stack)) or real_batch(self, *a, **k))
    activity.dashboard_seen(link=LINK)
    assert single == [] and batches == [2]  # the admin's marker and the sorted set, together
    monkeypatch.undo()
    assert [(i.org, i.user) for i in activity.active_dashboards()] == [(LINK.org_id, LINK.podero_user_id)]
    assert activity.recently_seen(links=[LINK]) == [LINK]
    from django.core.cache import cache

    marker = cache.make_key(activity.SEEN_KEY.format(org=LINK.org_id, user=LINK.podero_user_id))
    assert 0 < redis_cache.raw.ttl(marker) <= activity.SEEN_FOR  # the marker expires as before
