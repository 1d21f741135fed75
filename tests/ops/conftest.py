"""Fixtures for issue 6 (partner staff and production): staff personas, a fake Podero that also knows
users, the real Redis as the cache, and a real Celery worker on a queue of the test's own."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings

from tests import ci_services
from tests.celery_worker import reset_publisher, start_worker, stop_worker
from tests.conftest import PASSWORD
from tests.fakes import FakePodero

ROOT = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = os.environ.get("REDIS_OPS_TEST_URL", "redis://127.0.0.1:6379/14")


# --- People ------------------------------------------------------------------------------------
@pytest.fixture
def superuser(db):
    from accounts.models import User

    return User.objects.create_superuser(email="boss@partner.example", password=PASSWORD)


@pytest.fixture
def support_user(db):
    """Partner staff in the "Partner support" group (created by a data migration), nothing else."""
    from django.contrib.auth.models import Group

    from accounts.models import User

    user = User.objects.create_user(email="support@partner.example", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Partner support"))
    return user


# --- A fake Podero that also has users -----------------------------------------------------------
class UserFake(FakePodero):
    def __init__(self) -> None:
        super().__init__()
        from devices import podero

        self.users: dict[str, dict[str, Any]] = {}
        self.create_error: Exception | None = None
        self.breaker = podero.CircuitBreaker()  # the health page reads these two
        self.tokens = SimpleNamespace(expires_at=lambda: None)

    def add_user(self, email: str) -> str:
        uid = str(uuid.uuid4())
        self.users[uid] = {"id": uid, "email": email, "role": "user"}
        return uid

    def get_user(self, *, user_id: str, org_id: str | None = None) -> dict[str, Any]:
        from devices import podero

        self._check("get_user", str(user_id))
        if str(user_id) not in self.users:
            raise podero.PoderoNotFound(status=404, method="GET", path="/users/x", body={"detail": "Not Found"})
        return self.users[str(user_id)]

    def create_user(self, *, email: str, first_name: str = "", last_name: str = "",
                    external_user_id: str | None = None) -> dict[str, Any]:
        self._check("create_user", email, write=True)
        if self.create_error is not None:
            raise self.create_error
        uid = str(uuid.uuid4())
        self.users[uid] = {"id": uid, "email": email, "first_name": first_name, "last_name": last_name,
                           "external_user_id": external_user_id, "role": "user"}
        return self.users[uid]


@pytest.fixture
def podero_fake(monkeypatch) -> UserFake:
    from devices import podero

    fake = UserFake()
    monkeypatch.setattr(podero, "get_client", lambda: fake)
    return fake


# --- The real Redis as the cache ----------------------------------------------------------------------
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)


def require_redis(url: str = REDIS_TEST_URL) -> None:
    ci_services.require_redis(url)  # the cache and the Celery broker of these tests


@pytest.fixture
def redis_cache() -> Iterator[SimpleNamespace]:
    """The default cache becomes the real Redis under a key prefix of this test's own.

    Undone before the autouse cache fixture's teardown (which deletes only keys under the run's own
    prefix, tests/isolation.py); this test's keys are deleted by its prefix here.
    """
    require_redis()
    prefix = f"t6-{uuid.uuid4().hex[:12]}"
    config = {"default": {
        "BACKEND": "dashboard.cache.FallbackRedisCache", "LOCATION": REDIS_TEST_URL, "KEY_PREFIX": prefix,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 2},
    }}
    raw = _redis(REDIS_TEST_URL)
    with override_settings(CACHES=config):
        from django.core.cache import caches

        try:
            yield SimpleNamespace(prefix=prefix, url=REDIS_TEST_URL)
        finally:
            caches["default"].close()
    for key in raw.scan_iter(f"{prefix}:*", count=500):
        raw.delete(key)
    raw.close()


# --- A real Celery worker --------------------------------------------------------------------------
def database_url_for_subprocess() -> str:
    """The URL of the database this test runs on (pytest's test database), for another process."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            ci_services.missing("PostgreSQL", "the worker needs a database it can share: run on PostgreSQL "
                                "(DATABASE_URL), as make test does")
        return f"sqlite:///{name}"
    from urllib.parse import quote

    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


@pytest.fixture
def celery_worker(redis_cache, settings, tmp_path) -> Iterator[SimpleNamespace]:
    """`celery -A dashboard worker --pool=solo` on a queue of this test's own, sharing the test's cache
    prefix and database. Set `worker.env[...]` (e.g. PODERO_BASE_URL) before `worker.start()`;
    send tasks with `worker.run(task, timeout=...)`, which waits until the worker has finished it."""
    from dashboard.celery import app

    queue = f"t6-{uuid.uuid4().hex[:10]}"
    node = f"{queue}@127.0.0.1"
    env = {
        **os.environ,
        "REDIS_URL": redis_cache.url,
        "CELERY_BROKER_URL": REDIS_TEST_URL,
        "DJANGO_CACHE_PREFIX": redis_cache.prefix,
        "DATABASE_URL": database_url_for_subprocess(),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PODERO_SIMULATOR": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
    state = SimpleNamespace(env=env, queue=queue, proc=None, log_path=log_path)
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.broker_url = REDIS_TEST_URL
    app.conf.task_always_eager = False
    reset_publisher()

    def start() -> None:
        state.proc = start_worker(queue=queue, node=node, env=env, log_path=log_path)

    def run(task: Any, *args: Any, timeout: float = 30.0) -> None:
        """Send `task` to our queue and wait until the worker logged it as done (results are ignored)."""
        task_id = task.apply_async(args=args, queue=queue).id
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log_path.read_text(errors="replace")
            if f"[{task_id}] succeeded" in text:
                return
            if f"[{task_id}] raised" in text or state.proc.poll() is not None:
                raise AssertionError(f"{task.name} failed in the worker: {text[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"{task.name} did not finish in {timeout}s: {log_path.read_text(errors='replace')[-2000:]}")

    state.start, state.run = start, run
    try:
        yield state
    finally:
        stop_worker(state.proc, queue=queue, broker_url=REDIS_TEST_URL)
        for k, v in saved.items():
            app.conf[k] = v
        reset_publisher()
