"""Chart geometry (dashboard/charts.py) and the local buckets of a range (dashboard/history.py), without
a database or a browser: scales, bars, lines with gaps, bands, ticks, and days of 23 and 25 hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard import charts, history
from devices.schemas import DataPoint, TimeSeries

VIENNA = ZoneInfo("Europe/Vienna")
AFTER = datetime(2026, 11, 2, 12, tzinfo=UTC)  # "now" for the ranges below: both DST days are past


def day(text: str, kind: str = "day") -> history.HistoryRange:
    return history.parse_range(kind, text, VIENNA, now=AFTER)


# --- scales --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("span", "step"), [(10, 2.5), (0.8, 0.2), (1234, 500), (7, 2), (100, 25), (0, 1)])
def test_nice_step_is_round(span, step):
    assert charts.nice_step(span) == step


def test_nice_scale_holds_the_values_and_zero():
    scale = charts.nice_scale([0.12, 0.77, None, 0.5])
    assert (scale.lo, scale.hi, scale.step) == (0.0, 0.8, 0.2)
    assert scale.ticks == [0.0, 0.2, 0.4, 0.6, 0.8]
    assert scale.y(0.8) == 0 and scale.y(0.0) == charts.VIEW_H


def test_nice_scale_signed_power_and_fixed_percent():
    signed = charts.nice_scale([-3490, 5570])
    assert signed.lo <= -3490 and signed.hi >= 5570 and signed.lo < 0 < signed.hi
    assert 0.0 in signed.ticks  # the zero line is a grid line
    percent = charts.nice_scale([49, 67], bounds=(0, 100))
    assert (percent.lo, percent.hi) == (0, 100)


def test_temperatures_need_no_zero():
    scale = charts.nice_scale([25.0, 48.9], include_zero=False)
    assert scale.lo == 20 and scale.hi == 50


def test_an_empty_scale_is_still_drawable():
    scale = charts.nice_scale([None, None])
    assert scale.hi > scale.lo


# --- marks ---------------------------------------------------------------------------------------
def test_bars_skip_gaps_and_stand_on_zero():
    scale = charts.Scale(0, 10, 5)
    rects = charts.bars([5.0, None, 10.0, 0.0], scale)
    assert [r.index for r in rects] == [0, 2, 3]
    first = rects[0]
    assert first.x == pytest.approx(0.12) and first.width == pytest.approx(0.76)
    assert first.y == 50 and first.height == 50  # from the value down to 0
    assert rects[1].y == 0 and rects[1].height == 100
    assert rects[2].height == 0


def test_negative_bars_hang_below_zero():
    scale = charts.Scale(-10, 10, 5)
    (rect,) = charts.bars([-5.0], scale)
    assert rect.y == 50 and rect.height == 25


def test_a_missing_value_breaks_the_line():
    scale = charts.Scale(0, 100, 25)
    path = charts.line_path([50, 75, None, 25, 0], scale)
    assert path == "M0.5,50L1.5,25M3.5,75L4.5,100"
    assert charts.line_path([None, 40, None], scale) == "M1.25,60H1.75"  # a lone point stays visible
    assert charts.line_path([None, None], scale) == ""


def test_step_path_is_flat_over_each_bucket():
    scale = charts.Scale(0, 10, 5)
    assert charts.step_path([5, 10, None, 0], scale) == "M0,50H1V0H2M3,100H4"


def test_bands_cover_runs_of_true():
    rects = charts.bands([False, True, True, None, True, False])
    assert [(r.x, r.width) for r in rects] == [(1.0, 2.0), (4.0, 1.0)]
    assert all(r.y == 0 and r.height == charts.VIEW_H for r in rects)


def test_coordinates_are_short_and_never_minus_zero():
    assert charts.n2(12.5) == "12.5" and charts.n2(3.0) == "3" and charts.n2(-0.001) == "0"


def test_layout_stacks_panels_and_labels_the_grid():
    top = charts.Panel(scale=charts.Scale(0, 1, 0.25), unit="kWh", marks=[], height=150)
    price = charts.Panel(scale=charts.Scale(0, 15, 5), unit="ct/kWh", marks=[], height=70)
    height = charts.layout([top, price], lambda v, places: f"{v:.{places}f}")
    assert top.top == charts.TOP_PX and price.top == charts.TOP_PX + 150 + charts.PANEL_GAP_PX
    assert height == price.top + 70 + charts.AXIS_PX
    assert [g.label for g in top.grid] == ["0.00\u00a0kWh", "0.25\u00a0kWh", "0.50\u00a0kWh", "0.75\u00a0kWh",
                                           "1.00\u00a0kWh"]
    assert price.grid[0].y_px == pytest.approx(price.top + 70) and price.grid[-1].y_px == pytest.approx(price.top)
    assert top.grid[0].zero


# --- ranges and their buckets in the homeowner's zone -------------------------------------------
def test_an_ordinary_day_has_96_quarter_hours():
    rng = day("2026-06-01")
    buckets = rng.buckets()
    assert len(buckets) == 96 and not rng.dst_change
    assert rng.start == datetime(2026, 5, 31, 22, tzinfo=UTC) and rng.end == datetime(2026, 6, 1, 22, tzinfo=UTC)


def test_the_spring_day_has_23_hours_and_draws_03_00_two_hours_in():
    rng = day("2026-03-29")
    buckets = rng.buckets()
    assert rng.hours == 23 and len(buckets) == 92 and rng.dst_change
    assert buckets[0].start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert buckets[-1].end == datetime(2026, 3, 29, 22, tzinfo=UTC)
    ticks = charts.x_ticks([b.start for b in buckets], VIENNA, unit="hour", every=1, label=lambda t: f"{t:%H:%M}")
    labels = [t.label for t in ticks]
    assert "02:00" not in labels and len(labels) == 23  # the hour that does not exist is not drawn
    three = next(t for t in ticks if t.label == "03:00")
    assert three.index == 8 and three.pct == pytest.approx(2 / 23 * 100)


def test_the_autumn_day_has_25_hours_and_the_repeated_hour_twice():
    rng = day("2026-10-25")
    buckets = rng.buckets()
    assert rng.hours == 25 and len(buckets) == 100
    starts = [b.start for b in buckets]
    three_hourly = charts.x_ticks(starts, VIENNA, unit="hour", every=3, label=lambda t: f"{t:%H:%M}")
    three = next(t for t in three_hourly if t.label == "03:00")
    assert three.pct == pytest.approx(4 / 25 * 100)  # 00:00 CEST → 03:00 CET is four hours
    labels = [history._row_label(b, rng) for b in buckets]
    assert labels.count("02:00 CEST") == 1 and labels.count("02:00 CET") == 1
    assert labels[0] == "00:00 CEST" and labels[-1] == "23:45 CET"
    assert len(set(labels)) == 100  # every row of the table is told apart


def test_week_month_and_year_buckets_are_local():
    week = day("2026-03-29", "week")
    assert week.first == date(2026, 3, 23) and len(week.buckets()) == 7 * 24 - 1
    month = day("2026-10-25", "month")
    days = month.buckets()
    assert len(days) == 31 and (days[24].end - days[24].start) == timedelta(hours=25)
    year = day("2026-10-25", "year")
    months = year.buckets()
    assert len(months) == 12 and months[0].start == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert months[3].start == datetime(2026, 3, 31, 22, tzinfo=UTC)


def test_points_land_in_the_local_bucket_that_holds_them():
    rng = day("2026-10-25", "year")
    # Daily UTC buckets: the first starts an hour before local New Year and holds its first hour.
    points = [DataPoint(time=datetime(2025, 12, 31, tzinfo=UTC), values={"estimated_consumption": 1000.0}),
              DataPoint(time=datetime(2026, 1, 15, tzinfo=UTC), values={"estimated_consumption": 500.0,
                                                                        "price": 80.0}),
              DataPoint(time=datetime(2026, 1, 16, tzinfo=UTC), values={"estimated_consumption": None,
                                                                        "price": 100.0}),
              DataPoint(time=datetime(2026, 12, 31, tzinfo=UTC), values={"estimated_consumption": 7.0}),
              DataPoint(time=datetime(2027, 1, 1, tzinfo=UTC), values={"estimated_consumption": 99.0})]
    columns = history.bucket_columns(TimeSeries(points=points), rng, ["estimated_consumption", "price"])
    assert columns["estimated_consumption"][0] == 1500.0  # summed; the null is not a zero
    assert columns["price"][0] == 90.0  # averaged
    assert columns["estimated_consumption"][1] is None  # February: no data is a gap
    assert columns["estimated_consumption"][11] == 7.0  # 2027 is outside the range


def test_a_day_chart_of_each_kind_has_a_row_per_quarter_hour():
    rng = day("2026-03-29")
    start = rng.start
    points = [DataPoint(time=start + timedelta(minutes=15 * i),
                        values={"estimated_consumption": 250.0, "unoptimized_consumption": 300.0, "price": 80.0,
                                "battery_level": 50.0 + i / 10, "is_charging": 10 <= i < 14,
                                "hot_water_temp": 45.0, "inlet_temp_act": 30.0, "solar_production_w": 100.0 * i})
              for i in range(92) if i != 40]
    for kind, keys in (("heat-pumps", ["consumption", "temperatures"]),
                       ("electric-vehicles", ["battery", "consumption"]), ("inverters", ["power", "consumption"])):
        built = history.build_charts(kind, TimeSeries(points=points), rng)
        assert [c.key for c in built] == keys
        for chart in built:
            assert chart.n == 92 and len(chart.table_rows) == 92 and len(chart.csv_rows) == 92
            assert chart.table_rows[40][1] == "no data"  # the missing point is a gap in the table
            assert chart.xticks[0].label == "00:00" and chart.height > 0
    battery = history.build_charts("electric-vehicles", TimeSeries(points=points), rng)[0]
    bands = battery.panels[0].marks[0]
    assert bands.kind == "bands" and [(r.x, r.width) for r in bands.rects] == [(10.0, 4.0)]
    assert battery.panels[0].marks[1].d.count("M") == 2  # the battery line breaks at the gap
    assert "Charging for 1\u00a0h 00\u00a0min." in battery.caption
