"""Device list/detail/update/register (fact sheet §3.1–§3.4, §7, §8 #5–#8, #24) and the ownership checks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from simulator import factories

from .conftest import Api, World

pytestmark = pytest.mark.django_db

INT, FLOAT, NUM, STR, BOOL, DT, UUID, OBJ, LIST = (
    "int",
    "float",
    "number",
    "str",
    "bool",
    "datetime",
    "uuid",
    "obj",
    "list",
)
STATUS = ("ok", "warning", "error", "unknown")

# Every field of §3.1 (plus action_needed / has_unread_notifications) → (type, nullable).
COMMON: dict[str, tuple[Any, bool]] = {
    "id": (UUID, False),
    "connection_status": (STATUS, False),
    "monitoring_status": (STATUS, False),
    "steering_status": (STATUS, False),
    "device_model": (OBJ, False),
    "owner": (OBJ, False),
    "created_at": (DT, False),
    "updated_at": (DT, False),
    "price_zone": (STR, False),
    "building": (UUID, True),
    "deleted_at": (DT, True),
    "lifecycle_state": (STR, False),
    "lifecycle_error": (STR, True),
    "pause_power_until": (DT, True),
    "is_pause_power_active": (BOOL, False),
    "external_device_id": (STR, False),
    "is_authenticated": (BOOL, False),
    "is_smart_optimization_active": (BOOL, False),
    "optimization_score": (NUM, True),
    "current_mode": (("min", "low", "mid", "max"), True),
    "comment": (STR, True),
    "current_state_last_updated_at": (DT, False),
    "last_monitoring_executed_at": (DT, False),
    "is_inverter_forced_mode_enabled": (BOOL, False),
    "is_inverter_forced_mode_active": (BOOL, False),
    "inverter_forced_mode_since": (DT, False),
    "is_forecasting_enabled": (BOOL, False),
    "is_trading_enabled": (BOOL, False),
    "actual_steering_state": (STR, False),
    "embeddable_url": (STR, True),
    "authorization_url": (STR, True),
    "action_needed": (BOOL, False),
    "has_unread_notifications": (BOOL, False),
    "actions": (LIST, False),
    # legacy per-device energy totals the dashboard wants (emitted for every kind)
    "consumption_last_day_kwh": (NUM, False),
    "consumption_last_week_kwh": (NUM, False),
    "consumption_last_month_kwh": (NUM, False),
    "consumption_last_updated_at": (DT, False),
}
HEAT_PUMP = {
    "optimization_level": (("Low", "Mid", "Max"), False),
    "current_power_consumption_w": (INT, False),
    "outdoor_temperature": (NUM, False),
    "indoor_actual_temperature": (NUM, True),
    "indoor_target_temperature": (NUM, True),
    "indoor_target_temperature_offset": (NUM, False),
    "inlet_temperature": (NUM, False),
    "outlet_temperature": (NUM, False),
    "dhw_temperature": (NUM, False),
    "dhw_standard_temperature": (NUM, False),
    "is_hot_water_heating_enabled": (BOOL, False),
    "is_space_heating_enabled": (BOOL, False),
    "is_pool_heating_enabled": (BOOL, False),
    "is_space_cooling_enabled": (BOOL, False),
    "is_heating_policy_enabled": (BOOL, False),
    "heating_policy_name": (STR, True),
    "maximum_temperature_limit": (NUM, False),
    "minimum_temperature_limit": (NUM, False),
    "minimum_dhw_temperature_limit": (NUM, False),
    "is_away_mode_enabled": (BOOL, False),
    "away_mode_start": (DT, True),
    "away_mode_end": (DT, True),
    "away_mode_minimum_temperature_limit": (NUM, False),
}
ELECTRIC_VEHICLE = {
    "is_plugged_in": (BOOL, False),
    "is_charging": (BOOL, False),
    "is_fully_charged": (BOOL, False),
    "charge_rate_w": (INT, False),
    "battery_level": (INT, False),
    "battery_capacity_kwh": (NUM, False),
    "driving_range": (INT, False),
    "boost_state": (("available", "requested", "ongoing", "unavailable"), False),
    "boost_for_next_session": (BOOL, False),
    "charge_target_min": (INT, False),
    "charge_target_max": (INT, True),
    "is_charge_policy_enabled": (BOOL, False),
    "minimum_charge_limit": (INT, False),
    "charge_deadline_at": ("hhmm", False),
    "charge_policy_last_updated_at": (DT, True),
    "is_over_charge_allowed": (BOOL, False),
    "hems_min_export_to_start_w": (INT, False),
    "hems_max_import_before_stopping_w": (INT, False),
}
INVERTER = {
    "current_solar_production_w": (INT, False),
    "household_consumption_w": (INT, False),
    "solar_surplus_w": (INT, False),
    "current_power_to_grid_w": (INT, False),
    "battery_charge_discharge_power_w": (INT, False),
    "battery_charge_level_percent": (INT, True),
    "solar_power_rating_kw": (NUM, False),
    "is_battery_connected": (BOOL, False),
    "battery_capacity_kwh": (NUM, True),
    "min_battery_charge": (NUM, False),
    "max_battery_charge": (NUM, False),
}
TABLES = {"heat-pumps": HEAT_PUMP, "electric-vehicles": ELECTRIC_VEHICLE, "inverters": INVERTER}


def _is(value: Any, kind: Any) -> bool:
    if isinstance(kind, tuple):
        return value in kind
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in (FLOAT, NUM):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == STR:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == DT:
        return (
            isinstance(value, str)
            and value.endswith("Z")
            and datetime.fromisoformat(value.replace("Z", "+00:00")) is not None
        )
    if kind == UUID:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    if kind == "hhmm":
        return isinstance(value, str) and len(value) == 5 and value[2] == ":"
    return isinstance(value, dict if kind == OBJ else list)


def _assert_table(payload: dict[str, Any], table: dict[str, tuple[Any, bool]]) -> None:
    for field, (kind, nullable) in table.items():
        assert field in payload, field
        value = payload[field]
        assert (value is None and nullable) or _is(value, kind), f"{field}={value!r} is not {kind}"


def _devices_of(world: World) -> dict[str, Any]:
    return {"heat-pumps": world.hp, "electric-vehicles": world.ev, "inverters": world.inverter}


@pytest.mark.parametrize("kind", TABLES)
def test_list_is_a_bare_array_with_every_documented_field(world: World, api: Api, kind: str) -> None:
    resp = api.get(api.user_path(world.anna) + f"/{kind}")
    assert resp.status_code == 200
    body = resp.json()
    assert isinstance(body, list) and len(body) == 1
    _assert_table(body[0], COMMON)
    _assert_table(body[0], TABLES[kind])
    model = body[0]["device_model"]
    assert set(model) == {
        "device_type",
        "manufacturer",
        "model",
        "year",
        "cloud_service",
        "cloud_service_instructions",
        "cloud_service_signup_link",
    }
    assert set(model["device_type"]) == {"short_name", "long_name"}
    assert body[0]["owner"] == {
        "id": str(world.anna.id),
        "email": "anna@example.com",
        "first_name": "Anna",
        "last_name": "Huber",
        "external_id": "CUST-1001",
    }
    assert body[0]["inverter_forced_mode_since"] == "0001-01-01T00:00:00Z"


@pytest.mark.parametrize("kind", TABLES)
def test_detail_equals_the_list_item(world: World, api: Api, kind: str) -> None:
    device = _devices_of(world)[kind]
    detail = api.get(api.device_path(device))
    assert detail.status_code == 200
    assert detail.json() == api.get(api.user_path(world.anna) + f"/{kind}").json()[0]
    assert detail.json()["id"] == str(device.id)


def test_put_is_a_partial_update_returning_the_full_object(world: World, api: Api) -> None:
    path = api.device_path(world.hp)
    resp = api.put(
        path, {"optimization_level": "Max", "comment": "cellar", "building_id": str(uuid.UUID(int=7))}
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["optimization_level"] == "Max" and body["comment"] == "cellar"
    assert body["building"] == str(uuid.UUID(int=7))
    assert body["maximum_temperature_limit"] == 23.5  # untouched
    _assert_table(body, HEAT_PUMP)
    assert api.get(path).json()["optimization_level"] == "Max"


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("heat-pumps", "current_power_consumption_w", 5),
        ("electric-vehicles", "battery_level", 90),
        ("electric-vehicles", "boost_state", "ongoing"),
        ("inverters", "solar_surplus_w", 1),
        ("heat-pumps", "colour", "red"),
        ("inverters", "id", str(uuid.uuid4())),
    ],
)
def test_put_unknown_or_read_only_field_is_400(
    world: World, api: Api, kind: str, field: str, value: Any
) -> None:
    resp = api.put(api.device_path(_devices_of(world)[kind]), {field: value})
    assert resp.status_code == 400
    [error] = resp.json()["detail"]
    assert error["type"] == "extra_forbidden" and error["loc"] == ["body", field] and error["msg"]


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("inverters", {"min_battery_charge": 150}, "min_battery_charge"),
        ("inverters", {"min_battery_charge": 95}, "min_battery_charge"),  # above max_battery_charge 90
        ("electric-vehicles", {"minimum_charge_limit": 101}, "minimum_charge_limit"),
        ("electric-vehicles", {"charge_target_min": -1}, "charge_target_min"),
        ("electric-vehicles", {"charge_deadline_at": "25:99"}, "charge_deadline_at"),
        ("heat-pumps", {"optimization_level": "Turbo"}, "optimization_level"),
        (
            "heat-pumps",
            {"minimum_temperature_limit": 24.0},
            "minimum_temperature_limit",
        ),  # above the max 23.5
        ("heat-pumps", {"is_smart_optimization_active": "yes"}, "is_smart_optimization_active"),
        ("heat-pumps", {"price_zone": "MARS"}, "price_zone"),
    ],
)
def test_put_enum_or_range_violation_is_422(
    world: World, api: Api, kind: str, body: dict[str, Any], field: str
) -> None:
    resp = api.put(api.device_path(_devices_of(world)[kind]), body)
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert detail[0]["loc"] == ["body", field] and detail[0]["type"] and detail[0]["msg"]


def test_put_broken_json_is_400(world: World, api: Api) -> None:
    resp = api.http.put(
        api.url(api.device_path(world.hp)),
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert resp.status_code == 400


def test_post_registers_a_device_that_reports_after_five_minutes(world: World, api: Api) -> None:
    path = api.user_path(world.ben) + "/heat-pumps"
    resp = api.post(
        path, {"device_model": {"manufacturer": "Daikin", "model": "Altherma 3"}, "price_zone": "DE_LU"}
    )
    assert resp.status_code == 200
    created = resp.json()
    _assert_table(created, HEAT_PUMP)
    assert created["device_model"]["manufacturer"] == "Daikin" and created["price_zone"] == "DE_LU"
    assert created["connection_status"] == "unknown" and created["current_state_last_updated_at"] is None
    assert [d["id"] for d in api.get(path).json()] == [created["id"]]
    from simulator import clock

    clock.advance(minutes=5)
    assert api.get(f"{path}/{created['id']}").json()["connection_status"] == "ok"


def test_soft_delete_by_put_hides_the_device(world: World, api: Api) -> None:
    path = api.device_path(world.inverter)
    resp = api.put(path, {"deleted_at": "2025-06-14T09:00:00Z"})
    assert resp.status_code == 200 and resp.json()["deleted_at"] == "2025-06-14T09:00:00Z"
    assert api.get(path).status_code == 404
    assert api.get(api.user_path(world.anna) + "/inverters").json() == []
    listed = api.get(api.user_path(world.anna) + "/inverters", include_deleted="true").json()
    assert [d["lifecycle_state"] for d in listed] == ["deleted"]
    assert api.get(path, include_deleted="true").status_code == 200


def test_not_yours_or_not_there_is_always_the_same_404(world: World, api: Api) -> None:
    anna, ev = api.user_path(world.anna), world.ev
    paths = [
        f"/org/{world.other_org.id}/users/{world.stranger.id}/electric-vehicles",  # another org
        f"/org/{world.other_org.id}/users/{world.stranger.id}/electric-vehicles/{world.stranger_ev.id}",
        f"{api.user_path(world.ben)}/electric-vehicles/{ev.id}",  # another user's device
        f"{anna}/electric-vehicles/{uuid.uuid4()}",  # unknown id
        f"{anna}/heat-pumps/{ev.id}",  # right id, wrong kind
        f"/org/{api.org}/users/{uuid.uuid4()}/inverters",  # unknown user
        f"{anna}/electric-vehicles/{world.stranger_ev.id}",
    ]
    for path in paths:
        resp = api.get(path)
        assert (resp.status_code, resp.json()) == (404, {"detail": "Not Found"}), path
    assert api.post(f"{api.user_path(world.ben)}/electric-vehicles/{ev.id}/boost").status_code == 404
    assert (
        api.put(f"{api.user_path(world.ben)}/electric-vehicles/{ev.id}", {"comment": "x"}).status_code == 404
    )


def test_statuses_follow_auth_freshness_and_first_data(world: World, api: Api) -> None:
    assert api.get(api.device_path(world.hp)).json()["connection_status"] == "ok"
    factories.make_stale(world.hp, hours=2)
    stale = api.get(api.device_path(world.hp)).json()
    assert (stale["connection_status"], stale["monitoring_status"], stale["steering_status"]) == (
        "warning",
    ) * 3
    assert stale["current_state_last_updated_at"] == "2025-06-14T08:00:00Z"
    factories.require_reauth(world.hp)
    assert api.get(api.device_path(world.hp)).json()["connection_status"] == "error"
    fresh = factories.create_inverter(world.anna, first_data_at=None)
    assert api.get(api.device_path(fresh)).json()["connection_status"] == "unknown"


def test_method_not_allowed_is_json_405(world: World, api: Api) -> None:
    resp = api.delete(api.device_path(world.hp))
    assert resp.status_code == 405
    assert resp.json() == {"detail": "Method not allowed"}
