"""The range a homeowner picked (day, week, month, year) in their zone, and its local buckets."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from devices.schemas import TimeSeries

from .format import (
    FETCH_RESOLUTION,
    FETCH_STEP,
    HISTORY_YEARS,
    RANGES,
    RangeError,
    _add_months,
    date_text,
    local_midnight,
)


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
            return _("%(weekday)s, %(date)s") % {"weekday": formats.date_format(self.first, "l"),
                                                 "date": date_text(self.first)}
        if self.kind == "week":
            # "Week of 30 Nov" / "Woche ab 30. Nov."; the year only when it is not this year's week.
            day = date_text(self.first, "MONTH_DAY_FORMAT")
            if self.first.year != self.today.year:
                day = _("%(day)s %(year)s") % {"day": day, "year": self.first.year}
            return _("Week of %(date)s") % {"date": day}
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

