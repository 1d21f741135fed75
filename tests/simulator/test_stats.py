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


def test_detail_counts_per_second_of_arrival_and_per_user(world: World, api: Api, client) -> None:
    ev_list = api.user_path(world.anna) + "/electric-vehicles"
    api.get(ev_list)
    api.get(ev_list.replace("electric-vehicles", "heat-pumps"))
    api.get(f"/org/{api.org}/users")  # no user in the path: counted per second only
    api.fetch_token()  # token requests are in neither
    detail = client.get(ROOT + "/_sim/stats?detail=1").json()
    assert sum(detail["by_second"].values()) == 3
    assert all(key.isdigit() for key in detail["by_second"])
    assert detail["by_user"] == {str(world.anna.id): 2}
    assert "by_second" not in client.get(ROOT + "/_sim/stats").json()
    stats.reset()
    assert stats.snapshot(detail=True)["by_second"] == {} and stats.snapshot(detail=True)["by_user"] == {}


def test_per_second_counts_keep_a_bounded_window(monkeypatch) -> None:
    monkeypatch.setattr(stats, "KEEP_SECONDS", 3)
    for second in range(10):
        stats.record(method="GET", template="/x", path="/x", status=200, kind="users", arrived_at=second + 0.5)
    assert sorted(int(s) for s in stats.snapshot(detail=True)["by_second"]) == [7, 8, 9]
    stats.reset()
