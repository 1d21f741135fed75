"""History endpoints (fact sheet §2.1–2.2, addendum §1a): /data, /savings, /statistics, EV sessions.

Same pipeline as every other endpoint (`api_endpoint`: faults, bearer auth, JSON errors) and the same
scoping (404 for anything outside the token's org). Query errors are Ninja-shaped
`{"detail": [{"type", "loc": ["query", name], "msg"}]}`: 422 for /data, /savings and /statistics, 400 for
the sessions list (the docs give its bounds as plain ranges; the issue asks for 400). The values come
from `simulator.history`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse

from . import clock, history
from .http import ApiError, api_endpoint, json_response
from .models import AccessToken, Device
from .views import _scoped_device

DEFAULT_DATA_SPAN = timedelta(hours=24)  # §8 #27: /data without a range = the last 24 h
MAX_DATA_POINTS = 10_000  # 15MIN over ~104 days, 1HOUR over ~416 days; more is refused with 422
MAX_SAVINGS_BUCKETS = 1_000
SESSION_LIMIT_DEFAULT, SESSION_LIMIT_MAX = 50, 200
STATISTICS_KEYWORDS = ("savings", "consumption")


def _query_error(status: int, name: str, type_: str, msg: str) -> ApiError:
    return ApiError(status, {"detail": [{"type": type_, "loc": ["query", name], "msg": msg}]})


def _datetime_param(request: HttpRequest, name: str, *, required: bool = False) -> datetime | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        if required:
            raise _query_error(422, name, "missing", "Field required")
        return None
    try:
        return clock.parse_iso(raw.replace(" ", "+"))  # a "+" left unescaped in a query reads as a space
    except ValueError:
        raise _query_error(422, name, "datetime_parsing", "Input should be a valid datetime") from None


def _enum_param(request: HttpRequest, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.GET.get(name, "").strip() or default
    if value not in allowed:
        raise _query_error(422, name, "enum", "Input should be " + ", ".join(f"'{v}'" for v in allowed))
    return value


def _list_param(
    request: HttpRequest, name: str, allowed: tuple[str, ...], default: tuple[str, ...]
) -> tuple[str, ...]:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    values = tuple(part for part in raw.split(",") if part)
    unknown = [v for v in values if v not in allowed]
    if unknown or not values:
        raise _query_error(
            422, name, "enum", f"Unknown value(s) {', '.join(unknown)}; supported: {', '.join(allowed)}"
        )
    return tuple(dict.fromkeys(values))


def _header_flag(request: HttpRequest, name: str) -> bool:
    return request.headers.get(name, "").strip().lower() in ("true", "1", "yes")


def _range(request: HttpRequest, lo_name: str, hi_name: str, *, required: bool) -> tuple[datetime, datetime]:
    now = clock.now()
    lo = _datetime_param(request, lo_name, required=required)
    hi = _datetime_param(request, hi_name, required=required)
    hi = hi or (lo + DEFAULT_DATA_SPAN if lo else now)
    lo = lo or hi - DEFAULT_DATA_SPAN
    if hi <= lo:
        raise _query_error(422, hi_name, "value_error", f"{hi_name} must be after {lo_name}")
    return lo, hi


def _metadata(
    device: Device, query: dict[str, Any], units: dict[str, str], error: str | None = None
) -> dict[str, Any]:
    return {
        "device_id": str(device.id),
        "requested_at": clock.iso(clock.now()),
        "query": query,
        "units": units,
        "error": error,
    }


# --- /data ------------------------------------------------------------------------------------
@api_endpoint(methods=("GET",))
def device_data(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, kind: str, device: uuid.UUID
) -> HttpResponse:
    found = _scoped_device(request, token, org, user, kind, device)
    lo, hi = _range(request, "from_datetime", "to_datetime", required=False)
    resolution = _enum_param(request, "resolution", history.DATA_RESOLUTIONS, "15MIN")
    keywords = _list_param(request, "keywords", history.KEYWORDS[found.kind], history.FIELDS[found.kind])
    if history.bucket_count(lo, hi, resolution) > MAX_DATA_POINTS:
        raise _query_error(
            422,
            "resolution",
            "value_error",
            f"Too many points: at most {MAX_DATA_POINTS} per request, use a coarser resolution",
        )
    fill_missing = _header_flag(request, "fill-missing")
    spec = history.spec_of(found)
    now = clock.now()
    points = history.data_points(spec, lo, hi, resolution, keywords, now, fill_missing=False)
    is_ev = found.kind == Device.ELECTRIC_VEHICLE
    if not points and not fill_missing and not is_ev:
        raise ApiError(400, {"detail": "No data"})  # §2.1: HP (and, by analogy, the inverter) without data
    if fill_missing:
        # Addendum §1a: the whole range with null gaps; an EV without any data: one null point at `from`.
        points = (
            history.data_points(spec, lo, hi, resolution, keywords, now, fill_missing=True)
            if points or not is_ev
            else [{"time": clock.iso(lo), **dict.fromkeys(keywords)}]
        )
    query = {
        "from_datetime": clock.iso(lo),
        "to_datetime": clock.iso(hi),
        "resolution": resolution,
        "keywords": list(keywords),
        "fill_missing": fill_missing,
    }
    units = {name: history.DATA_UNITS[name] for name in keywords if name in history.DATA_UNITS}
    return json_response({"metadata": _metadata(found, query, units), "data": points})


# --- /savings and /statistics -----------------------------------------------------------------
@api_endpoint(methods=("GET",))
def device_savings(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, kind: str, device: uuid.UUID
) -> HttpResponse:
    found = _scoped_device(request, token, org, user, kind, device)
    lo, hi = _range(request, "from", "to", required=True)
    resolution = _enum_param(request, "resolution", history.SAVINGS_RESOLUTIONS, "1MONTH")
    if history.bucket_count(lo, hi, resolution) > MAX_SAVINGS_BUCKETS:
        raise _query_error(
            422, "resolution", "value_error", f"Too many buckets: at most {MAX_SAVINGS_BUCKETS} per request"
        )
    spec = history.spec_of(found)
    items = history.savings_items(spec, lo, hi, resolution, clock.now())
    query = {"from": clock.iso(lo), "to": clock.iso(hi), "resolution": resolution}
    error = None if items else "No data for the requested period"
    return json_response(
        {"metadata": _metadata(found, query, dict(history.SAVINGS_UNITS), error), "data": items}
    )


@api_endpoint(methods=("GET",))
def heat_pump_statistics(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, device: uuid.UUID
) -> HttpResponse:
    """The current bucket of each requested resolution, up to now (the docs give no range)."""
    found = _scoped_device(request, token, org, user, "heat-pumps", device)
    resolutions = _list_param(request, "resolution", history.SAVINGS_RESOLUTIONS, ("1DAY",))
    keywords = _list_param(request, "keywords", STATISTICS_KEYWORDS, STATISTICS_KEYWORDS)
    spec = history.spec_of(found)
    now = clock.now()
    items = []
    for resolution in resolutions:
        start = history.bucket_start(now, resolution)
        end = history.bucket_end(start, resolution)
        span = history.clip(spec, start, end, now)
        if span is not None:
            items.append(
                history.savings_item(
                    spec,
                    start,
                    end,
                    span,
                    resolution,
                    savings="savings" in keywords,
                    consumption="consumption" in keywords,
                )
            )
    query = {"resolution": list(resolutions), "keywords": list(keywords)}
    error = None if items else "No data for the requested period"
    return json_response(
        {"metadata": _metadata(found, query, dict(history.SAVINGS_UNITS), error), "data": items}
    )


# --- EV sessions ------------------------------------------------------------------------------
def _date_param(request: HttpRequest, name: str) -> date:
    raw = request.GET.get(name, "").strip()
    if not raw:
        raise _query_error(400, name, "missing", "Field required")
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else _bad_date()
    except ValueError:
        raise _query_error(
            400, name, "date_from_datetime_parsing", "Input should be a valid date in the format YYYY-MM-DD"
        ) from None


def _bad_date() -> date:
    raise ValueError("not YYYY-MM-DD")


def _int_param(request: HttpRequest, name: str, default: int, lo: int, hi: int | None) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _query_error(400, name, "int_parsing", "Input should be a valid integer") from None
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise _query_error(400, name, "value_error", f"Input should be {bound}")
    return value


@api_endpoint(methods=("GET",))
def ev_sessions(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, device: uuid.UUID
) -> HttpResponse:
    """Completed sessions plugged in on UTC days [from, to] (inclusive), newest first."""
    found = _scoped_device(request, token, org, user, "electric-vehicles", device)
    first, last = _date_param(request, "from"), _date_param(request, "to")
    if last < first:
        raise _query_error(400, "to", "value_error", "to must not be before from")
    limit = _int_param(request, "limit", SESSION_LIMIT_DEFAULT, 1, SESSION_LIMIT_MAX)
    offset = _int_param(request, "offset", 0, 0, None)
    spec = history.spec_of(found)
    now = clock.now()
    lo = datetime(first.year, first.month, first.day, tzinfo=UTC)
    hi = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    sessions = [s for s in history.history_sessions(spec, lo, hi) if s.unplug is not None and s.unplug <= now]
    sessions.reverse()
    items = [history.session_payload(s) for s in sessions[offset : offset + limit]]
    return json_response({"total": len(sessions), "items": items})


@api_endpoint(methods=("GET",))
def ev_session_current(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, device: uuid.UUID
) -> HttpResponse:
    """`{"session": SessionItem}` while the car is plugged in; `{"session": null}` otherwise."""
    found = _scoped_device(request, token, org, user, "electric-vehicles", device)
    return json_response({"session": history.current_session(history.spec_of(found), clock.now())})
