"""Fixtures for issue 9 (hardening): a Redis that is not there, a Redis of our own that we kill."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.test import override_settings

from tests import payloads
from tests.ci_services import require_redis_server
from tests.controls.conftest import Home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cache_config(url: str) -> dict:
    return {"default": {"BACKEND": "dashboard.cache.FallbackRedisCache", "LOCATION": url,
                        "KEY_PREFIX": f"t9-{uuid.uuid4().hex[:10]}",
                        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}}}


@pytest.fixture
def dead_redis() -> Iterator[str]:
    """The production cache backend pointed at a port where nothing listens."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(CACHES=cache_config(url)):
        yield url


@pytest.fixture
def own_redis() -> Iterator[SimpleNamespace]:
    """A redis-server of this test's own on a free port (no persistence), killed at the latest at teardown."""
    binary = require_redis_server()
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("own redis-server did not start")
            time.sleep(0.05)

    def kill() -> None:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)

    url = f"redis://127.0.0.1:{port}/0"
    try:
        with override_settings(CACHES=cache_config(url)):
            yield SimpleNamespace(url=url, port=port, kill=kill)
            from django.core.cache import caches

            caches["default"].close()
    finally:
        kill()


@pytest.fixture
def home(client, fake_podero, homeowner) -> Home:
    uid = homeowner.podero.podero_user_id
    hp = fake_podero.add(uid, "heat-pumps", payloads.heat_pump())
    ev = fake_podero.add(uid, "electric-vehicles", payloads.electric_vehicle())
    inv = fake_podero.add(uid, "inverters", payloads.inverter())
    client.force_login(homeowner)
    return Home(client=client, fake=fake_podero, user=homeowner, hp=hp, ev=ev, inverter=inv)
