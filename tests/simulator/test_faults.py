"""Fault injection: latency, 5xx, timeouts, 429, expired tokens, malformed bodies; rate, count, path."""

from __future__ import annotations

import json
import threading
import time

import pytest

from simulator import faults

from .conftest import ROOT, Api, World, basic

pytestmark = pytest.mark.django_db


def _list(api: Api, world: World, kind: str = "heat-pumps"):
    return api.get(api.user_path(world.anna) + f"/{kind}")


def test_latency_is_added(world: World, api: Api) -> None:
    faults.configure(latency_ms=60)
    started = time.perf_counter()
    assert _list(api, world).status_code == 200
    assert time.perf_counter() - started >= 0.06


def test_error_count_cycles_through_the_5xx_statuses_then_stops(world: World, api: Api) -> None:
    faults.configure(error_count=4)
    statuses = [_list(api, world).status_code for _ in range(5)]
    assert statuses == [500, 502, 503, 504, 200]


def test_error_status_can_be_fixed_and_body_is_json(world: World, api: Api) -> None:
    with faults.injected(error_count=1, error_status=503):
        resp = _list(api, world)
        assert (resp.status_code, resp.json()) == (503, {"detail": "Service Unavailable"})
    assert faults.current()["error_count"] == 0


def test_rate_draws_are_seeded_and_repeatable(world: World, api: Api) -> None:
    def run() -> list[int]:
        faults.reset()
        faults.configure(error_rate=0.5, error_status=500, seed=7)
        return [_list(api, world).status_code for _ in range(12)]

    first = run()
    assert first == run()
    assert {200, 500} == set(first)


def test_timeout_sleeps_then_answers(world: World, api: Api) -> None:
    faults.configure(timeout_count=1, timeout_s=0.15)
    started = time.perf_counter()
    assert _list(api, world).status_code == 200
    assert time.perf_counter() - started >= 0.15
    started = time.perf_counter()
    _list(api, world)
    assert time.perf_counter() - started < 0.15


def test_reset_interrupts_a_fault_sleep() -> None:
    faults.configure(timeout_count=1, timeout_s=10)
    done = threading.Event()
    thread = threading.Thread(target=lambda: (faults.sleep(10), done.set()))
    started = time.perf_counter()
    thread.start()
    time.sleep(0.05)
    faults.reset()
    thread.join(2)
    assert done.is_set() and time.perf_counter() - started < 2


def test_rate_limit_answers_429_with_retry_after(world: World, api: Api) -> None:
    faults.configure(rate_limit_count=1, retry_after=3)
    resp = _list(api, world)
    assert resp.status_code == 429 and resp["Retry-After"] == "3"
    assert _list(api, world).status_code == 200


def test_expired_token_is_refused_once_per_token(world: World, api: Api) -> None:
    faults.configure(expired_token_rate=1.0)
    first = _list(api, world)
    assert first.status_code == 401 and first["WWW-Authenticate"] == "Bearer"
    api.fetch_token()  # the client renews ...
    assert _list(api, world).status_code == 401  # ... every new token is refused once
    assert _list(api, world).status_code == 200


def test_malformed_truncated_is_a_broken_200(world: World, api: Api) -> None:
    faults.configure(malformed="truncated", malformed_count=1)
    resp = _list(api, world)
    assert resp.status_code == 200 and resp["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        json.loads(resp.content)
    assert isinstance(_list(api, world).json(), list)


def test_malformed_wrong_types(world: World, api: Api) -> None:
    faults.configure(malformed="wrong_types", malformed_count=1)
    [bad] = _list(api, world, "electric-vehicles").json()
    assert bad["battery_level"] in ("42", None)
    assert bad["is_plugged_in"] in ("yes", None)
    assert bad["boost_state"] in ("mystery_value", None)
    assert bad["id"] == str(world.ev.id)


def test_path_filter_narrows_faults(world: World, api: Api) -> None:
    faults.configure(error_rate=1.0, path=r"/electric-vehicles")
    assert _list(api, world, "heat-pumps").status_code == 200
    assert _list(api, world, "electric-vehicles").status_code >= 500


def test_token_endpoint_is_spared_unless_targeted(world: World, api: Api, client) -> None:
    def token_status() -> int:
        return client.post(
            ROOT + "/oauth2/token/",
            {"grant_type": "client_credentials"},
            content_type="application/json",
            headers={"Authorization": basic("client-a", "secret-a")},
        ).status_code

    faults.configure(error_rate=1.0)
    assert token_status() == 200
    faults.configure(path=r"oauth2/token")
    assert token_status() >= 500


def test_control_endpoints_are_never_faulted(world: World, api: Api, client) -> None:
    faults.configure(error_rate=1.0, path=r".*")
    assert client.get(ROOT + "/_sim/stats").status_code == 200


def test_faults_over_the_control_endpoint(world: World, api: Api, client) -> None:
    resp = client.post(
        ROOT + "/_sim/faults", {"error_count": 1, "error_status": 502}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["error_count"] == 1
    assert _list(api, world).status_code == 502
    assert client.get(ROOT + "/_sim/faults").json()["error_count"] == 0
    assert (
        client.post(ROOT + "/_sim/faults", {"bogus": 1}, content_type="application/json").status_code == 400
    )
    client.post(ROOT + "/_sim/faults", {"reset": True, "latency_ms": 5}, content_type="application/json")
    assert faults.current()["latency_ms"] == 5 and faults.current()["error_status"] is None


def test_configure_rejects_unknown_names_and_modes() -> None:
    with pytest.raises(TypeError):
        faults.configure(explode=True)
    with pytest.raises(ValueError):
        faults.configure(malformed="garbled")
