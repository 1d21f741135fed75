"""Presentation of energy readings: units, words for signed flows, and the geometry of the small SVG pictures.

Numbers are rounded here (Django's number_format truncates floats) and then formatted for the active locale
with grouping, so "1,234 W" reads "1.234 W" in German. Anything missing or unreadable renders "unknown".
"""

from __future__ import annotations

import json
import math
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from devices.boost import boost_view
from devices.schemas import MAX_PLAUSIBLE, Device, ElectricVehicle, Flow, Health, Inverter

register = template.Library()

UNKNOWN = pgettext_lazy("reading", "unknown")  # lazy: a module constant, translated when shown
KW_FROM = 1000  # below 1 kW we show whole watts, above it kilowatts with one decimal


# --- Numbers and units ---------------------------------------------------------------------------
def _num(value: float, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0"
    return formats.number_format(rounded, places, use_l10n=True, force_grouping=True)


def _real(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) < MAX_PLAUSIBLE else None


@register.filter
def watts(value: Any) -> str:
    """950 → "950 W", 1400 → "1.4 kW" ("1,4 kW" in German), None → "unknown"."""
    number = _real(value)
    if number is None:
        return UNKNOWN
    if abs(number) >= KW_FROM - 0.5:
        return f"{_num(number / 1000, 1)}\u00a0kW"
    return f"{_num(number, 0)}\u00a0W"


@register.filter
def watts_abs(value: Any) -> str:
    number = _real(value)
    return UNKNOWN if number is None else watts(abs(number))


@register.filter
def kwh(value: Any) -> str:
    """Energy: one decimal below 100 kWh, whole numbers above."""
    number = _real(value)
    return UNKNOWN if number is None else f"{kwh_number(number)}\u00a0kWh"


@register.filter
def kwh_number(value: Any) -> str:
    """The number of `kwh` without its unit, for a table whose header names the unit."""
    number = _real(value)
    if number is None:
        return UNKNOWN
    return _num(number, 1 if abs(number) < 100 else 0)


@register.filter
def kwp(value: Any) -> str:
    """Peak solar rating in kW."""
    number = _real(value)
    return UNKNOWN if number is None else f"{_num(number, 1)}\u00a0kWp"


@register.filter
def celsius(value: Any) -> str:
    number = _real(value)
    return UNKNOWN if number is None else f"{_num(number, 1)}\u00a0°C"


@register.filter
def percent(value: Any) -> str:
    number = _real(value)
    return UNKNOWN if number is None else f"{_num(number, 0)}\u00a0%"


@register.filter
def km(value: Any) -> str:
    number = _real(value)
    return UNKNOWN if number is None else f"{_num(number, 0)}\u00a0km"


@register.filter
def duration(value: Any) -> str:
    """timedelta → "45 min", "2 h 05 min"."""
    if not isinstance(value, timedelta) or value.total_seconds() < 0:
        return UNKNOWN
    minutes = int(round(value.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes}\u00a0min"
    hours, rest = divmod(minutes, 60)
    return f"{hours}\u00a0h {rest:02d}\u00a0min" if rest else f"{hours}\u00a0h"


# --- Time ----------------------------------------------------------------------------------------
@register.filter
def ago(value: Any) -> str:
    """A short relative time: "just now", "12 s ago", "5 min ago", "3 h ago", "2 days ago"."""
    if not isinstance(value, datetime):
        return UNKNOWN
    seconds = (datetime.now(UTC) - value).total_seconds()
    if seconds < 5:
        return _("just now")
    if seconds < 60:
        # Translators: %(time)s is a number with its unit ("12 s", "5 min", "3 h").
        return _("%(time)s ago") % {"time": f"{int(seconds)}\u00a0s"}
    if seconds < 3600:
        return _("%(time)s ago") % {"time": f"{int(seconds // 60)}\u00a0min"}
    if seconds < 48 * 3600:
        return _("%(time)s ago") % {"time": f"{int(seconds // 3600)}\u00a0h"}
    days = int(seconds // 86400)
    return ngettext("%(n)s day ago", "%(n)s days ago", days) % {"n": days}


def _zone(user: Any) -> Any:
    name = getattr(user, "timezone", None)
    try:
        return zoneinfo.ZoneInfo(str(name)) if name else dj_timezone.get_current_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dj_timezone.get_current_timezone()


@register.filter
def exact_time(value: Any, user: Any = None) -> str:
    """The full date and time in the homeowner's own time zone, for the title of a <time>."""
    if not isinstance(value, datetime):
        return ""
    local = value.astimezone(_zone(user))
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})"


@register.inclusion_tag("dashboard/components/timestamp.html", takes_context=True)
def timestamp(context: template.Context, value: Any, prefix: str = "") -> dict[str, Any]:
    """<time datetime title>5 min ago</time>, or "unknown"."""
    return {"value": value if isinstance(value, datetime) else None, "prefix": prefix,
            "user": context.get("user")}


# --- Words for states ----------------------------------------------------------------------------
HEALTH_TEXT = {
    Health.OK: ("ok", gettext_lazy("Connected")),
    Health.WARNING: ("warning", gettext_lazy("Connection warning")),
    Health.ERROR: ("error", gettext_lazy("Connection error")),
    Health.UNKNOWN: ("unknown", gettext_lazy("Connection unknown")),
}
HEALTH_ICONS = {
    "ok": "check-circle", "warning": "alert-triangle", "error": "x-circle", "unknown": "help-circle",
}


@register.inclusion_tag("dashboard/components/status_badge.html")
def connection_badge(device: Device) -> dict[str, Any]:
    status = getattr(device, "connection_health", Health.UNKNOWN)
    tone, text = HEALTH_TEXT[status if isinstance(status, Health) else Health.UNKNOWN]
    return {"tone": tone, "text": text, "icon": f"icons/{HEALTH_ICONS[tone]}.svg"}


@register.filter
def boost_text(ev: ElectricVehicle) -> str:
    """The boost state as one sentence, the same the card's Charge now says (devices/boost.py)."""
    if not isinstance(ev, ElectricVehicle):
        return ""
    return boost_view(ev).sentence


@register.filter
def battery_words(inverter: Inverter) -> str:
    flow = inverter.battery_flow
    if flow is Flow.CHARGING:
        return _("Battery charging %(power)s") % {"power": watts_abs(inverter.battery_w)}
    if flow is Flow.DISCHARGING:
        return _("Battery discharging %(power)s") % {"power": watts_abs(inverter.battery_w)}
    if flow is Flow.IDLE:
        return _("Battery idle")
    return _("Battery flow unknown")


@register.filter
def grid_words(inverter: Inverter) -> str:
    flow = inverter.grid_flow
    if flow is Flow.EXPORTING:
        return _("Exporting %(power)s to the grid") % {"power": watts_abs(inverter.grid_w)}
    if flow is Flow.IMPORTING:
        return _("Importing %(power)s from the grid") % {"power": watts_abs(inverter.grid_w)}
    if flow is Flow.IDLE:
        return _("No power to or from the grid")
    return _("Grid exchange unknown")


@register.filter
def surplus_words(inverter: Inverter) -> str:
    surplus = inverter.surplus_w
    if surplus is None:
        return UNKNOWN
    if surplus >= 0.5:
        return _("%(power)s more than your home uses") % {"power": watts(surplus)}
    if surplus <= -0.5:
        return _("%(power)s less than your home uses") % {"power": watts_abs(surplus)}
    return _("Solar covers exactly what your home uses")


# --- Energy-flow diagram -------------------------------------------------------------------------
@dataclass(frozen=True)
class Spoke:
    name: str  # solar | home | battery | grid
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    active: bool
    arrow: str  # SVG polygon points, "" when nothing flows
    known: bool


HUB = (180.0, 125.0)
NODES = {"solar": (180.0, 40.0), "grid": (60.0, 125.0), "home": (300.0, 125.0), "battery": (180.0, 210.0)}
NODE_R = 26.0
HUB_R = 5.0


def _spoke(name: str, watts_: float | None, into_hub: bool, scale: float) -> Spoke:
    nx, ny = NODES[name]
    hx, hy = HUB
    length = math.hypot(hx - nx, hy - ny)
    ux, uy = (hx - nx) / length, (hy - ny) / length
    # from the node's edge to the hub's edge
    ax, ay = nx + ux * (NODE_R + 4), ny + uy * (NODE_R + 4)
    bx, by = hx - ux * (HUB_R + 3), hy - uy * (HUB_R + 3)
    if not into_hub:
        ax, ay, bx, by = bx, by, ax, ay
    known = watts_ is not None
    power = abs(watts_) if known else 0.0
    active = power >= 0.5
    width = 1.5 + 8.5 * math.sqrt(power / scale) if active else 1.5
    arrow = ""
    if active:
        dx, dy = (bx - ax), (by - ay)
        seg = math.hypot(dx, dy)
        dx, dy = dx / seg, dy / seg
        size = max(8.0, width * 1.6)
        mx, my = ax + dx * seg * 0.5 + dx * size / 2, ay + dy * seg * 0.5 + dy * size / 2  # tip
        bxp, byp = mx - dx * size, my - dy * size
        px, py = -dy * size * 0.7, dx * size * 0.7
        arrow = f"{mx:.1f},{my:.1f} {bxp + px:.1f},{byp + py:.1f} {bxp - px:.1f},{byp - py:.1f}"
    return Spoke(name, round(ax, 1), round(ay, 1), round(bx, 1), round(by, 1), round(width, 1), active, arrow,
                 known)


@register.inclusion_tag("dashboard/components/energy_flow.html")
def energy_flow(inverter: Inverter) -> dict[str, Any]:
    """Hub-and-spoke picture: solar → hub, hub → home, battery ↔ hub, grid ↔ hub, widths by power."""
    battery = inverter.has_battery
    flows = [inverter.solar_w, inverter.household_w, inverter.grid_w, inverter.battery_w if battery else None]
    rating = (inverter.rating_kw or 0) * 1000
    scale = max([abs(f) for f in flows if f is not None] + [rating, 1000.0])
    spokes = [
        _spoke("solar", inverter.solar_w, True, scale),
        _spoke("home", inverter.household_w, False, scale),
        _spoke("grid", inverter.grid_w, inverter.grid_flow is Flow.IMPORTING, scale),
    ]
    if battery:
        spokes.append(_spoke("battery", inverter.battery_w, inverter.battery_flow is Flow.DISCHARGING, scale))
    battery_line = (
        "charging" if inverter.battery_flow is Flow.CHARGING else
        "discharging" if inverter.battery_flow is Flow.DISCHARGING else
        "idle" if inverter.battery_flow is Flow.IDLE else UNKNOWN
    )
    grid_line = (
        "exporting" if inverter.grid_flow is Flow.EXPORTING else
        "importing" if inverter.grid_flow is Flow.IMPORTING else
        "idle" if inverter.grid_flow is Flow.IDLE else UNKNOWN
    )
    description = " ".join([
        _("Solar production %(power)s.") % {"power": watts(inverter.solar_w)},
        _("Your home uses %(power)s.") % {"power": watts(inverter.household_w)},
        f"{battery_words(inverter)}." if battery else _("No battery."),  # a translated phrase, closed
        f"{grid_words(inverter)}.",
    ])
    return {
        "device": inverter, "spokes": spokes, "battery": battery, "hub": HUB, "nodes": NODES,
        "node_r": NODE_R,
        "hub_r": HUB_R, "description": description, "battery_line": battery_line, "grid_line": grid_line,
        "uid": (inverter.id or "x")[:8],
    }


# --- Consumption bars ----------------------------------------------------------------------------
PERIODS = (("day", gettext_lazy("Last day"), 1), ("week", gettext_lazy("Last week"), 7),
           ("month", gettext_lazy("Last month"), 30))
PERIOD_COLUMNS = {"day": gettext_lazy("Day"), "week": gettext_lazy("Week"), "month": gettext_lazy("Month")}


@dataclass(frozen=True)
class Segment:
    label: str
    tone: str
    x: float
    width: float
    kwh: float


@dataclass(frozen=True)
class BarRow:
    label: str
    total: float | None
    per_day: float | None
    segments: list[Segment]


Part = tuple[str, str, Callable[[str], float | None]]  # (name, tone, period key -> kWh)


HOME_USE = gettext_lazy("Home use")  # everything the home uses (an inverter's household figure)
EVERYTHING_ELSE = gettext_lazy("Everything else")  # home use minus the devices Podero steers
TONES_PER_KIND = 3  # the 2nd and 3rd device of one kind get their own colour (CSS: --c-<kind>-2, -3)


def _device_part(device: Device, nth: int = 1) -> Part:
    tone = device.kind if nth == 1 else f"{device.kind}-{min(nth, TONES_PER_KIND)}"
    return (device.name, tone, lambda key: _real(getattr(device, f"consumption_{key}_kwh", None)))


def _numbered_parts(devices: list[Device]) -> list[Part]:
    seen: dict[str, int] = {}
    parts = []
    for device in devices:
        seen[device.kind] = seen.get(device.kind, 0) + 1
        parts.append(_device_part(device, seen[device.kind]))
    return parts


def _rows(parts: list[Part]) -> list[BarRow]:
    """One row per period; bars show the daily average so a day, a week and a month compare."""
    raw: list[tuple[str, float | None, list[tuple[str, str, float]]]] = []
    for key, label, days in PERIODS:
        known = [(name, tone, v) for name, tone, get in parts if (v := get(key)) is not None and v >= 0]
        total = sum(v for _, _, v in known) if known else None
        raw.append((label, total, [(n, t, v / days) for n, t, v in known]))
    peak = max((sum(v for _, _, v in segs) for _, _, segs in raw), default=0.0) or 1.0
    rows = []
    for (label, total, segs), (_key, _label, days) in zip(raw, PERIODS, strict=True):
        x = 0.0
        segments = []
        for name, tone, per_day in segs:
            width = 100 * per_day / peak
            segments.append(Segment(name, tone, round(x, 2), round(width, 2), per_day * days))
            x += width
        # The day's average is the day's total: say it once, beside the bar.
        rows.append(BarRow(label, total, None if total is None or days == 1 else total / days, segments))
    return rows


@register.inclusion_tag("dashboard/components/consumption_chart.html")
def consumption_chart(device: Device, heading_level: int = 3) -> dict[str, Any]:
    # One name per quantity across the product: an inverter's household figure is the whole home's use.
    title = HOME_USE if device.kind == "inverter" else _("Consumption")
    return {"rows": _rows([_device_part(device)]), "title": title,
            "heading": f"h{heading_level}", "legend": [], "has_data": device.has_consumption}


@register.inclusion_tag("dashboard/components/consumption_chart.html")
def home_consumption(devices: list[Device]) -> dict[str, Any]:
    """The home's consumption, stacked per device. An inverter reports the whole household's use; then the
    heat pump and car are shown as parts of it and the remainder as "Everything else"."""
    users = [d for d in devices if d.kind in ("heat_pump", "electric_vehicle") and d.has_consumption]
    households = [d for d in devices if d.kind == "inverter" and d.has_consumption]
    parts: list[Part] = _numbered_parts(users)
    if households:
        def rest(key: str) -> float | None:
            values = [_real(getattr(d, f"consumption_{key}_kwh", None)) for d in households]
            total = [v for v in values if v is not None]
            if not total:
                return None
            used = sum(v for _, _, get in parts[: len(users)] if (v := get(key)) is not None and v >= 0)
            household = sum(total)
            # A household figure below the heat pump and car alone cannot include them: it is the rest.
            return household - used if household >= used else household

        parts.append((EVERYTHING_ELSE, "rest", rest))
    # With several parts, a table names each one with its numbers: the split never rests on colour alone.
    breakdown = [(name, tone, [get(key) for key, _, _ in PERIODS]) for name, tone, get in parts] \
        if len(parts) > 1 else []
    return {"rows": _rows(parts), "title": HOME_USE, "heading": "h2", "legend": [],
            "breakdown": breakdown, "periods": [PERIOD_COLUMNS[key] for key, _label, _days in PERIODS],
            "has_data": bool(parts), "home": True}


# --- Small helpers for templates -----------------------------------------------------------------
@register.filter
def clamp_percent(value: Any) -> float:
    number = _real(value)
    return 0.0 if number is None else max(0.0, min(100.0, number))


@register.filter
def is_stale(device: Device) -> bool:
    return device.is_state_stale()


@register.filter
def raw_value(value: Any) -> str:
    """A field Podero sent that we don't model, shown as it came (JSON for objects and lists)."""
    if isinstance(value, dict | list | bool) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return str(value)
