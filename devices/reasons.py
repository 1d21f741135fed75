"""One reason line per card: the single most relevant fact about what a device does next, and why.

Pure functions over the typed device and what we know beside it (a timed pause, the charge plan's
start); no cache, no database, no Podero. The priority, highest first:
1. the manufacturer login has lapsed (nothing else works until it is reconnected);
2. optimization is paused (and until when, and whether our timed resume failed);
3. per kind: EV not plugged in / full / at the limit set in the car's app / charging / waiting for the
   cheap window (until the plan's start); heat pump: its mode in plain words and why; inverter: what the
   battery and the grid are doing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from .schemas import BoostState, Device, ElectricVehicle, Flow, HeatPump, Inverter


@dataclass(frozen=True, slots=True)
class Pause:
    """A pause the homeowner asked us to end: when (None = until they resume) and how our resume went."""

    until: datetime | None
    failed_attempts: int = 0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # stable, for tests and CSS: "reconnect", "paused", "unplugged", ...
    text: str
    tone: str = "info"  # "info" | "warn": the CSS tone; the words carry the meaning on their own


def when(at: datetime, now: datetime, tz: tzinfo) -> str:
    """"Sun 18:00 (in 2 days)", "today 22:00 (in 3 hours)", "tomorrow 07:00 (in 9 hours)"."""
    local, today = at.astimezone(tz), now.astimezone(tz).date()
    days = (local.date() - today).days
    if days == 0:
        day = _("today")
    elif days == 1:
        day = _("tomorrow")
    else:
        day = formats.date_format(local, "D")  # the weekday, abbreviated in the homeowner's language
    left = at.astimezone(UTC) - now.astimezone(UTC)
    # Translators: "Sun 18:00 (in 2 days)"; %(day)s is "today", "tomorrow" or a short weekday.
    return _("%(day)s %(time)s (%(in)s)") % {"day": day, "time": hm(local), "in": _in(left, days)}


def hm(at: datetime) -> str:
    """A wall-clock time in the locale's TIME_FORMAT ("07:00" in English and German)."""
    return formats.time_format(at, "TIME_FORMAT")


