"""Will the car be ready? The charge plan of an EV in plain words, and how sure we are of it.

Pure functions (no cache, no database, no Podero): the card and the tests call them with what they
know. Every sentence is translatable; times are printed in the homeowner's time zone.

* `next_deadline` the next "ready by" moment as an aware datetime (a DST night is 1 h longer or shorter:
  all arithmetic is done in UTC, never on wall-clock times).
* `deadline_confidence` on track / at risk (and by how much) / can't tell / ready / missed.
* `plan_line` "Charging plan: 01:00–05:30 · 80 % by 07:00", or why there is no plan yet.
* `schedule_summary` the weekly schedule in one line ("Weekdays 80 % by 07:00 · weekends 50 % by 10:00").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from .schemas.parsing import as_float

LATE_TOLERANCE_MIN = 5  # an estimate this close to the deadline is within its own error: "on track"
OUTCOME_FOR = timedelta(hours=4)  # after a deadline, its outcome is what the card says for this long
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SHORT = {"mon": gettext_noop("Mon"), "tue": gettext_noop("Tue"), "wed": gettext_noop("Wed"),
             "thu": gettext_noop("Thu"), "fri": gettext_noop("Fri"), "sat": gettext_noop("Sat"), "sun": gettext_noop("Sun")}
# `expected_max_charge_power` has no unit in the payload: a value this small can only be kW (no home
# charger delivers 350 W or less), a larger one is W.
KW_IF_AT_MOST = 350


class Confidence(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    UNKNOWN = "unknown"  # capacity or power not known: we say so rather than guess
    READY = "ready"  # the deadline has passed and the car reached its target
    MISSED = "missed"  # the deadline has passed and it did not


@dataclass(frozen=True, slots=True)
class Forecast:
    status: Confidence
    target: int | None
    deadline: datetime | None  # aware
    level: float | None = None
    power_kw: float | None = None
    minutes_late: int = 0
    at: datetime | None = None  # READY: when the target was reached; MISSED: the deadline
    unplugged_at: datetime | None = None  # MISSED: why, when the car left early
    plugged_in: bool | None = None

    def sentence(self, tz: tzinfo) -> str:
        """One sentence for the card, times in `tz`."""
        def hm(value: datetime | None) -> str:
            return _hm(value.astimezone(tz)) if value is not None else "—"

        target = f"{self.target} %"
        # The plan line above it already says "80 % by 07:00": on track (or unknown) need not say it again.
        if self.status is Confidence.ON_TRACK:
            return _("On track.")
        if self.status is Confidence.AT_RISK:
            late = _duration(self.minutes_late)
            return _("At risk: at %(power)s kW the car reaches %(target)s about %(late)s after %(deadline)s.") % {
                "power": _kw(self.power_kw), "target": target, "late": late, "deadline": hm(self.deadline)}
        if self.status is Confidence.READY:
            return _("Ready: %(level)s %% at %(time)s.") % {"level": _pct(self.level), "time": hm(self.at)}
        if self.status is Confidence.MISSED:
            if self.unplugged_at is not None:
                return _("Missed: %(level)s %% at %(time)s — unplugged at %(unplugged)s.") % {
                    "level": _pct(self.level), "time": hm(self.deadline), "unplugged": hm(self.unplugged_at)}
            return _("Missed: %(level)s %% at %(time)s.") % {"level": _pct(self.level), "time": hm(self.deadline)}
        return _("Can't tell yet whether the car will be ready in time: its battery size or charging power "
                 "is not known.")

    @property
    def helps(self) -> str | None:
        """The action that helps an at-risk plan: "plug_in" or "charge_now"."""
        if self.status is not Confidence.AT_RISK:
            return None
        return "plug_in" if self.plugged_in is False else "charge_now"


def _pct(level: float | None) -> str:
    return "—" if level is None else str(int(round(level)))


def _kw(power_kw: float | None) -> str:
    """"7.4" ("7,4" in German), "11" for a whole number; rounded first, as number_format cuts digits off."""
    if power_kw is None:
        return "—"
    rounded = round(power_kw, 1)
    return formats.number_format(rounded, 0 if rounded == int(rounded) else 1)


def _hm(at: datetime | time) -> str:
    """A wall-clock time in the locale's TIME_FORMAT ("07:00" in English and German)."""
    return formats.time_format(at, "TIME_FORMAT")


def _duration(minutes: int) -> str:
    if minutes < 60:
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return ngettext("%(h)d hour", "%(h)d hours", hours) % {"h": hours}
    return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}


def capacity_kwh(value: Any) -> float | None:
    """A battery capacity as sent (a number, a string, 0 for "not known") in kWh, or None."""
    number = as_float(value)
    return number if number is not None and math.isfinite(number) and number > 0 else None


def charge_power_w(charge_rate_w: Any, expected_max: Any = None) -> float | None:
    """The power the car charges at: the live `charge_rate_w` while it is charging, else the
    `expected_max_charge_power` Podero reports (kW or W, see KW_IF_AT_MOST); None when neither is known."""
    rate = as_float(charge_rate_w)
    if rate is not None and math.isfinite(rate) and rate > 0:
        return rate
    expected = as_float(expected_max)
    if expected is None or not math.isfinite(expected) or expected <= 0:
        return None
    return expected * 1000 if expected <= KW_IF_AT_MOST else expected


def next_deadline(now: datetime, at: time, tz: tzinfo) -> datetime:
    """The next `at` (wall-clock time in `tz`) strictly after `now`, as an aware datetime in `tz`.

    Built from the local date, so 07:00 is 07:00 on both sides of a DST change."""
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tzinfo=tz)
    if candidate.astimezone(UTC) <= now.astimezone(UTC):
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=tz)
    return candidate


