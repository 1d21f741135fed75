"""Issue 14 (2, 4): what a warm page costs beyond the bare page. The person's Podero link comes with the
user in one query (accounts.backends), card HTML this process drew is not read from the cache again
(dashboard.cards), a home is noted as seen at most once per SEEN_EVERY_S per process, and the periodic
jobs split into chunks small enough for every worker to take a share."""

from __future__ import annotations

import importlib
import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import ModelBackend
from accounts.models import PoderoLink
from accounts.services import household_access
from dashboard import cards
from devices import tasks
from devices.services import activity
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


class Recording:
    """The cache, with every call of the named methods noted (the rest passes through)."""

    def __init__(self, real: Any, *names: str) -> None:
        self._real, self._names, self.calls = real, names, []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if name not in self._names:
            return attr

        def noted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args))
            return attr(*args, **kwargs)

        return noted


def test_a_warm_page_loads_the_link_with_the_person(home):
    home.client.get(reverse("dashboard:home"))
    with CaptureQueriesContext(connection) as queries:
        assert home.client.get(reverse("dashboard:home")).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any(s.lstrip().startswith("SELECT") and 'FROM "accounts_poderolink"' in s for s in sql), sql
    assert len(sql) == 2, sql  # the session, and the person joined with their link: as the bare page


def test_a_link_made_after_the_person_was_loaded_is_still_found(django_user_model, settings):
    user = django_user_model.objects.create_user(email="late@example.com", password=PASSWORD)
    loaded = ModelBackend().get_user(user.pk)  # joined: no link yet
    assert household_access(loaded) is None
    PoderoLink.objects.create(user=user, org_id=settings.PODERO_ORG_ID,
                              podero_user_id="33333333-3333-4333-8333-333333333333")
    access = household_access(loaded)
    assert access is not None and str(access.link.podero_user_id) == "33333333-3333-4333-8333-333333333333"


def test_sessions_of_the_stock_backends_stay_signed_in(homeowner):
    migration = importlib.import_module("accounts.migrations.0009_sessions_use_link_joining_backends")
    store = SessionStore()
    store.update({SESSION_KEY: str(homeowner.pk), HASH_SESSION_KEY: homeowner.get_session_auth_hash(),
                  BACKEND_SESSION_KEY: "allauth.account.auth_backends.AuthenticationBackend"})
    store.create()
    browser = Client()
    browser.cookies["sessionid"] = store.session_key
    assert browser.get(reverse("dashboard:home")).status_code == 302  # a path no longer in the settings
    from django.apps import apps

    migration.forwards(apps, SimpleNamespace(connection=connection))
    assert SessionStore(store.session_key).load()[BACKEND_SESSION_KEY] == "accounts.backends.AuthenticationBackend"
    assert browser.get(reverse("dashboard:home")).status_code == 200
    migration.backwards(apps, SimpleNamespace(connection=connection))
    assert SessionStore(store.session_key).load()[BACKEND_SESSION_KEY] == (
        "allauth.account.auth_backends.AuthenticationBackend")


def test_a_warm_page_reads_no_card_from_the_shared_cache(home, monkeypatch):
    home.client.get(reverse("dashboard:home"))
    shared = Recording(cards.cache, "get_many", "get")
    monkeypatch.setattr(cards, "cache", shared)
    rendered: list[Any] = []
    real = cards.render_to_string
    monkeypatch.setattr(cards, "render_to_string", lambda *a, **kw: rendered.append(1) or real(*a, **kw))
    html = home.client.get(reverse("dashboard:home")).content.decode()
    assert shared.calls == [] and rendered == [] and f'/devices/heat-pump/{home.hp["id"]}' in html
    cards.forget_drawn()  # another web process: reads what this one drew from the shared cache, draws nothing
    again = home.client.get(reverse("dashboard:home")).content.decode()
    assert [name for name, _ in shared.calls] == ["get_many"] and rendered == []
    assert again.count('class="card card--') == html.count('class="card card--') == 3


def test_a_home_is_noted_once_per_interval_per_process(homeowner, monkeypatch):
    from django.core.cache.backends import locmem

    shared = Recording(activity.cache, "set", "set_and_zadd", "zadd")
    monkeypatch.setattr(activity, "cache", shared)
    link = homeowner.podero
    activity.dashboard_seen(link=link)
    writes = len(shared.calls)
    assert writes >= 1 and [ids.user for ids in activity.active_dashboards()] == [str(link.podero_user_id)]
    activity.dashboard_seen(link=link)  # another tab, a reload, its poll: nothing more to write
    assert len(shared.calls) == writes
    now = time.time()
    monkeypatch.setattr(locmem.time, "time", lambda: now + activity.SEEN_EVERY_S + 1)
    activity.dashboard_seen(link=link)
    assert len(shared.calls) == 2 * writes
    assert activity.SEEN_EVERY_S + 30 < activity.ACTIVE_FOR  # a tab polling every 30 s stays open


def test_the_jobs_split_into_more_chunks_than_worker_slots(django_user_model, fake_podero, monkeypatch, settings):
    """60 homeowners: three chunks, where the old chunk of 200 made one task that a single slot worked
    through while every other worker waited (bench/scale.py: 4 workers no faster than 2)."""
    for n in range(60):
        user = django_user_model.objects.create_user(email=f"chunk{n}@example.com", password=PASSWORD)
        PoderoLink.objects.create(user=user, org_id=settings.PODERO_ORG_ID,
                                  podero_user_id=f"00000000-0000-4000-8000-{n:012d}")
    enqueued: list[list[int]] = []
    monkeypatch.setattr(tasks.snapshot_chunk, "delay", lambda ids: enqueued.append(list(ids)))
    monkeypatch.setattr(tasks.notify_attention_chunk, "delay", lambda ids: enqueued.append(list(ids)))
    assert tasks.snapshot_consumption() == 3 and tasks.notify_attention() == 3
    assert sorted(len(chunk) for chunk in enqueued) == [10, 10, 25, 25, 25, 25]
