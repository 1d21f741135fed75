"""Fixtures for issue 3 (fresh, fast and calm toward Podero): the real Redis, a real Celery worker,
a slowed-down fake client and a fresh process-wide Podero client around every test."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import override_settings

from tests.celery_worker import reset_publisher, start_worker, stop_worker
from tests.ci_services import require_redis
from tests.fakes import FakePodero

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
BROKER_TEST_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parents[2]
HOMEOWNER_ID = "11111111-1111-4111-8111-111111111111"  # tests.conftest `homeowner`


def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)


def _require_redis(url: str, service: str = "Redis") -> None:
    require_redis(url, service=service)  # skipped without it on a developer's machine, failed under CI=true


@pytest.fixture(autouse=True)
def _fresh_podero_client() -> Iterator[None]:
    """Every test starts with a new process-wide client and empty in-process counters."""
    from devices import podero

    podero.reset_client()
    podero.local_stats.reset()
    yield
    podero.reset_client()


@pytest.fixture
def redis_cache() -> Iterator[SimpleNamespace]:
    """The default cache is the REAL Redis (db 15) under a key prefix of this test's own.

    `override_settings` fires `setting_changed`, which makes Django rebuild its cache handler, so the
    `django.core.cache.cache` proxy (and every thread's connection) now resolves to django-redis.
    The override is undone in this fixture's teardown, before the top-level autouse fixture clears
    the default cache (which only ever deletes keys under its own prefix, tests/isolation.py); this
    test's keys are deleted by its prefix here.
    """
    _require_redis(REDIS_TEST_URL)
    prefix = f"t3-{uuid.uuid4().hex[:12]}"
    config = {
        "default": {
            "BACKEND": "dashboard.cache.FallbackRedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 2},
        }
    }
    raw = _redis_client(REDIS_TEST_URL)
    with override_settings(CACHES=config):
        from django.core.cache import caches

        assert type(caches["default"]).__name__ == "FallbackRedisCache", "the cache handler was not reset"
        try:
            yield SimpleNamespace(prefix=prefix, url=REDIS_TEST_URL, raw=raw, keys=lambda: _keys(raw, prefix))
        finally:
            from django.core.cache import caches

            caches["default"].close()
    for key in raw.scan_iter(f"{prefix}:*", count=500):
        raw.delete(key)
    raw.close()


def _keys(raw, prefix: str) -> list[str]:
    return sorted(k.decode().split(":", 2)[2] for k in raw.scan_iter(f"{prefix}:*", count=500))


class SlowFake(FakePodero):
    """FakePodero whose reads take `delay` seconds, counting concurrent list calls thread-safely."""

    def __init__(self, delay: float = 0.2) -> None:
        super().__init__()
        self.delay = delay
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def list_devices(self, **kw):
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            return super().list_devices(**kw)
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture
def slow_podero(monkeypatch) -> SlowFake:
    from devices import podero

    fake = SlowFake()
    monkeypatch.setattr(podero, "get_client", lambda: fake)
    return fake


@pytest.fixture
def link():
    """A Podero link object without a database row (the services only read org_id and podero_user_id)."""
    from django.conf import settings

    return SimpleNamespace(org_id=settings.PODERO_ORG_ID, podero_user_id=HOMEOWNER_ID)


# --- A real Celery worker -----------------------------------------------------------------------
@pytest.fixture
def celery_worker(redis_cache, settings, tmp_path, monkeypatch) -> Iterator[SimpleNamespace]:
    """Start `celery -A dashboard worker` on a queue of this test's own, sharing the test's cache prefix.

    The test process publishes to the same broker (Redis db 14) and routes refresh_device_list to the
    queue; everything is restored afterwards. The worker gets PODERO_BASE_URL from the test (set
    `worker.env["PODERO_BASE_URL"]` before calling `worker.start()`).
    """
    _require_redis(BROKER_TEST_URL, "Celery broker (Redis)")
    from dashboard.celery import app
    from devices.tasks import refresh_device_list

    queue = f"t3-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "REDIS_URL": redis_cache.url,
        "CELERY_BROKER_URL": BROKER_TEST_URL,
        "DJANGO_CACHE_PREFIX": redis_cache.prefix,
        # Django setup needs a database; the worker never queries it (cache + HTTP only).
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "PODERO_SIMULATOR": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
    state = SimpleNamespace(env=env, queue=queue, proc=None, log_path=log_path)

    saved_conf = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    task = refresh_device_list._get_current_object()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.broker_url = BROKER_TEST_URL
    app.conf.task_always_eager = False
    reset_publisher()
    monkeypatch.setattr(task, "queue", queue, raising=False)
    monkeypatch.setattr(task, "_exec_options", None)

    def start() -> None:
        state.proc = start_worker(queue=queue, node=f"{queue}@127.0.0.1", env=env, log_path=log_path)

    state.start = start
    try:
        yield state
    finally:
        stop_worker(state.proc, queue=queue, broker_url=BROKER_TEST_URL)
        for k, v in saved_conf.items():
            app.conf[k] = v
        reset_publisher()
        task._exec_options = None  # monkeypatch restores `queue`; the option cache must not keep it
