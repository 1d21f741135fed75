"""Call counting: what tests and the benchmark use to assert "exactly one upstream call"."""

from __future__ import annotations

import pytest

from simulator import stats

from .conftest import ROOT, Api, World

pytestmark = pytest.mark.django_db


def test_counts_by_method_template_status_and_token(world: World, api: Api, client) -> None:
    ev_list = api.user_path(world.anna) + "/electric-vehicles"
    api.get(ev_list)
    api.get(ev_list)
    api.post(api.device_path(world.ev) + "/boost")
    api.get(api.device_path(world.ev).replace(str(world.ev.id), str(world.hp.id)))  # 404
    api.fetch_token()
    assert stats.count() == 4
    assert stats.count(method="GET", path_contains="/electric-vehicles") == 3
    assert stats.count(method="POST", path_contains="/boost") == 1
    assert stats.count(kind="token") == 1 and stats.count(kind="all") == 5
    assert stats.count(kind="electric-vehicles", status=404) == 1
    snap = stats.snapshot()
    assert snap["by_path"]["GET /org/{org}/users/{user}/electric-vehicles"] == 2
    assert snap["by_path"]["POST /org/{org}/users/{user}/electric-vehicles/{device}/boost"] == 1
    assert snap["by_status"] == {"200": 2, "204": 1, "404": 1}
    assert snap["token_requests"] == 1 and snap["total"] == 4
    assert client.get(ROOT + "/_sim/stats").json() == snap  # control endpoints are not counted
    assert client.post(ROOT + "/_sim/stats/reset").json()["total"] == 0
    assert stats.count(kind="all") == 0


def test_reset_clears_everything(world: World, api: Api) -> None:
    api.get(f"/org/{api.org}/users")
    stats.reset()
    assert stats.snapshot()["total"] == 0 and stats.count() == 0
