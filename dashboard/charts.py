"""The geometry of the history charts, as plain data a template draws as SVG. Pure Python, no Django.

A chart is a row of equal buckets (15 minutes, an hour, a local day or a local month) on the x axis,
and one or more stacked panels, each with its own y scale. Layout follows two rules so that the same
SVG reads on a 390 px phone and a wide desktop, and works under our CSP (no inline styles, no script):
* horizontally everything is relative: a panel is a nested `<svg viewBox="0 0 N 100"
  preserveAspectRatio="none">` in which bucket i spans [i, i+1], so bars and lines stretch to any
  width (strokes keep their width with `vector-effect="non-scaling-stroke"`), and axis labels are
  placed with percentages (`x="25%"`), which SVG text accepts;
* vertically everything is in CSS pixels (the outer `<svg>` has no viewBox), so labels keep a
  readable size on a phone.
Buckets are given by the caller (the range's own instants), so a 23-hour or 25-hour day is simply 92
or 100 quarter hours: nothing assumes 24 hours. Missing values are gaps, never zeros.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

VIEW_H = 100.0  # a panel's inner height in its own units (0 = top)
TOP_PX = 8.0  # room above the first panel for its top grid label
PANEL_GAP_PX = 22.0  # between stacked panels (the lower panel's top label sits in it)
AXIS_PX = 22.0  # below the last panel: the x tick labels
EDGE_PCT = 4.0  # a tick label closer than this to an edge is anchored to that edge (never clipped)


# --- Scales --------------------------------------------------------------------------------------
def nice_step(span: float, target: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 × 10^k) that cuts `span` into about `target` parts."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power * 1.0000001:
            return factor * power
    return 10 * power


@dataclass(frozen=True)
class Scale:
    lo: float
    hi: float
    step: float

    def y(self, value: float) -> float:
        """`value` in panel units: 0 at the top (hi), VIEW_H at the bottom (lo)."""
        return VIEW_H - (value - self.lo) / (self.hi - self.lo) * VIEW_H

    @property
    def ticks(self) -> list[float]:
        count = round((self.hi - self.lo) / self.step)
        return [round(self.lo + i * self.step, 10) for i in range(count + 1)]


def finite(values: Iterable[float | None]) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
            and math.isfinite(v)]


def nice_scale(values: Iterable[float | None], *, include_zero: bool = True,
               bounds: tuple[float, float] | None = None) -> Scale:
    """A scale with round ends that holds every value (and 0 unless `include_zero` is off).

    `bounds` fixes the ends (a percentage: 0–100) but values outside still widen it."""
    numbers = finite(values)
    if bounds is not None:
        numbers += list(bounds)
    elif include_zero:
        numbers.append(0.0)
    if not numbers:
        return Scale(0.0, 1.0, 0.25)
    lo, hi = min(numbers), max(numbers)
    if hi - lo < 1e-9:
        lo, hi = (lo - 1, hi + 1) if lo else (0.0, 1.0)
    step = nice_step(hi - lo)
    lo_n, hi_n = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    if bounds is not None:
        lo_n, hi_n = min(lo_n, bounds[0]), max(hi_n, bounds[1])
        step = nice_step(hi_n - lo_n)
    return Scale(lo_n, hi_n, step)


# --- Marks ---------------------------------------------------------------------------------------
def n2(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros ("12.5", "3", "-0.25")."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    index: int  # the bucket it stands for

    @property
    def attrs(self) -> dict[str, str]:
        return {"x": n2(self.x), "y": n2(self.y), "width": n2(self.width), "height": n2(self.height)}


def _runs(values: Sequence[object], present: Callable[[object], bool]) -> list[tuple[int, int]]:
    """[(first, end)) index runs where `present(value)` holds."""
    runs, start = [], None
    for i, value in enumerate(values):
        if present(value):
            start = i if start is None else start
        elif start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(values)))
    return runs


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def bars(values: Sequence[float | None], scale: Scale, *, pad: float = 0.12) -> list[Rect]:
    """One bar per bucket with a number, from 0 (or the scale's floor) to the value; gaps stay empty."""
    base = min(max(0.0, scale.lo), scale.hi)
    out = []
    for i, value in enumerate(values):
        if not _number(value):
            continue
        top, bottom = sorted((scale.y(float(value)), scale.y(base)))
        out.append(Rect(i + pad, top, 1 - 2 * pad, max(bottom - top, 0.0), i))
    return out


def line_path(values: Sequence[float | None], scale: Scale) -> str:
    """A polyline through the bucket centres; a missing value breaks it (a gap, not a dip to zero).
    A point with no neighbour is drawn as a short dash so it stays visible."""
    parts = []
    for first, end in _runs(values, _number):
        if end - first == 1:
            y = n2(scale.y(float(values[first])))  # type: ignore[arg-type]
            parts.append(f"M{n2(first + 0.25)},{y}H{n2(first + 0.75)}")
            continue
        points = [f"{n2(i + 0.5)},{n2(scale.y(float(values[i])))}" for i in range(first, end)]  # type: ignore[arg-type]
        parts.append("M" + "L".join(points))
    return "".join(parts)


def step_path(values: Sequence[float | None], scale: Scale) -> str:
    """A stepped outline: flat across each bucket (the right shape for energy per bucket)."""
    parts = []
    for first, end in _runs(values, _number):
        ys = [n2(scale.y(float(values[i]))) for i in range(first, end)]  # type: ignore[arg-type]
        path = f"M{first},{ys[0]}H{first + 1}"
        for offset, y in enumerate(ys[1:], start=1):
            path += f"V{y}H{first + offset + 1}"
        parts.append(path)
    return "".join(parts)


def bands(flags: Sequence[object]) -> list[Rect]:
    """Full-height rectangles over each run of buckets where the flag is true (e.g. charging)."""
    return [Rect(float(a), 0.0, float(b - a), VIEW_H, a) for a, b in _runs(flags, lambda v: v is True)]


# --- Axes ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class XTick:
    index: int  # the bucket it starts at (the grid line's x inside a panel)
    pct: float  # position of the bucket boundary, in % of the width
    label: str
    anchor: str  # start | middle | end
    minor: bool = False  # every other tick: hidden on a narrow screen (app.css), so labels never overlap

    @property
    def x(self) -> str:
        return f"{n2(self.pct)}%"


def x_ticks(starts: Sequence[datetime], zone: tzinfo, *, unit: str, every: int,
            label: Callable[[datetime], str]) -> list[XTick]:
    """Ticks at the buckets that start a local hour (`unit="hour"`, every n-th hour of the clock),
    a local day or a local month, labelled with `label(local start)`.

    Positions are bucket indices over the bucket count, so on a 23-hour day 03:00 sits 2/23 of the
    way along, and on a 25-hour day 03:00 (after the hour that repeats) sits 4/25 along."""
    n = len(starts)
    ticks = []
    for i, start in enumerate(starts):
        local = start.astimezone(zone)
        if unit == "hour":
            hit = local.minute == 0 and local.hour % every == 0
        elif unit == "day":
            hit = local.hour == 0 and local.minute == 0 and (local.toordinal() - starts[0].astimezone(zone)
                                                              .toordinal()) % every == 0
        elif unit == "month":
            hit = (local.month - 1) % every == 0
        else:
            raise ValueError(unit)
        if unit == "hour" and hit and i > 0:
            before = starts[i - 1].astimezone(zone)
            hit = not (before.hour == local.hour and before.date() == local.date())  # the repeated hour
        if not hit:
            continue
        pct = i / n * 100 if n else 0.0
        anchor = "start" if pct < EDGE_PCT else "end" if pct > 100 - EDGE_PCT else "middle"
        ticks.append(XTick(i, pct, label(local), anchor, minor=len(ticks) % 2 == 1))
    return ticks


# --- Panels and charts ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GridLine:
    y: float  # panel units
    y_px: float  # chart pixels, for the label
    label: str
    zero: bool = False

    @property
    def label_y(self) -> float:
        """Where the label's baseline goes: just above its line."""
        return round(self.y_px - 3, 2)


@dataclass
class Mark:
    kind: str  # bars | line | step | bands
    css: str  # the series' class (colour, dash pattern) in app.css
    label: str  # legend text
    rects: list[Rect] = field(default_factory=list)
    d: str = ""


@dataclass
class Panel:
    scale: Scale
    unit: str
    marks: list[Mark]
    height: float  # px
    top: float = 0.0  # px, set by `layout`
    grid: list[GridLine] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return any(m.rects or m.d for m in self.marks if m.kind != "bands")


def axis_places(step: float) -> int:
    """Decimals a grid label needs at this step (10 → 0, 2.5 → 1, 0.25 → 2)."""
    for places in range(4):
        if abs(step * 10**places - round(step * 10**places)) < 1e-6:
            return places
    return 3


def layout(panels: list[Panel], fmt: Callable[[float, int], str]) -> float:
    """Stack the panels top to bottom, give each its grid lines (labelled `fmt(value, places) unit`);
    returns the chart's height in px."""
    top = TOP_PX
    for panel in panels:
        panel.top = top
        places = axis_places(panel.scale.step)
        panel.grid = [
            GridLine(panel.scale.y(v), top + panel.scale.y(v) / VIEW_H * panel.height,
                     f"{fmt(v, places)}\u00a0{panel.unit}".strip(), zero=abs(v) < 1e-9)
            for v in panel.scale.ticks
        ]
        top += panel.height + PANEL_GAP_PX
    return top - PANEL_GAP_PX + AXIS_PX


@dataclass
class LegendItem:
    css: str
    kind: str  # bars | line | step | bands: how the swatch is drawn (a filled box, a dashed line...)
    label: str


@dataclass
class Chart:
    key: str  # consumption | temperatures | battery | power
    title: str
    caption: str
    n: int  # buckets
    panels: list[Panel]
    xticks: list[XTick]
    height: float = 0.0
    table_columns: list[str] = field(default_factory=list)
    table_rows: list[list[str]] = field(default_factory=list)
    csv_header: list[str] = field(default_factory=list)
    csv_rows: list[list[str]] = field(default_factory=list)
    uid: str = ""

    @property
    def legend(self) -> list[LegendItem]:
        seen: dict[str, LegendItem] = {}
        for panel in self.panels:
            for mark in panel.marks:
                seen.setdefault(mark.css, LegendItem(mark.css, mark.kind, mark.label))
        return list(seen.values())

    @property
    def has_data(self) -> bool:
        return any(p.has_data for p in self.panels)

    @property
    def axis_y(self) -> float:
        return self.height - 6


def series_mark(kind: str, css: str, label: str, values: Sequence[object], scale: Scale) -> Mark:
    """One series drawn as `kind` on `scale`."""
    if kind == "bars":
        return Mark(kind, css, label, rects=bars(values, scale))  # type: ignore[arg-type]
    if kind == "line":
        return Mark(kind, css, label, d=line_path(values, scale))  # type: ignore[arg-type]
    if kind == "step":
        return Mark(kind, css, label, d=step_path(values, scale))  # type: ignore[arg-type]
    if kind == "bands":
        return Mark(kind, css, label, rects=bands(values))
    raise ValueError(kind)


__all__ = [
    "Chart", "GridLine", "LegendItem", "Mark", "Panel", "Rect", "Scale", "XTick", "axis_places", "bands", "bars",
    "layout", "line_path", "nice_scale", "nice_step", "series_mark", "step_path", "x_ticks",
]
