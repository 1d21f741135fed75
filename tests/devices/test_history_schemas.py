"""History schemas: the addendum's example payloads parse unchanged; bad values become gaps, not errors."""

from __future__ import annotations

from datetime import UTC, datetime

from devices.schemas import parse_current_session, parse_savings, parse_session_page, parse_time_series

# Addendum §1a, verbatim (the docs' placeholders included).
ADDENDUM_SAVINGS = {
    "metadata": {"requested_at": "<string>", "query": {}, "units": {}, "error": "<string>"},
    "data": [
        {
            "resolution": "<string>",
            "period": {"start_period": "<string>", "end_period": "<string>"},
            "savings": {"total": 123, "percentage": 123},
            "consumption": {"total": 123},
            "heat_pump": {"estimated_consumption_wh": 123},
            "electric_vehicle": {
                "estimated_consumption_wh": 123,
                "charge_session_count": 123,
                "average_charge_power_w": 123,
            },
            "inverter": {"solar_production_wh": 123, "grid_export_wh": 123},
        }
    ],
}


def test_the_addendum_savings_example_parses():
    report = parse_savings(ADDENDUM_SAVINGS)
    (bucket,) = report.buckets
    assert (bucket.savings_eur, bucket.savings_percent, bucket.consumption_wh) == (123.0, 123.0, 123.0)
    assert bucket.start is None and bucket.end is None  # "<string>" is no time
    assert bucket.electric_vehicle == {
        "estimated_consumption_wh": 123.0,
        "charge_session_count": 123.0,
        "average_charge_power_w": 123.0,
    }
    assert (
        bucket.inverter["grid_export_wh"] == 123.0 and bucket.heat_pump["estimated_consumption_wh"] == 123.0
    )
    assert report.error == "<string>" and report.requested_at is None


def test_savings_units_come_from_metadata_and_unknown_fields_are_kept():
    report = parse_savings(
        {
            "metadata": {"units": {"consumption.total": "kWh", "savings.total": "ct"}, "source": "x"},
            "data": [
                {
                    "period": {"start_period": "2025-05-01T00:00:00Z", "end_period": "2025-06-01T00:00:00Z"},
                    "savings": {"total": "250", "percentage": None},
                    "consumption": {"total": "1.5"},
                    "co2": {"kg": 3},
                },
                "not a bucket",
            ],
        }
    )
    (bucket,) = report.buckets
    assert bucket.savings_eur == 2.5 and bucket.consumption_wh == 1500.0 and bucket.savings_percent is None
    assert bucket.extra == {"co2": {"kg": 3}} and report.extra == {"source": "x"}
    assert bucket.start == datetime(2025, 5, 1, tzinfo=UTC)


def test_a_bucket_without_savings_is_unknown_not_zero():
    (bucket,) = parse_savings({"data": [{"savings": {"total": None}}]}).buckets
    assert bucket.savings_eur is None and not bucket.known


def test_time_series_points_are_forgiving_and_sorted():
    series = parse_time_series(
        "electric-vehicles",
        {
            "metadata": {"units": {"price": "EUR/kWh"}},
            "data": [
                {
                    "time": "2025-06-13T01:00:00Z",
                    "price": "0.0521",
                    "battery_level": "55",
                    "is_charging": "yes",
                    "new_field": 1,
                },
                {"time": "2025-06-13T00:00:00Z", "price": None, "battery_level": "n/a", "is_charging": None},
                {"time": "garbage", "price": 1},
                {"price": 2},
            ],
        },
    )
    assert [p.time.hour for p in series.points] == [0, 1]
    late = series.points[1]
    assert late.get("price") == 52.1 and late.get("battery_level") == 55.0 and late.get("is_charging") is True
    assert late.extra == {"new_field": 1}
    assert series.points[0].get("battery_level") is None and series.points[0].get("price") is None
    assert series.total("price") == 52.1


def test_sessions_parse_every_field_and_tolerate_nulls():
    page = parse_session_page(
        {
            "total": "2",
            "items": [
                {
                    "id": "a",
                    "plug_in_time": "2025-06-12T16:45:00Z",
                    "unplug_time": "2025-06-13T05:45:00Z",
                    "inferred_session_end": None,
                    "desired_charging_start_time": "2025-06-12T20:30:00Z",
                    "desired_charging_end_time": "2025-06-12T22:00:00Z",
                    "charge_deadline": "2025-06-13T05:00:00Z",
                    "target_soc_pct": 80,
                    "initial_soc_pct": "63.6",
                    "final_soc_pct": 180,
                    "energy_charged_kwh": 9.85,
                    "avg_charge_power_kw": 11,
                    "peak_charge_power_kw": 11,
                    "actual_cost_eur": 0.5,
                    "expected_savings_eur": 0.36,
                    "actual_savings_eur": None,
                    "is_at_home": True,
                    "session_outcome": "brand_new_outcome",
                    "vendor": "x",
                },
                None,
            ],
        },
        limit=50,
        offset=0,
    )
    assert page.total == 2 and len(page.items) == 1 and not page.has_next
    s = page.items[0]
    assert s.duration.total_seconds() == 13 * 3600
    assert s.initial_soc == 63.6 and s.final_soc is None  # 180 % is no battery level
    assert s.savings_eur == 0.36 and s.outcome == "brand_new_outcome" and s.extra == {"vendor": "x"}
    assert parse_current_session({"session": None}) is None
    assert parse_current_session("nonsense") is None
