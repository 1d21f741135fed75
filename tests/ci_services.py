"""What a test does when a service it needs is not here: on a developer's machine it is skipped with
the reason; under CI=true it FAILS, so a run that silently skipped its Redis, Celery, browser,
PostgreSQL or compose tests can never pass as green. `make services` (scripts/ensure-services.sh)
provides all of them; `.ci/run` sets CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any, NoReturn

import pytest

CHROMIUM = "/usr/bin/chromium"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing(service: str, reason: str) -> NoReturn:
    """Skip this test, or fail it under CI=true, because `service` is not available."""
    message = f"{service} is not available: {reason}"
    if in_ci():
        pytest.fail(f"CI=true and {message}. CI must provide it (make services, i.e. "
                    "scripts/ensure-services.sh); a missing service is a failure there, not a skip.",
                    pytrace=False)
    pytest.skip(f"{message} (make services provides it)")


def require_redis(url: str, *, service: str = "Redis") -> None:
    """A Redis server answers PING at `url` (the cache, or the Celery broker with service="Celery broker")."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        missing(service, f"no answer at {url} ({type(exc).__name__})")
    finally:
        client.close()


def require_redis_server() -> str:
    """The redis-server binary (tests that start and kill a Redis of their own)."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server", "the binary is not installed")
    return binary


def require_chromium() -> None:
    """Debian's Chromium and Playwright's Python API (the browser tests)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        missing("Playwright", f"cannot import playwright.sync_api ({exc})")
    if not os.access(CHROMIUM, os.X_OK):
        missing("Chromium", f"{CHROMIUM} is not installed")


def require_postgres(reason: str) -> None:
    """The test database is PostgreSQL (make test sets DATABASE_URL to it)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        missing("PostgreSQL", f"the tests run on {connection.vendor}; {reason}")


def compose_command() -> list[str]:
    """docker-compose (Debian's package) or the docker CLI's compose plugin."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True,
                                                 timeout=30).returncode == 0:
        return ["docker", "compose"]
    missing("docker-compose", "neither docker-compose nor `docker compose` is installed")


# --- The safety net: whatever skipped a service-marked test, under CI=true it is a failure -----------
SERVICE_MARKERS = ("redis", "celery", "browser")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Registered by tests/conftest.py. A test marked redis, celery or browser that was skipped for
    any reason (a helper above, or a skip added later) fails the run under CI=true."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail"):
        return
    marks = [name for name in SERVICE_MARKERS if item.get_closest_marker(name) is not None]
    if marks:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"CI=true and this {'/'.join(marks)} test was skipped ({reason}). CI must provide "
                           "the service (make services); a missing service is a failure there, not a skip.")
