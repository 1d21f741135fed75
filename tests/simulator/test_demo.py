"""Demo data: fixed ids, idempotent, resettable; and the `_sim` control endpoints that drive it."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from simulator import clock, demo
from simulator.demo import ensure_demo
from simulator.models import AccessToken, Cue, Device, OAuthClient, Organization, PoderoUser

from .conftest import NOON, ROOT, Api

pytestmark = pytest.mark.django_db


def _state() -> list:
    rows = [
        (
            str(d.id),
            d.kind,
            json.dumps(d.attrs, sort_keys=True),
            json.dumps(d.facts, sort_keys=True),
            d.is_authenticated,
            d.updated_at,
        )
        for d in Device.objects.order_by("id")
    ]
    counts = [m.objects.count() for m in (Organization, OAuthClient, PoderoUser, Device, Cue)]
    return [rows, counts]


@pytest.fixture
def demo_api(db, client, frozen) -> tuple[demo.DemoInfo, Api]:
    info = ensure_demo()
    helper = Api(http=client, org=info.org_id, client_id=info.client_id, client_secret=info.client_secret)
    helper.fetch_token()
    return info, helper


def test_ensure_demo_twice_changes_nothing(db) -> None:
    first = ensure_demo()
    before = _state()
    clock.freeze(NOON)
    assert ensure_demo() == first
    assert _state() == before
    assert first.org_id == settings.PODERO_ORG_ID and first.client_id == settings.PODERO_CLIENT_ID
    assert first.user_id == "497f6eca-6276-4993-bfeb-53cbbbba6f08" and first.email == "anna@example.com"
    assert len(set(first.device_ids)) == 4


def test_demo_devices_match_the_story(demo_api) -> None:
    info, api = demo_api
    user = api.user_path(info.user_id)
    [hp] = api.get(user + "/heat-pumps").json()
    evs = {e["id"]: e for e in api.get(user + "/electric-vehicles").json()}
    [inverter] = api.get(user + "/inverters").json()
    assert (hp["device_model"]["manufacturer"], hp["device_model"]["model"]) == ("Nibe", "S2125-8")
    assert hp["is_smart_optimization_active"] is True and hp["current_mode"] in ("min", "low", "mid", "max")
    tesla, vw = evs[info.ev_id], evs[info.second_ev_id]
    assert (
        tesla["device_model"]["model"],
        tesla["is_plugged_in"],
        tesla["battery_level"],
        tesla["boost_state"],
    ) == ("Model 3", True, 42, "available")
    assert (
        tesla["is_charge_policy_enabled"],
        tesla["minimum_charge_limit"],
        tesla["charge_deadline_at"],
    ) == (True, 80, "07:00")
    assert (vw["device_model"]["model"], vw["is_plugged_in"], vw["battery_level"]) == ("ID.4", False, 68)
    assert (inverter["device_model"]["model"], inverter["battery_capacity_kwh"]) == (
        "Symo GEN24 10.0 Plus",
        10.0,
    )
    assert hp["owner"]["external_id"] == "CUST-1001"


def test_reset_restores_demo_state(demo_api, client) -> None:
    info, api = demo_api
    tesla = api.device_path(Device.objects.get(pk=info.ev_id))
    api.post(tesla + "/boost")
    assert client.post(f"{ROOT}/_sim/devices/{info.ev_id}/reauth").status_code == 200
    assert (
        client.post(
            f"{ROOT}/_sim/devices/{info.second_ev_id}/plug",
            {"plugged_in": True},
            content_type="application/json",
        ).status_code
        == 200
    )
    changed = api.get(tesla).json()
    assert changed["boost_state"] == "requested" and changed["action_needed"] is True
    resp = client.post(ROOT + "/_sim/reset-demo")
    assert resp.status_code == 200 and resp.json()["ev_id"] == info.ev_id
    restored = api.get(tesla).json()
    assert (restored["boost_state"], restored["action_needed"], restored["is_authenticated"]) == (
        "available",
        False,
        True,
    )
    vw = api.get(api.device_path(Device.objects.get(pk=info.second_ev_id))).json()
    assert vw["is_plugged_in"] is False
    assert AccessToken.objects.exists()  # a reset keeps clients logged in


def test_control_clock_and_stale(demo_api, client) -> None:
    info, api = demo_api
    resp = client.post(
        ROOT + "/_sim/clock", {"frozen_at": "2025-01-01T12:00:00Z"}, content_type="application/json"
    )
    assert resp.json() == {"now": "2025-01-01T12:00:00Z", "frozen": True}
    assert client.post(ROOT + "/_sim/clock", {"advance_s": 60}, content_type="application/json").json()[
        "now"
    ] == ("2025-01-01T12:01:00Z")
    client.post(
        f"{ROOT}/_sim/devices/{info.heat_pump_id}/stale", {"hours": 3}, content_type="application/json"
    )
    assert api.get(api.user_path(info.user_id) + "/heat-pumps").json()[0]["connection_status"] == "warning"
    assert (
        client.post(
            f"{ROOT}/_sim/devices/{info.heat_pump_id}/plug",
            {"plugged_in": True},
            content_type="application/json",
        ).status_code
        == 404
    )  # not an EV
    assert (
        client.post(ROOT + "/_sim/clock", {"frozen_at": None}, content_type="application/json").json()[
            "frozen"
        ]
        is False
    )