def _in(left: timedelta, days: int) -> str:
    minutes = max(0, int(left.total_seconds() // 60))
    if minutes < 60:
        return ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
    if minutes < 24 * 60 or days <= 1:
        hours = round(minutes / 60)
        return ngettext("in %(n)d hour", "in %(n)d hours", hours) % {"n": hours}
    return ngettext("in %(n)d day", "in %(n)d days", days) % {"n": days}


def _lapsed(device: Device) -> bool:
    return device.is_authenticated is False or any(a.code == "reauthenticate" for a in device.actions)


def reason_line(device: Device, *, now: datetime, tz: tzinfo, pause: Pause | None = None,
                plan_start: datetime | None = None) -> Reason | None:
    """The one line a card shows under its title, or None when there is nothing worth saying."""
    if _lapsed(device):
        who = device.manufacturer or _("manufacturer")
        return Reason("reconnect", _("The %(who)s login has lapsed: reconnect it so Podero can steer this "
                                     "%(noun)s again.") % {"who": who, "noun": _(device.noun)}, "warn")
    paused = _paused(device, now=now, tz=tz, pause=pause)
    if paused is not None:
        return paused
    if isinstance(device, ElectricVehicle):
        return _ev(device, now=now, tz=tz, plan_start=plan_start)
    if isinstance(device, HeatPump):
        return _heat_pump(device)
    if isinstance(device, Inverter):
        return _inverter(device)
    return None


def _paused(device: Device, *, now: datetime, tz: tzinfo, pause: Pause | None) -> Reason | None:
    if device.is_smart_optimization_active is not False:
        return None
    if pause is not None and pause.until is not None:
        if pause.failed_attempts:
            return Reason("resume_failed", ngettext(
                "Still paused: resuming at %(time)s did not work yet. We keep trying (%(n)d attempt so far).",
                "Still paused: resuming at %(time)s did not work yet. We keep trying (%(n)d attempts so far).",
                pause.failed_attempts) % {"time": hm(pause.until.astimezone(tz)),
                                          "n": pause.failed_attempts}, "warn")
        if pause.until > now:
            text = (_("Smart charging paused until %(when)s.") if isinstance(device, ElectricVehicle)
                    else _("Optimization paused until %(when)s."))
            return Reason("paused", text % {"when": when(pause.until, now, tz)})
        return Reason("paused", _("Optimization paused: resuming now."))
    if isinstance(device, ElectricVehicle):
        return Reason("paused", _("Smart charging paused until you resume it: the car charges whenever it is "
                                  "plugged in."))
    return Reason("paused", _("Optimization paused until you resume it."))


def _ev(ev: ElectricVehicle, *, now: datetime, tz: tzinfo, plan_start: datetime | None) -> Reason | None:
    if ev.is_plugged_in is False:
        if ev.boost_for_next_session:
            return Reason("unplugged", _("Not plugged in: charges at full power as soon as you plug it in."))
        return Reason("unplugged", _("Not plugged in."))
    level, cap = ev.battery_level, ev.charge_target_max
    if ev.is_fully_charged and (cap is None or cap >= 100):
        return Reason("full", _("Full."))
    if cap is not None and cap < 100 and level is not None and level >= cap:
        return Reason("at_limit", _("Stopped at %(cap)d %%: the limit set in the car's app.") % {"cap": cap})
    if ev.is_fully_charged:
        return Reason("full", _("Full."))
    if ev.boost_state in (BoostState.ONGOING, BoostState.REQUESTED):
        return Reason("boost", _("Charge now overrides the cheap-window plan."))
    if ev.is_charging:
        return Reason("charging", _("Charging in a cheap window."))
    if ev.is_plugged_in:
        if plan_start is not None and plan_start > now:
            return Reason("waiting", _("Plugged in, waiting for the cheap window at %(time)s.") % {
                "time": hm(plan_start.astimezone(tz))})
        return Reason("waiting", _("Plugged in, waiting for the cheapest hours."))
    return None


HP_WHY = {
    "min": gettext_noop("Min: prices are at their highest, so it runs as little as your comfort allows."),
    "low": gettext_noop("ECO: prices are high right now, so it heats a little less."),
    "mid": gettext_noop("Comfort: prices are normal, so it heats as usual."),
    "max": gettext_noop("Boost: energy is cheap right now, so it heats ahead while it lasts."),
}


def _heat_pump(hp: HeatPump) -> Reason | None:
    if hp.is_smart_optimization_active is None:
        return None
    mode = (hp.current_mode or "").lower()
    if mode in HP_WHY:
        return Reason(f"mode_{mode}", _(HP_WHY[mode]))
    return Reason("optimizing", _("Podero shifts its heating to the cheaper, greener hours."))


def _kw(watts: float | None) -> str:
    """"2.5 kW" ("2,5 kW" in German); rounded first, as number_format cuts the digits off."""
    return f"{formats.number_format(round(abs(watts or 0) / 1000, 1), 1)} kW"


def _inverter(iv: Inverter) -> Reason | None:
    """The battery when there is one (the pill already says what the grid does), else the grid."""
    if iv.has_battery:
        flow, known = iv.battery_flow, iv.battery_level is not None
        if flow is Flow.CHARGING:
            text = _("Battery charging at %(kw)s (%(level)d %% full).") if known else _("Battery charging at %(kw)s.")
        elif flow is Flow.DISCHARGING:
            text = (_("Battery powering the home at %(kw)s (%(level)d %% full).") if known
                    else _("Battery powering the home at %(kw)s."))
        elif flow is Flow.IDLE:
            text = _("Battery idle (%(level)d %% full).") if known else _("Battery idle.")
        else:
            return None
        return Reason("battery", text % {"kw": _kw(iv.battery_w), "level": iv.battery_level or 0})
    grid = iv.grid_flow
    if grid is Flow.EXPORTING:
        return Reason("grid", _("No battery: the surplus is sold to the grid."))
    if grid is Flow.IMPORTING:
        return Reason("grid", _("No battery: what the sun does not cover comes from the grid."))
    if grid is Flow.IDLE:
        return Reason("grid", _("No battery: the sun covers the home exactly."))
    return None
