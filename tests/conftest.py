"""Shared fixtures. Tests run on PostgreSQL when DATABASE_URL points at it (make test does), else SQLite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .ci_services import (
    pytest_runtest_makereport,  # noqa: F401 - the hook: under CI=true no service test skips
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside live_server


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Give every test session its own test database, so two runs on one machine never collide."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    # live_server threads must not keep sessions open past a request: teardown drops the database.
    db["CONN_MAX_AGE"] = 0
    if not db["ENGINE"].endswith("sqlite3"):
        base = db.get("TEST", {}).get("NAME") or f"test_{db['NAME']}"
        db.setdefault("TEST", {})["NAME"] = f"{base}_{os.getpid()}"


def settle_background(timeout: float = 10.0) -> None:
    """Wait for the services' background refresh threads (used when there is no broker) to finish."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name.startswith("background:"):
            thread.join(max(0.0, deadline - time.monotonic()))


ROOT = Path(__file__).resolve().parents[1]
_TRACKED = pytest.StashKey[dict[str, str] | None]()  # what git tracks, hashed when the run starts


def pytest_sessionstart(session: pytest.Session) -> None:
    from .isolation import tracked_snapshot

    session.config.stash[_TRACKED] = tracked_snapshot(ROOT)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that rewrote a tracked file fails, however its tests went (tests write under artifacts/)."""
    from .isolation import changed_files, tracked_snapshot

    before = session.config.stash.get(_TRACKED, None)
    changed = changed_files(before, tracked_snapshot(ROOT)) if before is not None else []
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = ("the test run modified tracked files (tests must write only under artifacts/ or tmp_path; "
                   f"`git diff` shows what changed): {', '.join(changed)}")
        if reporter is not None:
            reporter.write_line(f"\nERROR {message}", red=True, bold=True)
        else:
            print(f"ERROR {message}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def _run_key_prefix() -> None:
    """Every cache key this run writes carries a prefix of its own (tests/isolation.py)."""
    from .isolation import use_run_prefix

    use_run_prefix()


@pytest.fixture(autouse=True)
def _isolated_cache(settings) -> None:
    """Each test starts with an empty cache of its own (allauth keeps rate limits there too), and
    no background refresh of one test reaches into the next. Only this run's keys are deleted, never
    the whole Redis database (with REDIS_URL set, `cache.clear()` would be FLUSHDB)."""
    from .isolation import clear_own_keys

    clear_own_keys()
    _forget_process_copies()
    yield
    settle_background()
    clear_own_keys()
    _forget_process_copies()


def _forget_process_copies() -> None:
    """The per-process copies beside the cache: the cards this process drew, the homes it noted as seen."""
    from dashboard.cards import forget_drawn
    from devices.services.activity import forget_noted

    forget_drawn()
    forget_noted()


@pytest.fixture(autouse=True)
def _language_of_its_own():
    """Each test starts in the default language: a request in German (the test client runs it in this
    thread, and LocaleMiddleware activates per request, never back) must not carry into the next test."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


# --- Personas and the two Podero seams ------------------------------------------------------------
PASSWORD = "correct-horse-battery-42"


@pytest.fixture
def fake_podero(monkeypatch):
    """Replace the process-wide client with the in-memory fake (no HTTP)."""
    from devices import podero

    from .fakes import FakePodero

    fake = FakePodero()
    monkeypatch.setattr(podero, "get_client", lambda: fake)
    return fake


def _make_homeowner(email: str, podero_user_id: str, org_id: str | None = None):
    from accounts.services import homeowner_link

    user, _ = homeowner_link(email=email, podero_user_id=podero_user_id, org_id=org_id, password=PASSWORD,
                             first_name=email.split("@")[0].capitalize())
    return user


@pytest.fixture
def homeowner(db):
    """Persona 1: a linked homeowner (Podero user id below), with a verified email."""
    return _make_homeowner("owner@example.com", "11111111-1111-4111-8111-111111111111")


@pytest.fixture
def other_homeowner(db):
    """Persona 2: another linked homeowner, whose devices persona 1 must never reach."""
    return _make_homeowner("other@example.com", "22222222-2222-4222-8222-222222222222")


@pytest.fixture
def sim(live_server, settings):
    """The simulator over real HTTP (pytest-django's live_server), with the demo org, client, user, devices.

    Yields the simulator's DemoInfo; the process-wide client points at this live server.
    """
    from devices import podero
    from simulator import clock, faults, stats
    from simulator.demo import ensure_demo

    settings.PODERO_BASE_URL = live_server.url + "/simulator"
    podero.reset_client()
    faults.reset()
    stats.reset()
    info = ensure_demo()
    yield info
    faults.reset()
    clock.unfreeze()
    podero.reset_client()


@pytest.fixture
def demo_homeowner(sim):
    """The demo homeowner linked to the simulator's demo Podero user."""
    return _make_homeowner("demo@example.com", sim.user_id, sim.org_id)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (modules with their own `browser` fixture keep theirs)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
