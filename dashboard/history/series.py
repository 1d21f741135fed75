"""The charts per device kind, their tables and CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from devices.schemas import TimeSeries

from .. import charts
from .format import PANEL_PX, date_text, duration_text, iso_local, number
from .ranges import Bucket, HistoryRange, bucket_columns, make_range


# --- Charts per kind -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    name: str  # the API field
    kind: str  # bars | line | step | bands
    css: str
    label: Any  # lazy text
    unit: str
    scale: float = 1.0  # API unit -> shown unit
    places: int = 1
    csv_name: str = ""
    csv_scale: float = 1.0


CONSUMPTION = {
    "heat-pumps": gettext_lazy("Heat pump energy use, with Podero and without"),
    "electric-vehicles": gettext_lazy("Charging energy, with Podero and without"),
    "inverters": gettext_lazy("Energy bought from the grid, with Podero and without"),
}
WITH = gettext_lazy("With Podero")
WITHOUT = gettext_lazy("Without Podero (baseline)")
PRICE = gettext_lazy("Electricity price")


def _energy_places(rng: HistoryRange) -> int:
    return 2 if rng.kind in ("day", "week") else 1


def _specs(kind: str, rng: HistoryRange) -> list[tuple[str, Any, list[tuple[str, list[Series]]]]]:
    """(key, title, panels [(role, series)]) of each chart of a device kind."""
    places = _energy_places(rng)
    consumption = ("consumption", CONSUMPTION[kind], [
        ("main", [Series("estimated_consumption", "bars", "series--with", WITH, "kWh", 1 / 1000, places,
                         "with_podero_kwh", 1 / 1000),
                  Series("unoptimized_consumption", "step", "series--without", WITHOUT, "kWh", 1 / 1000, places,
                         "without_podero_kwh", 1 / 1000)]),
        ("price", [Series("price", "line", "series--price", PRICE, "ct/kWh", 0.1, 1, "price_eur_per_mwh")]),
    ])
    if kind == "heat-pumps":
        return [consumption, ("temperatures", gettext_lazy("Hot water and inlet temperature"), [
            ("main", [Series("hot_water_temp", "line", "series--hot-water", gettext_lazy("Hot water"), "°C", 1, 1,
                             "hot_water_c"),
                      Series("inlet_temp_act", "line", "series--inlet", gettext_lazy("Inlet (flow)"), "°C", 1, 1,
                             "inlet_c")]),
        ])]
    if kind == "electric-vehicles":
        return [("battery", gettext_lazy("Battery level and charging"), [
            ("main", [Series("is_charging", "bands", "series--charging",
                             pgettext_lazy("chart series: when the car charged", "Charging"), "h", 1, 1,
                             "charging_hours"),
                      Series("battery_level", "line", "series--battery", gettext_lazy("Battery level"), "%", 1, 0,
                             "battery_percent")]),
        ]), consumption]
    return [("power", gettext_lazy("Solar, home, battery and grid"), [
        ("main", [Series("solar_production_w", "line", "series--solar", gettext_lazy("Solar production"), "kW",
                         1 / 1000, 2, "solar_w"),
                  Series("household_consumption_w", "line", "series--home", gettext_lazy("Home consumption"), "kW",
                         1 / 1000, 2, "home_w"),
                  Series("battery_charge_discharge_power_w", "line", "series--battery-power",
                         gettext_lazy("Battery (+ discharging, − charging)"), "kW", 1 / 1000, 2, "battery_w"),
                  Series("export_power_to_grid_w", "line", "series--grid",
                         gettext_lazy("Grid (+ export, − import)"), "kW", 1 / 1000, 2, "grid_w")]),
    ]), consumption]


def chart_keys(kind: str) -> list[str]:
    """The charts a device kind has (what a CSV address may ask for)."""
    return [key for key, _title, _panels in _specs(kind, make_range("day", date(2026, 1, 1), UTC, date(2026, 1, 1)))]


def _row_label(bucket: Bucket, rng: HistoryRange) -> str:
    local = bucket.start.astimezone(rng.zone)
    if rng.kind == "day":
        clock = formats.time_format(local, "TIME_FORMAT")
        return f"{clock} {local.tzname()}" if rng.dst_change else clock
    if rng.kind == "week":
        return (f"{formats.date_format(local, 'D')} {date_text(local, 'SHORT_DATE_FORMAT')} "
                f"{formats.time_format(local, 'TIME_FORMAT')}")
    if rng.kind == "month":
        return f"{formats.date_format(local, 'D')} {date_text(local, 'SHORT_DATE_FORMAT')}"
    return date_text(local, "YEAR_MONTH_FORMAT")


def _ticks(rng: HistoryRange, buckets: list[Bucket]) -> list[charts.XTick]:
    starts = [b.start for b in buckets]
    if rng.kind == "day":
        return charts.x_ticks(starts, rng.zone, unit="hour", every=3,
                              label=lambda t: formats.time_format(t, "TIME_FORMAT"))
    if rng.kind == "week":
        return charts.x_ticks(starts, rng.zone, unit="day", every=1,
                              label=lambda t: f"{formats.date_format(t, 'D')} {t.day}")
    if rng.kind == "month":
        return charts.x_ticks(starts, rng.zone, unit="day", every=7,
                              label=lambda t: formats.date_format(t, "MONTH_DAY_FORMAT"))
    return charts.x_ticks(starts, rng.zone, unit="month", every=1, label=lambda t: formats.date_format(t, "M"))


def _shown(series: Series, value: Any) -> float | None:
    return None if value is None else float(value) * series.scale


def _cell(series: Series, value: Any, rng: HistoryRange) -> str:
    if value is None:
        return _("no data")
    if series.kind == "bands":  # hours the flag was true in the bucket
        if rng.kind in ("day", "week"):
            return _("yes") if value > 0 else _("no")
        return duration_text(timedelta(hours=float(value))) if value > 0 else _("no")
    return f"{number(_shown(series, value), series.places)}\u00a0{series.unit}"


def _summary(series: Series, shown: list[float | None], rng: HistoryRange) -> str:
    values = charts.finite(shown)
    if not values:
        return _("%(name)s: no data.") % {"name": series.label}
    if series.kind in ("bars", "step"):
        return _("%(name)s: %(total)s in all.") % {
            "name": series.label, "total": f"{number(sum(values), 1)}\u00a0{series.unit}"}
    if series.kind == "bands":
        if sum(values) <= 0:
            return _("No charging in this period.")
        return _("Charging for %(time)s.") % {"time": duration_text(timedelta(hours=sum(values)))}
    return _("%(name)s from %(lo)s to %(hi)s.") % {
        "name": series.label, "lo": f"{number(min(values), series.places)}\u00a0{series.unit}",
        "hi": f"{number(max(values), series.places)}\u00a0{series.unit}"}


def build_charts(kind: str, series: TimeSeries | None, rng: HistoryRange) -> list[charts.Chart]:
    """The charts of a device kind over the range, each with its table and CSV rows."""
    buckets = rng.buckets()
    specs = _specs(kind, rng)
    names = [s.name for _key, _title, panels in specs for _role, group in panels for s in group]
    columns = bucket_columns(series, rng, names)
    ticks = _ticks(rng, buckets)
    out = []
    for key, title, panels in specs:
        chart_panels: list[charts.Panel] = []
        table_columns = [str(_("Time"))]
        caption_parts = []
        shown_series: list[Series] = []
        for role, group in panels:
            shown = {s.name: [_shown(s, v) for v in columns[s.name]] for s in group}
            plotted = [v for s in group if s.kind != "bands" for v in shown[s.name]]
            bounds = (0.0, 100.0) if any(s.unit == "%" for s in group) else None
            include_zero = not all(s.unit == "°C" for s in group)
            scale = charts.nice_scale(plotted, include_zero=include_zero, bounds=bounds)
            marks = []
            for s in group:
                values: list[Any] = ([None if v is None else v > 0 for v in columns[s.name]]
                                     if s.kind == "bands" else shown[s.name])
                marks.append(charts.series_mark(s.kind, s.css, str(s.label), values, scale))
                shown_series.append(s)
                table_columns.append(f"{s.label} ({s.unit})" if s.kind != "bands" else str(s.label))
                caption_parts.append(_summary(s, shown[s.name], rng))
            unit = next((s.unit for s in group if s.kind != "bands"), "")
            chart_panels.append(charts.Panel(scale=scale, unit=unit, marks=marks, height=PANEL_PX[role]))
        height = charts.layout(chart_panels, lambda v, places: number(v, places))
        rows = [[_row_label(b, rng)] + [_cell(s, columns[s.name][i], rng) for s in shown_series]
                for i, b in enumerate(buckets)]
        header, csv_rows = _csv_rows(shown_series, columns, buckets, rng)
        out.append(charts.Chart(key=key, title=str(title), caption=" ".join(caption_parts), n=len(buckets),
                                panels=chart_panels, xticks=ticks, height=height, table_columns=table_columns,
                                table_rows=rows, csv_header=header, csv_rows=csv_rows))
    return out


def _csv_rows(all_series: list[Series], columns: dict[str, list[Any]], buckets: list[Bucket],
              rng: HistoryRange) -> tuple[list[str], list[list[str]]]:
    header = ["start", "end", *[s.csv_name for s in all_series]]
    rows = []
    for i, b in enumerate(buckets):
        row = [iso_local(b.start, rng.zone), iso_local(b.end, rng.zone)]
        for s in all_series:
            value = columns[s.name][i]
            row.append("" if value is None else _plain(float(value) * s.csv_scale))
        rows.append(row)
    return header, rows


def _plain(value: float, places: int = 4) -> str:
    """A number for CSV: '.' decimals, no grouping, no trailing zeros."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()

