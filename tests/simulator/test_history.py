"""History endpoints: /data, /savings, /statistics, EV sessions (fact sheet §2.1–2.2, addendum §1a)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from simulator import clock, factories, faults, history, services

from .conftest import Api, World

pytestmark = pytest.mark.django_db

DAY_LO, DAY_HI = "2025-06-13T00:00:00Z", "2025-06-14T00:00:00Z"
# The addendum's example payloads, reduced to their field sets.
STATISTICS_ITEM_KEYS = {
    "resolution",
    "period",
    "savings",
    "consumption",
    "heat_pump",
    "electric_vehicle",
    "inverter",
}
KIND_OBJECT_KEYS = {
    "heat_pump": {"estimated_consumption_wh"},
    "electric_vehicle": {"estimated_consumption_wh", "charge_session_count", "average_charge_power_w"},
    "inverter": {"solar_production_wh", "grid_export_wh"},
}
SESSION_KEYS = {
    "id",
    "plug_in_time",
    "unplug_time",
    "inferred_session_end",
    "desired_charging_start_time",
    "desired_charging_end_time",
    "charge_deadline",
    "target_soc_pct",
    "initial_soc_pct",
    "final_soc_pct",
    "energy_charged_kwh",
    "avg_charge_power_kw",
    "peak_charge_power_kw",
    "actual_cost_eur",
    "expected_savings_eur",
    "actual_savings_eur",
    "is_at_home",
    "session_outcome",
}
POINT_KEYS = {
    "heat_pump": {
        "time",
        "price",
        "inlet_temp_act",
        "hot_water_temp",
        "estimated_consumption",
        "simulated_consumption",
        "unoptimized_consumption",
        "estimated_consumption_filtered",
    },
    "electric_vehicle": {
        "time",
        "price",
        "battery_level",
        "is_charging",
        "is_plugged_in",
        "is_at_optimized_location",
        "estimated_consumption",
        "unoptimized_consumption",
    },
    "inverter": {
        "time",
        "export_power_to_grid_w",
        "battery_charge_level_percent",
        "battery_charge_discharge_power_w",
        "household_consumption_w",
        "solar_production_w",
        "price",
        "estimated_consumption",
        "unoptimized_consumption",
    },
}


def _devices(world: World):
    return (world.hp, world.ev, world.inverter)


def _data(api: Api, device, headers: dict[str, str] | None = None, **params):
    return api.http.get(
        api.url(api.device_path(device) + "/data"), params, headers={**api._headers(), **(headers or {})}
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- /data ------------------------------------------------------------------------------------
@pytest.mark.parametrize("index", range(3))
def test_data_has_one_point_per_hour_with_every_documented_field(world: World, api: Api, index: int) -> None:
    device = _devices(world)[index]
    resp = _data(api, device, from_datetime=DAY_LO, to_datetime=DAY_HI, resolution="1HOUR")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert set(body) == {"metadata", "data"}
    assert len(body["data"]) == 24
    assert [p["time"] for p in body["data"][:2]] == ["2025-06-13T00:00:00Z", "2025-06-13T01:00:00Z"]
    assert all(set(p) == POINT_KEYS[device.kind] for p in body["data"])
    assert body["metadata"]["units"]["price"] == "EUR/MWh"
    assert body["metadata"]["units"]["estimated_consumption"] == "Wh"


def test_keywords_select_the_fields(world: World, api: Api) -> None:
    resp = _data(api, world.ev, from_datetime=DAY_LO, to_datetime=DAY_HI, keywords="price,battery_level")
    points = resp.json()["data"]
    assert len(points) == 96  # default resolution 15MIN
    assert all(set(p) == {"time", "price", "battery_level"} for p in points)


def test_without_a_range_data_covers_the_last_24_hours(world: World, api: Api) -> None:
    points = _data(api, world.hp).json()["data"]
    assert points[0]["time"] == "2025-06-13T10:00:00Z"
    assert points[-1]["time"] == "2025-06-14T09:45:00Z"  # the last complete quarter hour before 10:00


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"resolution": "5MIN"}, "resolution"),
        (
            {"keywords": "price,battery_level"},
            "keywords",
        ),  # battery_level is an EV keyword, not a heat pump's
        ({"from_datetime": "yesterday"}, "from_datetime"),
        ({"from_datetime": DAY_HI, "to_datetime": DAY_LO}, "to_datetime"),
        (
            {"from_datetime": "2024-01-01T00:00:00Z", "to_datetime": DAY_HI},
            "resolution",
        ),  # 15MIN over 1.5 years
    ],
)
def test_bad_data_parameters_are_422_with_the_query_location(world: World, api: Api, params, loc) -> None:
    resp = _data(api, world.hp, **params)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["query", loc]


def test_heat_pump_without_data_is_400_unless_fill_missing(world: World, api: Api) -> None:
    fresh = factories.create_heat_pump(world.anna, first_data_at=None)
    resp = _data(api, fresh, from_datetime=DAY_LO, to_datetime=DAY_HI, resolution="1HOUR")
    assert resp.status_code == 400
    assert resp.json() == {"detail": "No data"}
    filled = _data(
        api, fresh, {"fill-missing": "true"}, from_datetime=DAY_LO, to_datetime=DAY_HI, resolution="1HOUR"
    )
    assert filled.status_code == 200
    points = filled.json()["data"]
    assert len(points) == 24
    assert all(v is None for p in points for k, v in p.items() if k != "time")


def test_inverter_without_data_is_400_like_the_heat_pump(world: World, api: Api) -> None:
    fresh = factories.create_inverter(world.anna, first_data_at=None)
    assert _data(api, fresh, from_datetime=DAY_LO, to_datetime=DAY_HI).status_code == 400


def test_ev_without_data_is_an_empty_list_or_one_null_point(world: World, api: Api) -> None:
    fresh = factories.create_ev(world.anna, first_data_at=None)
    resp = _data(api, fresh, from_datetime=DAY_LO, to_datetime=DAY_HI)
    assert resp.status_code == 200
    assert resp.json()["data"] == []
    filled = _data(api, fresh, {"fill-missing": "true"}, from_datetime=DAY_LO, to_datetime=DAY_HI).json()[
        "data"
    ]
    assert len(filled) == 1
    assert filled[0]["time"] == DAY_LO
    assert all(v is None for k, v in filled[0].items() if k != "time")


def test_fill_missing_pads_the_range_beyond_now_with_nulls(world: World, api: Api) -> None:
    lo, hi = "2025-06-14T08:00:00Z", "2025-06-14T12:00:00Z"  # now is 10:00
    plain = _data(api, world.hp, from_datetime=lo, to_datetime=hi, resolution="1HOUR").json()["data"]
    filled = _data(
        api, world.hp, {"fill-missing": "true"}, from_datetime=lo, to_datetime=hi, resolution="1HOUR"
    ).json()["data"]
    assert [p["time"][11:13] for p in plain] == ["08", "09"]
    assert [p["time"][11:13] for p in filled] == ["08", "09", "10", "11"]
    assert filled[2]["price"] is None and filled[0] == plain[0]


def test_hourly_points_sum_their_quarter_hours(world: World, api: Api) -> None:
    hourly = _data(api, world.hp, from_datetime=DAY_LO, to_datetime=DAY_HI, resolution="1HOUR").json()["data"]
    quarters = _data(api, world.hp, from_datetime=DAY_LO, to_datetime=DAY_HI).json()["data"]
    for hour, point in enumerate(hourly):
        parts = quarters[hour * 4 : hour * 4 + 4]
        # each value is rounded to 0.1: four quarters carry up to 4 x 0.05, the hour itself 0.05 more
        assert point["estimated_consumption"] == pytest.approx(
            sum(p["estimated_consumption"] for p in parts), abs=0.25 + 1e-9
        )
        assert point["price"] == pytest.approx(sum(p["price"] for p in parts) / 4, abs=0.01)


def test_optimized_heat_pump_moves_energy_into_cheaper_hours(world: World, api: Api) -> None:
    clock.freeze(datetime(2025, 2, 1, 12, tzinfo=UTC))
    points = _data(
        api,
        world.hp,
        from_datetime="2025-01-01T00:00:00Z",
        to_datetime="2025-02-01T00:00:00Z",
        resolution="1HOUR",
    ).json()["data"]
    optimized = sum(p["estimated_consumption"] for p in points)
    baseline = sum(p["unoptimized_consumption"] for p in points)
    assert optimized == pytest.approx(baseline, rel=0.001)  # shifted, not saved by using less
    cost = sum(p["estimated_consumption"] * p["price"] for p in points)
    baseline_cost = sum(p["unoptimized_consumption"] * p["price"] for p in points)
    assert cost < baseline_cost * 0.97


def test_prices_follow_a_day_ahead_shape(world: World, api: Api) -> None:
    points = _data(
        api,
        world.hp,
        from_datetime="2025-06-01T22:00:00Z",
        to_datetime="2025-06-08T22:00:00Z",
        resolution="1HOUR",
        keywords="price",
    ).json()["data"]
    vienna = ZoneInfo("Europe/Vienna")
    by_hour: dict[int, list[float]] = {}
    for p in points:
        by_hour.setdefault(_at(p["time"]).astimezone(vienna).hour, []).append(p["price"])
    mean = {h: sum(v) / len(v) for h, v in by_hour.items()}
    assert mean[13] < mean[3] < mean[20]  # solar dip, night, evening peak
    assert all(5 < p["price"] < 400 for p in points)


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2025, 3, 30), 23), (date(2025, 10, 26), 25), (date(2025, 7, 1), 24)]
)
def test_a_vienna_day_asked_in_utc_has_23_or_25_hours_on_dst_days(world: World, api: Api, day, hours) -> None:
    clock.freeze(datetime(2025, 11, 15, tzinfo=UTC))
    api.fetch_token()  # the fixture's token expired on the way to November
    vienna = ZoneInfo("Europe/Vienna")
    lo = datetime(day.year, day.month, day.day, tzinfo=vienna)
    hi = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=vienna)
    points = _data(
        api, world.hp, from_datetime=clock.iso(lo), to_datetime=clock.iso(hi), resolution="1HOUR"
    ).json()["data"]
    assert len(points) == hours
    local_hours = [_at(p["time"]).astimezone(vienna).hour for p in points]
    assert local_hours[0] == 0 and local_hours[-1] == 23


def test_history_is_deterministic(world: World, api: Api) -> None:
    params = {"from_datetime": "2025-05-01T00:00:00Z", "to_datetime": "2025-05-03T00:00:00Z"}
    first = [_data(api, d, **params).json()["data"] for d in _devices(world)]
    for builder in (
        history._heat_pump_day,
        history._ev_day,
        history._inverter_day,
        history._history_session,
        history._full_day_totals,
        history.day_prices,
    ):
        builder.cache_clear()
    assert [_data(api, d, **params).json()["data"] for d in _devices(world)] == first


def test_foreign_devices_and_missing_tokens_are_refused(world: World, api: Api) -> None:
    foreign = api.user_path(world.anna) + f"/electric-vehicles/{world.stranger_ev.id}/data"
    assert api.get(foreign).status_code == 404
    assert api.get(api.device_path(world.ev) + "/sessions?from=2025-06-01&to=2025-06-14").status_code == 200
    assert (
        api.get(api.user_path(world.ben) + f"/electric-vehicles/{world.ev.id}/sessions/current").status_code
        == 404
    )
    api.token = ""
    assert _data(api, world.hp).status_code == 401


def test_faults_apply_to_history_endpoints(world: World, api: Api) -> None:
    faults.configure(error_count=1, error_status=503, path=r"/data$")
    assert _data(api, world.hp).status_code == 503
    assert _data(api, world.hp).status_code == 200


# --- /savings and /statistics -----------------------------------------------------------------
def _savings(api: Api, device, **params):
    return api.get(api.device_path(device) + "/savings", **params)


@pytest.mark.parametrize("index", range(3))
def test_savings_items_have_the_documented_fields(world: World, api: Api, index: int) -> None:
    device = _devices(world)[index]
    resp = _savings(api, device, **{"from": "2025-01-01T00:00:00Z", "to": "2025-06-01T00:00:00Z"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert {"requested_at", "query", "units", "error"} <= set(body["metadata"])
    assert body["metadata"]["units"]["savings.total"] == "EUR"
    assert len(body["data"]) == 5  # default resolution 1MONTH
    for item in body["data"]:
        assert set(item) == STATISTICS_ITEM_KEYS
        assert item["resolution"] == "1MONTH"
        assert set(item["period"]) == {"start_period", "end_period"}
        assert set(item["savings"]) == {"total", "percentage"}
        assert set(item["consumption"]) == {"total"}
        assert set(item[device.kind]) == KIND_OBJECT_KEYS[device.kind]
        assert [k for k in KIND_OBJECT_KEYS if item[k] is not None] == [device.kind]
    assert body["data"][0]["period"] == {
        "start_period": "2025-01-01T00:00:00Z",
        "end_period": "2025-02-01T00:00:00Z",
    }


@pytest.mark.parametrize("index", range(3))
@pytest.mark.parametrize(
    ("lo", "hi"),
    [("2025-05-01T00:00:00Z", "2025-06-01T00:00:00Z"), ("2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z")],
)  # ... up to now
def test_daily_savings_add_up_to_the_month(world: World, api: Api, index: int, lo: str, hi: str) -> None:
    device = _devices(world)[index]
    month = _savings(api, device, **{"from": lo, "to": hi, "resolution": "1MONTH"}).json()["data"]
    days = _savings(api, device, **{"from": lo, "to": hi, "resolution": "1DAY"}).json()["data"]
    assert len(month) == 1
    assert round(sum(d["savings"]["total"] for d in days), 4) == month[0]["savings"]["total"]
    assert sum(d["consumption"]["total"] for d in days) == month[0]["consumption"]["total"]
    if device.kind == "electric_vehicle":
        count = sum(d["electric_vehicle"]["charge_session_count"] for d in days)
        assert count == month[0]["electric_vehicle"]["charge_session_count"] > 0


def test_optimization_saves_money_over_a_year(world: World, api: Api) -> None:
    for device in _devices(world):
        year = _savings(
            api,
            device,
            **{"from": "2024-06-01T00:00:00Z", "to": "2025-06-01T00:00:00Z", "resolution": "1YEAR"},
        ).json()["data"]
        assert sum(item["savings"]["total"] for item in year) > 0


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"to": DAY_HI}, "from"),
        ({"from": DAY_LO}, "to"),
        ({"from": DAY_LO, "to": DAY_HI, "resolution": "15MIN"}, "resolution"),
        ({"from": "2000-01-01T00:00:00Z", "to": DAY_HI, "resolution": "1DAY"}, "resolution"),
    ],
)
def test_bad_savings_parameters_are_422(world: World, api: Api, params, loc) -> None:
    resp = _savings(api, world.hp, **params)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["query", loc]


def test_savings_before_the_first_data_are_empty_with_an_error(world: World, api: Api) -> None:
    body = _savings(api, world.hp, **{"from": "2019-01-01T00:00:00Z", "to": "2019-06-01T00:00:00Z"}).json()
    assert body["data"] == []
    assert body["metadata"]["error"]


def test_statistics_answer_the_current_bucket_of_each_resolution(world: World, api: Api) -> None:
    path = api.device_path(world.hp) + "/statistics"
    body = api.get(path, resolution="1DAY,1MONTH,1YEAR", keywords="savings").json()
    assert [i["resolution"] for i in body["data"]] == ["1DAY", "1MONTH", "1YEAR"]
    assert [i["period"]["start_period"] for i in body["data"]] == [
        "2025-06-14T00:00:00Z",
        "2025-06-01T00:00:00Z",
        "2025-01-01T00:00:00Z",
    ]
    assert all(set(i) == STATISTICS_ITEM_KEYS and i["consumption"] is None for i in body["data"])
    default = api.get(path).json()["data"]
    assert [i["resolution"] for i in default] == ["1DAY"] and default[0]["consumption"]["total"] > 0
    assert api.get(path, resolution="1DAY,2DAY").status_code == 422
    assert api.get(api.device_path(world.ev) + "/statistics").status_code == 404  # heat pumps only


# --- EV sessions ------------------------------------------------------------------------------
def _sessions(api: Api, ev, **params):
    return api.get(api.device_path(ev) + "/sessions", **params)


def test_sessions_list_completed_sessions_newest_first_with_every_field(world: World, api: Api) -> None:
    body = _sessions(api, world.ev, **{"from": "2025-05-01", "to": "2025-06-14"}).json()
    assert set(body) == {"total", "items"}
    assert 10 < body["total"] <= 45 and len(body["items"]) == min(50, body["total"])
    times = [i["plug_in_time"] for i in body["items"]]
    assert times == sorted(times, reverse=True)
    for item in body["items"]:
        assert set(item) == SESSION_KEYS
        assert "2025-05-01" <= item["plug_in_time"][:10] <= "2025-06-14"
        assert item["plug_in_time"] < item["unplug_time"] <= "2025-06-14T10:00:00Z"
        assert item["session_outcome"] in ("completed", "not_at_home")
        assert item["peak_charge_power_kw"] >= item["avg_charge_power_kw"] > 0


def test_session_energy_matches_the_battery_rise(world: World, api: Api) -> None:
    capacity = world.ev.attrs["battery_capacity_kwh"]
    items = _sessions(api, world.ev, **{"from": "2025-05-01", "to": "2025-06-13"}).json()["items"]
    for item in items:
        rise = (item["final_soc_pct"] - item["initial_soc_pct"]) / 100 * capacity
        assert item["energy_charged_kwh"] == pytest.approx(rise, abs=0.05)
    item = items[0]  # ... and the /data battery level rises the same way over that session
    points = _data(api, world.ev, from_datetime=item["plug_in_time"], to_datetime=item["unplug_time"]).json()[
        "data"
    ]
    assert points[0]["battery_level"] == pytest.approx(item["initial_soc_pct"], abs=0.1)
    assert points[-1]["battery_level"] == pytest.approx(item["final_soc_pct"], abs=0.1)
    charged_wh = sum(p["estimated_consumption"] for p in points)
    assert charged_wh / 1000 == pytest.approx(item["energy_charged_kwh"], abs=0.01)
    assert all(p["is_plugged_in"] for p in points)
    charging = [p["time"] for p in points if p["is_charging"]]
    assert charging[0] == item["desired_charging_start_time"]


def test_optimized_sessions_charge_cheaper_than_at_once(world: World, api: Api) -> None:
    items = _sessions(api, world.ev, **{"from": "2025-04-01", "to": "2025-06-13", "limit": 200}).json()[
        "items"
    ]
    home = [i for i in items if i["is_at_home"]]
    away = [i for i in items if not i["is_at_home"]]
    assert home and all(i["actual_savings_eur"] >= 0 for i in home)
    assert sum(i["actual_savings_eur"] for i in home) > 0
    assert all(i["actual_savings_eur"] == 0 and i["charge_deadline"] is None for i in away)


def test_sessions_page_with_limit_and_offset(world: World, api: Api) -> None:
    span = {"from": "2025-03-01", "to": "2025-06-14"}
    everything = _sessions(api, world.ev, **span, limit=200).json()
    page = _sessions(api, world.ev, **span, limit=3, offset=2).json()
    assert page["total"] == everything["total"]
    assert page["items"] == everything["items"][2:5]
    assert _sessions(api, world.ev, **span, offset=10_000).json()["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"to": "2025-06-14"},
        {"from": "2025-06-01"},
        {"from": "2025-13-01", "to": "2025-06-14"},
        {"from": "2025-06-01T00:00:00Z", "to": "2025-06-14"},
        {"from": "2025-06-14", "to": "2025-06-01"},
        {"from": "2025-06-01", "to": "2025-06-14", "limit": 0},
        {"from": "2025-06-01", "to": "2025-06-14", "limit": 201},
        {"from": "2025-06-01", "to": "2025-06-14", "limit": "ten"},
        {"from": "2025-06-01", "to": "2025-06-14", "offset": -1},
    ],
)
def test_bad_session_parameters_are_400(world: World, api: Api, params) -> None:
    resp = _sessions(api, world.ev, **params)
    assert resp.status_code == 400
    assert resp.json()["detail"][0]["loc"][0] == "query"


def test_current_session_of_a_plugged_in_car_follows_the_live_battery(world: World, api: Api) -> None:
    path = api.device_path(world.ev) + "/sessions/current"
    services.ev_set_charging(world.ev, smart=True)
    clock.advance(minutes=30)
    session = api.get(path).json()["session"]
    assert set(session) == SESSION_KEYS
    assert session["unplug_time"] is None and session["session_outcome"] == "in_progress"
    live = api.get(api.device_path(world.ev)).json()
    rise = (live["battery_level"] - session["initial_soc_pct"]) / 100 * live["battery_capacity_kwh"]
    assert session["energy_charged_kwh"] == pytest.approx(rise, abs=0.4)  # the card rounds the level
    assert session["energy_charged_kwh"] == pytest.approx(5.5, abs=0.01)  # 11 kW for 30 minutes
    assert session["peak_charge_power_kw"] == pytest.approx(11.0)


def test_current_session_starts_at_plug_in_and_is_null_when_unplugged(world: World, api: Api) -> None:
    path = api.device_path(world.ev) + "/sessions/current"
    services.ev_set_plugged(world.ev, False)
    assert api.get(path).json() == {"session": None}
    clock.advance(hours=1)
    services.ev_set_plugged(world.ev, True)
    session = api.get(path).json()["session"]
    assert session["plug_in_time"] == "2025-06-14T11:00:00Z"
    assert session["initial_soc_pct"] == 42.0
