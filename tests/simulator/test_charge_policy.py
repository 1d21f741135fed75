"""Weekly charge policy (fact sheet §4.3, §8 #19–#21)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .conftest import Api, World

pytestmark = pytest.mark.django_db
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
POLICY = {
    **{d: {"charge_percentage": 80, "charge_deadline": "07:00"} for d in ("mon", "tue", "wed", "thu")},
    "fri": {"charge_percentage": 60, "charge_deadline": "07:30"},
    "sat": {"charge_percentage": 50, "charge_deadline": "10:00"},
    "sun": {"charge_percentage": 90, "charge_deadline": "18:00"},
    "timezone": "Europe/Vienna",
}


def _path(api: Api, world: World) -> str:
    return api.device_path(world.ev) + "/charge-policy"


def test_get_returns_metadata_and_seven_days(world: World, api: Api) -> None:
    resp = api.get(_path(api, world))
    assert resp.status_code == 200
    body = resp.json()
    assert body["metadata"] == {
        "electric_vehicle_id": str(world.ev.id),
        "user_id": str(world.anna.id),
        "error": None,
    }
    assert set(body["data"]) == {*DAYS, "timezone"}
    assert body["data"]["mon"] == {"charge_percentage": 80, "charge_deadline": "07:00"}
    assert body["data"]["timezone"] == "Europe/Vienna"


def test_put_replaces_the_policy_and_returns_the_get_shape(world: World, api: Api) -> None:
    resp = api.put(_path(api, world), POLICY)
    assert resp.status_code == 200
    assert resp.json()["data"] == POLICY
    assert api.get(_path(api, world)).json() == resp.json()
    assert (
        api.get(api.device_path(world.ev)).json()["charge_policy_last_updated_at"] == "2025-06-14T10:00:00Z"
    )


def _with(day: str, **change: Any) -> dict[str, Any]:
    body = copy.deepcopy(POLICY)
    body[day].update(change)
    return body


@pytest.mark.parametrize(
    "body",
    [
        _with("mon", charge_percentage=101),
        _with("tue", charge_percentage=-1),
        _with("wed", charge_percentage="80"),
        _with("thu", charge_percentage=80.5),
        _with("fri", charge_deadline="7:00"),
        _with("sat", charge_deadline="24:00"),
        _with("sun", charge_deadline="07:00:00"),
        {**POLICY, "timezone": "Mars/Olympus_Mons"},
        {k: v for k, v in POLICY.items() if k != "wed"},
        {k: v for k, v in POLICY.items() if k != "timezone"},
    ],
)
def test_put_invalid_policy_is_422(world: World, api: Api, body: dict[str, Any]) -> None:
    resp = api.put(_path(api, world), body)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"][0] == "body"
    assert api.get(_path(api, world)).json()["data"]["mon"]["charge_percentage"] == 80  # unchanged


def test_put_with_unknown_key_is_400(world: World, api: Api) -> None:
    assert api.put(_path(api, world), {**POLICY, "holiday": {}}).status_code == 400


def test_ev_daily_fields_fill_every_weekday(world: World, api: Api) -> None:
    api.put(_path(api, world), POLICY)
    resp = api.put(
        api.device_path(world.ev),
        {"is_charge_policy_enabled": True, "minimum_charge_limit": 70, "charge_deadline_at": "06:30"},
    )
    assert resp.status_code == 200
    data = api.get(_path(api, world)).json()["data"]
    assert all(data[d] == {"charge_percentage": 70, "charge_deadline": "06:30"} for d in DAYS)


@pytest.mark.parametrize(
    ("sent", "emitted"), [("06:45", "06:45"), ("06:45:30", "06:45"), ("2023-11-07T05:31:56Z", "06:31")]
)  # Vienna is UTC+1 in November
def test_charge_deadline_at_accepts_time_or_datetime_and_emits_hh_mm(
    world: World, api: Api, sent: str, emitted: str
) -> None:
    resp = api.put(api.device_path(world.ev), {"charge_deadline_at": sent})
    assert resp.status_code == 200
    assert resp.json()["charge_deadline_at"] == emitted
