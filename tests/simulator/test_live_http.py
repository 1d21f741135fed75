"""The simulator over real HTTP (pytest-django's live_server thread), as the product's client meets it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from simulator import clock, faults, stats
from simulator.demo import DemoInfo, ensure_demo

from .conftest import NOON


@pytest.fixture
def live(live_server, transactional_db) -> Iterator[tuple[str, DemoInfo]]:
    with clock.frozen(NOON):
        info = ensure_demo()
        stats.reset()
        yield live_server.url + "/simulator", info


def _token(base: str, info: DemoInfo) -> dict[str, str]:
    resp = requests.post(
        base + "/oauth2/token/",
        json={"grant_type": "client_credentials"},
        auth=(info.client_id, info.client_secret),
        timeout=5,
    )
    resp.raise_for_status()
    return {"Authorization": "Bearer " + resp.json()["access_token"]}


def test_token_list_boost_and_counting_over_http(live) -> None:
    base, info = live
    headers = _token(base, info)
    user = f"{base}/api/partners/v2.0/org/{info.org_id}/users/{info.user_id}"
    evs = requests.get(user + "/electric-vehicles", headers=headers, timeout=5)
    assert evs.status_code == 200 and evs.headers["Content-Type"] == "application/json"
    tesla = next(e for e in evs.json() if e["id"] == info.ev_id)
    assert tesla["boost_state"] == "available"
    assert stats.count(method="GET", path_contains="/electric-vehicles") == 1
    assert stats.count(kind="token") == 1

    assert (
        requests.post(f"{user}/electric-vehicles/{info.ev_id}/boost", headers=headers, timeout=5).status_code
        == 204
    )
    clock.advance(timedelta(seconds=5))  # the live server thread sees the same frozen clock
    tesla = requests.get(f"{user}/electric-vehicles/{info.ev_id}", headers=headers, timeout=5).json()
    assert tesla["boost_state"] == "ongoing"
    snapshot = requests.get(base + "/_sim/stats", timeout=5).json()
    assert snapshot["by_path"]["POST /org/{org}/users/{user}/electric-vehicles/{device}/boost"] == 1


def test_timeout_fault_trips_a_client_read_timeout(live) -> None:
    base, info = live
    headers = _token(base, info)
    faults.configure(timeout_count=1, timeout_s=1.0)
    with pytest.raises(requests.Timeout):
        requests.get(f"{base}/api/partners/v2.0/org/{info.org_id}/users", headers=headers, timeout=0.2)
    faults.reset()  # wakes the sleeping server thread
    assert requests.get(f"{base}/api/partners/v2.0/org/{info.org_id}/users", headers=headers, timeout=5).ok
