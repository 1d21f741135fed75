"""What the history pages show: the range a homeowner picked, the device's data in local buckets, the
charts per kind, their tables and CSV, savings sentences and EV sessions in plain words.

Views parse the request and call `build_history`, `session_list`, … here; this module calls the
services (never the client) and `charts` (pure geometry). Time follows the homeowner's zone: a day is
local midnight to local midnight, so it has 23, 24 or 25 hours; the API's buckets are UTC, and each
point is placed in the local bucket that holds it. Numbers are formatted for the active language;
CSV uses ISO times with offsets and '.' decimals whatever the language.
"""

from __future__ import annotations

import bisect
import contextvars
import csv
import functools
import hashlib
import io
import math
import zoneinfo
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils import formats
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from devices import services
from devices.schemas import ChargingSession, Device, SavingsReport, SessionPage, TimeSeries

from . import charts

RANGES = ("day", "week", "month", "year")
FETCH_RESOLUTION = {"day": "15MIN", "week": "1HOUR", "month": "1HOUR", "year": "1DAY"}
FETCH_STEP = {"15MIN": timedelta(minutes=15), "1HOUR": timedelta(hours=1), "1DAY": timedelta(days=1)}
SAVINGS_RESOLUTION = {"day": "1DAY", "week": "1WEEK", "month": "1MONTH", "year": "1YEAR"}
HISTORY_YEARS = 10  # the picker goes back this far; an older date is a crafted URL, refused before any call
SESSIONS_PER_PAGE = 20
SESSION_WINDOW_DAYS = 2 * 365  # the sessions list covers the last two years (the API needs a range)
SESSIONS_IN_RANGE = 10  # sessions listed under an EV's chart
CSV_MAX_SESSIONS = 2000  # 10 API pages of 200: far more than two years of charging
PANEL_PX = {"main": 150.0, "price": 70.0}

_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="history-page")


class RangeError(ValueError):
    """A range the homeowner cannot ask for; `str()` is a sentence for them."""


# --- Numbers, money and time in the homeowner's language and zone ---------------------------------
@functools.lru_cache(maxsize=16)
def _separators(language: str) -> tuple[str, str, int]:
    """(decimal, thousands, group size) of a language, as Django's formats name them."""
    grouping = formats.get_format("NUMBER_GROUPING", language, use_l10n=True)
    return (str(formats.get_format("DECIMAL_SEPARATOR", language, use_l10n=True)),
            str(formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True)),
            grouping if isinstance(grouping, int) and grouping > 0 else 3)


def number(value: float | None, places: int = 1) -> str:
    """Rounded half up (Django's number_format truncates), grouped and separated as the active language
    writes numbers ("1,234.5"; German "1.234,5"). A table draws thousands of them: no Decimal per cell."""
    if value is None or not math.isfinite(value):
        return "–"
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):.{places}f}"
    whole, _dot, fraction = text.partition(".")
    decimal_sep, thousands, group = _separators(get_language() or settings.LANGUAGE_CODE)
    if len(whole) > group:
        head = len(whole) % group or group
        whole = whole[:head] + "".join(thousands + whole[i:i + group] for i in range(head, len(whole), group))
    sign = "-" if rounded < 0 else ""
    return f"{sign}{whole}{decimal_sep}{fraction}" if fraction else f"{sign}{whole}"


def money(eur: float | None) -> str:
    """"€ 12.34" (the order comes from the translation: German reads "12,34 €")."""
    if eur is None:
        return "–"
    text = _("€\u00a0%(amount)s") % {"amount": number(abs(eur), 2)}
    return f"−{text}" if eur < 0 and round(abs(eur), 2) > 0 else text


def zone_of(user: Any) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(str(getattr(user, "timezone", "") or settings.TIME_ZONE))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def iso_local(at: datetime | None, zone: tzinfo) -> str:
    """ISO 8601 with the local offset, for CSV ("2026-03-29T03:00:00+02:00")."""
    return "" if at is None else at.astimezone(zone).isoformat(timespec="seconds")


def date_text(at: datetime | date, fmt: str = "DATE_FORMAT") -> str:
    return formats.date_format(at, fmt)


