"""The history page: what the views render, built from the services (never the client)."""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from devices import services
from devices.schemas import ChargingSession, Device, SessionPage, TimeSeries

from .. import charts
from .format import CSV_MAX_SESSIONS, RANGES, SAVINGS_RESOLUTION, SESSIONS_IN_RANGE, _pool
from .ranges import RANGE_LABELS, STEP_LABELS, HistoryRange, make_range
from .series import build_charts
from .words import Saved, period_headline, saved_in, sessions_window


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