def last_deadline(now: datetime, at: time, tz: tzinfo) -> datetime:
    """The most recent `at` at or before `now`."""
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tzinfo=tz)
    if candidate.astimezone(UTC) > now.astimezone(UTC):
        candidate = datetime.combine(local.date() - timedelta(days=1), at, tzinfo=tz)
    return candidate


def deadline_confidence(*, level: Any, capacity: Any, power_w: float | None, target: int | None,
                        deadline: datetime | None, now: datetime, plugged_in: bool | None = None,
                        reached_at: datetime | None = None, unplugged_at: datetime | None = None) -> Forecast:
    """How the car stands against its deadline.

    Before the deadline: ON_TRACK when the target is reached already or charging from now at `power_w`
    gets there less than LATE_TOLERANCE_MIN after it; AT_RISK (with the minutes late) otherwise; UNKNOWN
    when the capacity or the power is not known. At or after the deadline: READY or MISSED by the level.
    """
    battery = as_float(level)
    if target is None or deadline is None or battery is None:
        return Forecast(status=Confidence.UNKNOWN, target=target, deadline=deadline, level=battery,
                        plugged_in=plugged_in)
    now_utc, due = now.astimezone(UTC), deadline.astimezone(UTC)
    if now_utc >= due:
        if battery >= target:
            at = reached_at if reached_at is not None and reached_at.astimezone(UTC) <= due else deadline
            return Forecast(status=Confidence.READY, target=target, deadline=deadline, level=battery, at=at)
        left = unplugged_at if unplugged_at is not None and unplugged_at.astimezone(UTC) < due else None
        return Forecast(status=Confidence.MISSED, target=target, deadline=deadline, level=battery, at=deadline,
                        unplugged_at=left)
    if battery >= target:
        return Forecast(status=Confidence.ON_TRACK, target=target, deadline=deadline, level=battery,
                        plugged_in=plugged_in)
    kwh = capacity_kwh(capacity)
    if kwh is None or power_w is None or power_w <= 0:
        return Forecast(status=Confidence.UNKNOWN, target=target, deadline=deadline, level=battery,
                        plugged_in=plugged_in)
    needed = timedelta(hours=(target - battery) / 100 * kwh * 1000 / power_w)
    late = (now_utc + needed - due).total_seconds() / 60
    power_kw = power_w / 1000
    if late < LATE_TOLERANCE_MIN:
        return Forecast(status=Confidence.ON_TRACK, target=target, deadline=deadline, level=battery,
                        power_kw=power_kw, plugged_in=plugged_in)
    return Forecast(status=Confidence.AT_RISK, target=target, deadline=deadline, level=battery, power_kw=power_kw,
                    minutes_late=max(LATE_TOLERANCE_MIN, int(round(late / 5)) * 5), plugged_in=plugged_in)


# --- The plan line --------------------------------------------------------------------------------
def plan_line(*, policy_enabled: bool | None, plugged_in: bool | None, window: tuple[datetime, datetime] | None,
              target: int | None, deadline: datetime | None, tz: tzinfo, say_tomorrow: bool = False) -> str | None:
    """What Podero will do: the charging window it planned and the target it plans for. `say_tomorrow`:
    the card also shows how today's deadline went, so the next one says its day."""
    if policy_enabled is False:
        goal = None
    elif target is not None and deadline is not None:
        hm = _hm(deadline.astimezone(tz))
        goal = (_("%(target)s %% by %(deadline)s tomorrow") if say_tomorrow else _("%(target)s %% by %(deadline)s")) % {
            "target": target, "deadline": hm}
    else:
        goal = None
    if window is not None:
        start, end = (_hm(t.astimezone(tz)) for t in window)
        text = _("Charging plan: %(start)s–%(end)s") % {"start": start, "end": end}
        if policy_enabled is False:
            return text + " · " + _("no deadline, fully cost-optimized")
        return f"{text} · {goal}" if goal else text
    if plugged_in is False or plugged_in is None:
        text = _("No plan yet: Podero plans when the car is plugged in")
    else:
        text = _("No plan yet: Podero is planning the cheapest hours")
    if policy_enabled is False:
        return text + " · " + _("no deadline, fully cost-optimized")
    return f"{text} · {goal}" if goal else text


def schedule_summary(days: Mapping[str, tuple[int | None, time | None]]) -> str | None:
    """The weekly schedule in one line; None when every day is the same (the plan line says it all)
    or nothing is known. `days` maps "mon".."sun" to (percentage, deadline)."""
    plans = [days.get(day) for day in WEEKDAYS]
    if any(p is None or p[0] is None or p[1] is None for p in plans):
        return None
    if len(set(plans)) == 1:
        return None

    def says(plan: tuple[int | None, time | None]) -> str:
        assert plan[1] is not None
        return _("%(target)s %% by %(deadline)s") % {"target": plan[0], "deadline": _hm(plan[1])}

    if len(set(plans[:5])) == 1 and len(set(plans[5:])) == 1:
        return _("Weekdays %(weekdays)s · weekends %(weekends)s") % {
            "weekdays": says(plans[0]), "weekends": says(plans[5])}  # type: ignore[arg-type]
    parts: list[str] = []
    start = 0
    for i in range(1, 8):
        if i == 7 or plans[i] != plans[start]:
            first, last = _(DAY_SHORT[WEEKDAYS[start]]), _(DAY_SHORT[WEEKDAYS[i - 1]])
            label = first if i - 1 == start else f"{first}–{last}"
            parts.append(f"{label} {says(plans[start])}")  # type: ignore[arg-type]
            start = i
    return " · ".join(parts)