def local_time(at: datetime | None, zone: tzinfo) -> str:
    if at is None:
        return _("unknown")
    local = at.astimezone(zone)
    return f"{formats.date_format(local, 'SHORT_DATE_FORMAT')} {local:%H:%M}"


def duration_text(value: timedelta | None) -> str:
    if value is None or value.total_seconds() < 0:
        return _("unknown")
    minutes = int(round(value.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(m)d\u00a0min") % {"m": rest}
    return _("%(h)d\u00a0h %(m)02d\u00a0min") % {"h": hours, "m": rest}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# --- The range -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bucket:
    start: datetime  # UTC
    end: datetime


@dataclass(frozen=True)
class HistoryRange:
    """A day, week (Monday first), month or year of local days, starting on `first`."""

    kind: str
    first: date
    zone: tzinfo
    today: date

    @property
    def earliest(self) -> date:
        return date(self.today.year - HISTORY_YEARS, 1, 1)

    @property
    def after_last(self) -> date:
        if self.kind == "day":
            return self.first + timedelta(days=1)
        if self.kind == "week":
            return self.first + timedelta(days=7)
        return _add_months(self.first, 1 if self.kind == "month" else 12)

    @property
    def last(self) -> date:
        return self.after_last - timedelta(days=1)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.after_last, self.zone)

    @property
    def resolution(self) -> str:
        return FETCH_RESOLUTION[self.kind]

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def shifted(self, steps: int) -> HistoryRange | None:
        if self.kind == "day":
            first = self.first + timedelta(days=steps)
        elif self.kind == "week":
            first = self.first + timedelta(days=7 * steps)
        else:
            first = _add_months(self.first, steps * (1 if self.kind == "month" else 12))
        moved = replace(self, first=first)
        if first > self.today or moved.after_last <= self.earliest:
            return None  # nothing after today; nothing before the history the picker offers
        return moved

    @property
    def previous(self) -> HistoryRange | None:
        return self.shifted(-1)

    @property
    def next(self) -> HistoryRange | None:
        return self.shifted(1)

    def switched(self, kind: str) -> HistoryRange:
        """The range of another kind that holds this one's first day (today's, when it holds today)."""
        anchor = self.today if self.first <= self.today <= self.last else self.first
        return make_range(kind, anchor, self.zone, self.today)

    @property
    def holds_today(self) -> bool:
        return self.first <= self.today <= self.last

    @property
    def query(self) -> dict[str, str]:
        return {"range": self.kind, "date": self.first.isoformat()}

    @property
    def title(self) -> str:
        if self.kind == "day":
            return f"{formats.date_format(self.first, 'l')}, {date_text(self.first)}"
        if self.kind == "week":
            return _("Week of %(date)s") % {"date": date_text(self.first)}
        if self.kind == "month":
            return date_text(self.first, "YEAR_MONTH_FORMAT")
        return str(self.first.year)

    @property
    def dst_change(self) -> bool:
        """The clocks change in this range (a day of 23 or 25 hours is in it)."""
        return abs(self.hours - 24 * (self.after_last - self.first).days) > 0.01

    def buckets(self) -> list[Bucket]:
        """The chart's buckets: quarter hours (day), hours (week), local days (month), local months."""
        if self.kind in ("day", "week"):
            step = timedelta(minutes=15) if self.kind == "day" else timedelta(hours=1)
            at, end, out = self.start, self.end, []
            while at < end:
                out.append(Bucket(at, min(at + step, end)))
                at += step
            return out
        if self.kind == "month":
            days = [self.first + timedelta(days=i) for i in range((self.after_last - self.first).days + 1)]
        else:
            days = [_add_months(self.first, i) for i in range(13)]
        edges = [local_midnight(d, self.zone) for d in days]
        return [Bucket(a, b) for a, b in zip(edges, edges[1:], strict=False)]


RANGE_LABELS = {"day": gettext_lazy("Day"), "week": gettext_lazy("Week"), "month": gettext_lazy("Month"),
                "year": gettext_lazy("Year")}


STEP_LABELS = {
    "day": (gettext_lazy("Previous day"), gettext_lazy("Next day")),
    "week": (gettext_lazy("Previous week"), gettext_lazy("Next week")),
    "month": (gettext_lazy("Previous month"), gettext_lazy("Next month")),
    "year": (gettext_lazy("Previous year"), gettext_lazy("Next year")),
}


def make_range(kind: str, anchor: date, zone: tzinfo, today: date) -> HistoryRange:
    if kind == "week":
        first = anchor - timedelta(days=anchor.weekday())
    elif kind == "month":
        first = anchor.replace(day=1)
    elif kind == "year":
        first = anchor.replace(month=1, day=1)
    else:
        first = anchor
    return HistoryRange(kind=kind, first=first, zone=zone, today=today)


def parse_range(kind: str | None, day: str | None, zone: tzinfo, now: datetime | None = None) -> HistoryRange:
    """The range from the query string, or RangeError with a sentence saying what to change."""
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    kind = (kind or "day").strip().lower()
    if kind not in RANGES:
        raise RangeError(_("Choose a day, a week, a month or a year."))
    text = (day or "").strip()
    if not text:
        anchor = today
    else:
        try:
            anchor = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            anchor = None
        if anchor is None:
            raise RangeError(_("“%(text)s” is not a date we can read. Pick one in the calendar, or write it "
                               "as YYYY-MM-DD.") % {"text": text[:20]})
    earliest = date(today.year - HISTORY_YEARS, 1, 1)
    if anchor > today:
        raise RangeError(_("There is no history after today yet. Pick today or an earlier date."))
    if anchor < earliest:
        raise RangeError(_("History goes back to %(date)s. Pick a later date.") % {"date": date_text(earliest)})
    return make_range(kind, anchor, zone, today)


# --- Points into local buckets -------------------------------------------------------------------
ENERGY = frozenset({"estimated_consumption", "unoptimized_consumption"})
FLAGS = frozenset({"is_charging", "is_plugged_in", "is_at_optimized_location"})


def bucket_columns(series: TimeSeries | None, rng: HistoryRange, names: Sequence[str]) -> dict[str, list[Any]]:
    """Each field per bucket: energy summed, flags as hours true, other readings averaged. A bucket
    without a readable value is None (a gap): a malformed point never becomes a zero."""
    buckets = rng.buckets()
    starts = [b.start for b in buckets]
    groups: list[list[dict[str, Any]]] = [[] for _ in buckets]
    for point in series.points if series is not None else []:
        at = max(point.time, rng.start)  # a UTC bucket that began before local midnight holds its tail
        if at >= rng.end:
            continue
        index = bisect.bisect_right(starts, at) - 1
        if index >= 0:
            groups[index].append(point.values)
    step_h = FETCH_STEP[rng.resolution].total_seconds() / 3600
    out: dict[str, list[Any]] = {}
    for name in names:
        column: list[Any] = []
        for group in groups:
            present = [v.get(name) for v in group if v.get(name) is not None]
            if name in FLAGS:
                flags = [bool(v) for v in present]
                column.append(None if not flags else sum(flags) * step_h)
            elif not present:
                column.append(None)
            elif name in ENERGY:
                column.append(sum(float(v) for v in present))
            else:
                column.append(sum(float(v) for v in present) / len(present))
        out[name] = column
    return out


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
            ("main", [Series("is_charging", "bands", "series--charging", gettext_lazy("Charging"), "h", 1, 1,
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
        return f"{local:%H:%M} {local.tzname()}" if rng.dst_change else f"{local:%H:%M}"
    if rng.kind == "week":
        return f"{formats.date_format(local, 'D')} {date_text(local, 'SHORT_DATE_FORMAT')} {local:%H:%M}"
    if rng.kind == "month":
        return f"{formats.date_format(local, 'D')} {date_text(local, 'SHORT_DATE_FORMAT')}"
    return date_text(local, "YEAR_MONTH_FORMAT")


def _ticks(rng: HistoryRange, buckets: list[Bucket]) -> list[charts.XTick]:
    starts = [b.start for b in buckets]
    if rng.kind == "day":
        return charts.x_ticks(starts, rng.zone, unit="hour", every=3, label=lambda t: f"{t:%H:%M}")
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


# --- Savings --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Saved:
    eur: float | None
    percent: float | None

    @property
    def known(self) -> bool:
        return self.eur is not None

    @property
    def nothing(self) -> bool:
        return self.eur is not None and round(self.eur, 2) == 0


def saved_in(report: SavingsReport | None) -> Saved:
    """The report's buckets summed; the share of the baseline cost when every bucket has one."""
    known = [b for b in report.buckets if b.known] if report is not None else []
    if not known:
        return Saved(None, None)
    eur = sum(b.savings_eur or 0.0 for b in known)
    rated = [b for b in known if b.savings_percent]
    if len(rated) != len([b for b in known if b.savings_eur]):
        return Saved(eur, None)
    baseline = sum((b.savings_eur or 0.0) / (b.savings_percent / 100) for b in rated if b.savings_percent)
    return Saved(eur, eur / baseline * 100 if rated and baseline > 0 else None)


MAX_SHOWN_PERCENT = 100  # more than the whole baseline cost (an exporting inverter's): shown as € only


def _share(saved: Any) -> str | None:
    percent = getattr(saved, "percent", None)
    if percent is None or not 0 < percent <= MAX_SHOWN_PERCENT:
        return None
    return f"{number(percent, 0)}\u00a0%"


def saved_words(saved: Any) -> str:
    """One cell or sentence: "€ 12.34 (18 %)", "nothing yet", or "not known yet" — never "€ 0.00"."""
    if saved is None or getattr(saved, "eur", None) is None:
        return _("not known yet")
    if round(saved.eur, 2) == 0:
        return _("nothing yet")
    if saved.eur < 0:
        return _("%(amount)s more than without Podero") % {"amount": money(-saved.eur)}
    share = _share(saved)
    return f"{money(saved.eur)} ({share})" if share else money(saved.eur)


def headline(saved: Any) -> str:
    """The home page's sentence for this month."""
    if saved is None or getattr(saved, "eur", None) is None:
        return _("We don't know yet what Podero saved you this month. Savings appear once Podero has "
                 "measured them.")
    if round(saved.eur, 2) <= 0:
        return _("Podero has not saved you anything yet this month.")
    if share := _share(saved):
        return _("Podero saved you %(amount)s (%(percent)s) this month.") % {
            "amount": money(saved.eur), "percent": share}
    return _("Podero saved you %(amount)s this month.") % {"amount": money(saved.eur)}


def month_label(start: datetime, zone: tzinfo, *, this: bool = False) -> str:
    month = date_text(start.astimezone(zone), "YEAR_MONTH_FORMAT")
    return _("This month (%(month)s)") % {"month": month} if this else month


def period_headline(saved: Saved, rng: HistoryRange) -> str:
    if not saved.known:
        return _("Savings for this period are not known yet.")
    if saved.nothing:
        return _("Podero saved nothing in this period.")
    if saved.eur is not None and saved.eur < 0:
        if rng.kind in ("day", "week"):
            return _("In this period, energy cost %(amount)s more than it would have without Podero: Podero "
                     "moves energy into cheaper hours, sometimes into the next period.") % {"amount": money(-saved.eur)}
        return _("In this period, energy cost %(amount)s more than it would have without Podero.") % {
            "amount": money(-saved.eur)}
    if share := _share(saved):
        return _("Podero saved you %(amount)s (%(percent)s) in this period.") % {
            "amount": money(saved.eur), "percent": share}
    return _("Podero saved you %(amount)s in this period.") % {"amount": money(saved.eur)}


# --- EV sessions in plain words ------------------------------------------------------------------
OUTCOMES = {
    "completed": gettext_lazy("Charged as planned"),
    "target_reached": gettext_lazy("Reached the charge target"),
    "not_at_home": gettext_lazy("Charged away from home, so Podero did not plan it"),
    "in_progress": gettext_lazy("Charging now"),
    "deadline_missed": gettext_lazy("Did not reach the target by the deadline"),
    "unplugged_early": gettext_lazy("Unplugged before charging finished"),
    "interrupted": gettext_lazy("Charging was interrupted"),
    "failed": gettext_lazy("Charging failed"),
    "cancelled": gettext_lazy("Cancelled"),
}


def outcome_words(code: str | None) -> str:
    if not code:
        return str(_("Not reported"))
    words = OUTCOMES.get(code.strip().lower())
    return str(words) if words is not None else str(_("Ended (Podero did not say how)"))


def session_day(session: ChargingSession) -> str | None:
    """The UTC plug-in day that finds the session again in the API's list (its URL carries it)."""
    return session.plug_in.astimezone(UTC).date().isoformat() if session.plug_in else None


SESSION_CSV = ["id", "plug_in", "unplug", "duration_minutes", "energy_kwh", "cost_eur", "savings_eur",
               "expected_savings_eur", "battery_start_percent", "battery_end_percent", "target_percent",
               "at_home", "outcome"]


def session_csv_row(s: ChargingSession, zone: tzinfo) -> list[str]:
    def num(v: float | None) -> str:
        return "" if v is None else _plain(v)

    return [
        s.id or "", iso_local(s.plug_in, zone), iso_local(s.ended, zone),
        "" if s.duration is None else _plain(s.duration.total_seconds() / 60, 0),
        num(s.energy_kwh), num(s.cost_eur), num(s.savings_eur), num(s.expected_savings_eur),
        num(s.initial_soc), num(s.final_soc), num(s.target_soc),
        "" if s.is_at_home is None else ("true" if s.is_at_home else "false"), outcome_words(s.outcome),
    ]


def sessions_window(now: datetime | None = None) -> tuple[date, date]:
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return today - timedelta(days=SESSION_WINDOW_DAYS), today


# --- The page ------------------------------------------------------------------------------------
@dataclass
class HistoryPage:
    device: Device
    range: HistoryRange
    saved: Saved = field(default_factory=lambda: Saved(None, None))
    sessions: SessionPage | None = None
    pending: bool = False  # nothing fresh cached: the page loads the region after itself
    no_data: bool = False
    error: str | None = None  # Podero could not be reached: the data shown (if any) is last known
    fetched_at: datetime | None = None
    message: str | None = None  # a range the API refused
    digests: tuple[str | None, ...] = ()  # of the payloads drawn: what a rendered region is keyed by
    series: TimeSeries | None = None
    _charts: list[charts.Chart] | None = None

    @property
    def charts(self) -> list[charts.Chart]:
        """Drawn on first use only: a page whose rendered region is cached never draws them."""
        if self._charts is None:
            built = build_charts(self.device.api_kind, self.series, self.range) if self.series is not None else []
            for index, chart in enumerate(built):
                chart.uid = f"chart-{chart.key}-{index}"
            self._charts = built
        return self._charts

    @property
    def has_data(self) -> bool:
        return any(c.has_data for c in self.charts)

    @property
    def headline(self) -> str:
        return period_headline(self.saved, self.range)

    @property
    def age_s(self) -> float | None:
        return None if self.fetched_at is None else max(0.0, (datetime.now(UTC) - self.fetched_at)
                                                        .total_seconds())


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    return contextvars.copy_context().run(fn, **kwargs)


def build_history(*, link: Any, device: Device, rng: HistoryRange, cached_only: bool = False) -> HistoryPage:
    """The history region: /data and /savings of the range (and, for a car, its sessions), fetched
    in parallel through the cached services. With `cached_only` nothing is fetched: `pending` says
    the page must load the region afterwards."""
    page = HistoryPage(device=device, range=rng)
    kind = device.api_kind
    calls: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
        "data": (services.device_data, {"kind": kind, "resolution": rng.resolution}),
        "savings": (services.device_savings, {"kind": kind, "resolution": SAVINGS_RESOLUTION[rng.kind]}),
    }
    for _fn, kwargs in calls.values():
        kwargs.update(link=link, device_id=device.id, start=rng.start, end=rng.end, cached_only=cached_only)
    if kind == "electric-vehicles":
        last = min((rng.end - timedelta(microseconds=1)).astimezone(UTC).date(),
                   datetime.now(UTC).date())
        calls["sessions"] = (services.ev_sessions, {
            "link": link, "device_id": device.id, "first_day": rng.start.astimezone(UTC).date(),
            "last_day": max(last, rng.start.astimezone(UTC).date()), "limit": SESSIONS_IN_RANGE,
            "cached_only": cached_only})
    try:
        if cached_only:
            results = {name: fn(**kwargs) for name, (fn, kwargs) in calls.items()}
        else:
            futures = {name: _pool.submit(_call, fn, **kwargs) for name, (fn, kwargs) in calls.items()}
            results = {name: future.result() for name, future in futures.items()}
    except services.HistoryRangeInvalid:
        page.message = _("Podero cannot show this range. Pick a shorter or more recent period.")
        return page
    if any(r.pending for r in results.values()):
        page.pending = True
        return page
    data, savings = results["data"], results["savings"]
    page.digests = tuple(r.digest for r in results.values())
    page.error = data.error or savings.error
    stamps = [r.fetched_at for r in results.values() if r.fetched_at is not None]
    page.fetched_at = datetime.fromtimestamp(min(stamps), UTC) if stamps else None
    series: TimeSeries | None = data.value
    page.no_data = series is not None and (series.no_data or not series.points)
    page.series = series
    page.saved = saved_in(savings.value)
    if "sessions" in results and results["sessions"].value is not None:
        # The API pages by UTC day; the range is local days: keep the sessions plugged in within it.
        sessions = results["sessions"].value
        page.sessions = replace(sessions, items=[s for s in sessions.items
                                                 if s.plug_in and rng.start <= s.plug_in < rng.end])
    return page


def links(path: str, rng: HistoryRange) -> dict[str, Any]:
    """The range picker's addresses. Each carries `load=1`: without JavaScript the page then shows the
    history at once instead of a link to it."""
    def url(r: HistoryRange | None) -> str | None:
        return None if r is None else f"{path}?{urlencode({**r.query, 'load': '1'})}"

    today = make_range(rng.kind, rng.today, rng.zone, rng.today)
    previous_label, next_label = STEP_LABELS[rng.kind]
    return {
        "previous_label": str(previous_label), "next_label": str(next_label),
        "previous": url(rng.previous), "next": url(rng.next),
        "today": None if rng.holds_today else url(today),
        "kinds": [(kind, str(RANGE_LABELS[kind]), url(rng.switched(kind)), kind == rng.kind) for kind in RANGES],
        "load": url(rng), "query": urlencode(rng.query),
        "min": rng.earliest.isoformat(), "max": rng.today.isoformat(),
    }


REGION_KEY = "history-region:v1:{}"
REGION_TTL_S = 10 * 60


def region_key(page: HistoryPage, *, path: str, language: str) -> str | None:
    """The cache key of the rendered history region: everything it is drawn from. None when it must
    be rendered every time (pending, a message, or data shown with the age of an outage)."""
    if page.pending or page.message or page.error or not page.digests or None in page.digests:
        return None
    zone = getattr(page.range.zone, "key", str(page.range.zone))
    parts = (language, zone, path, page.range.kind, page.range.first, page.range.today, page.device.id,
             page.device.kind, page.digests)
    return REGION_KEY.format(hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest())


def chart_csv(page: HistoryPage, key: str) -> tuple[list[str], list[list[str]]] | None:
    for chart in page.charts:
        if chart.key == key:
            return chart.csv_header, chart.csv_rows
    return None


def all_sessions(*, link: Any, device: Device, now: datetime | None = None) -> tuple[list[ChargingSession],
                                                                                     str | None]:
    """Every session of the window, newest first, page by page through the cache (for CSV)."""
    first, last = sessions_window(now)
    out: list[ChargingSession] = []
    offset = 0
    while offset < CSV_MAX_SESSIONS:
        result = services.ev_sessions(link=link, device_id=device.id, first_day=first, last_day=last,
                                      limit=services.history.SESSION_LIMIT_MAX, offset=offset)
        if result.value is None:
            return out, result.error
        out.extend(result.value.items)
        offset += max(result.value.returned, 1)
        if not result.value.has_next:
            return out, result.error
    return out, None


def find_session(*, link: Any, device: Device, day: date, session_id: str) -> tuple[ChargingSession | None,
                                                                                    str | None]:
    """A completed session by its UTC plug-in day and id, else the current one if the id is its."""
    result = services.ev_sessions(link=link, device_id=device.id, first_day=day, last_day=day,
                                  limit=services.history.SESSION_LIMIT_MAX)
    for session in result.value.items if result.value is not None else []:
        if session.id == session_id:
            return session, result.error
    current = services.ev_current_session(link=link, device_id=device.id)
    if current.value is not None and current.value.id == session_id:
        return current.value, current.error
    return None, result.error or current.error


__all__ = [
    "HistoryPage", "HistoryRange", "RangeError", "build_history", "csv_text", "headline", "money", "number",
    "outcome_words", "parse_range", "saved_words",
]
