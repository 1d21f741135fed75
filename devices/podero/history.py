"""History endpoints of the client: time series, savings, statistics and EV sessions (fact sheet §2.1–2.2, addendum §1a)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from .errors import PoderoAPIError, PoderoBadResponse, PoderoNotFound

log = logging.getLogger("devices.podero")



class HistoryEndpoints:

    # -- history: time series, savings, statistics and EV sessions (fact sheet §2.1–2.2, addendum §1a)
    # Plain GETs through `_call`, so they share its timeouts, GET retries, breaker and errors. The
    # query string is built here (`_call` keeps it out of logs and errors). `fill-missing` is not
    # sent: a heat pump or inverter without data answers 400, which `get_device_data` returns as an
    # empty series marked `no_data`; gaps are drawn from the missing points instead.
    def get_device_data(self, *, org_id: str | None = None, user_id: str, kind: str, device_id: str,
                        start: datetime | None = None, end: datetime | None = None,
                        resolution: str | None = None, keywords: tuple[str, ...] = ()) -> dict[str, Any]:
        query = {"from_datetime": _iso(start), "to_datetime": _iso(end), "resolution": resolution,
                 "keywords": ",".join(keywords) or None}
        path = self._device_path(user_id, kind, device_id, org_id) + "/data"
        try:
            data = self._call("GET", _with_query(path, query))
        except PoderoAPIError as exc:
            if exc.status == 400 and kind != "electric-vehicles":  # §2.1: "no data" (HP, and the inverter)
                return {"metadata": {"error": _detail_text(exc.detail)}, "data": [], "no_data": True}
            raise
        if not isinstance(data, dict):
            raise PoderoBadResponse(f"{kind} data is not a JSON object")
        return data

    def get_device_savings(self, *, org_id: str | None = None, user_id: str, kind: str, device_id: str,
                           start: datetime, end: datetime, resolution: str | None = None) -> dict[str, Any]:
        path = self._device_path(user_id, kind, device_id, org_id) + "/savings"
        query = {"from": _iso(start), "to": _iso(end), "resolution": resolution}
        data = self._call("GET", _with_query(path, query))
        if not isinstance(data, dict):
            raise PoderoBadResponse(f"{kind} savings is not a JSON object")
        return data

    def get_heat_pump_statistics(self, *, org_id: str | None = None, user_id: str, device_id: str,
                                 resolutions: tuple[str, ...] = (),
                                 keywords: tuple[str, ...] = ()) -> dict[str, Any]:
        path = self._device_path(user_id, "heat-pumps", device_id, org_id) + "/statistics"
        query = {"resolution": ",".join(resolutions) or None, "keywords": ",".join(keywords) or None}
        data = self._call("GET", _with_query(path, query))
        if not isinstance(data, dict):
            raise PoderoBadResponse("heat pump statistics is not a JSON object")
        return data

    def list_ev_sessions(self, *, org_id: str | None = None, user_id: str, device_id: str, first_day: date,
                         last_day: date, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Completed sessions plugged in on UTC days [first_day, last_day]: `{total, items}`."""
        path = self._device_path(user_id, "electric-vehicles", device_id, org_id) + "/sessions"
        query = {"from": first_day.isoformat(), "to": last_day.isoformat(), "limit": str(int(limit)),
                 "offset": str(int(offset))}
        data = self._call("GET", _with_query(path, query))
        if not isinstance(data, dict):
            raise PoderoBadResponse("session list is not a JSON object")
        return data

    def get_ev_current_session(self, *, org_id: str | None = None, user_id: str,
                               device_id: str) -> dict[str, Any]:
        """`{"session": SessionItem}`; a 404 (no active session, as an API may answer) is no session."""
        path = self._device_path(user_id, "electric-vehicles", device_id, org_id) + "/sessions/current"
        try:
            data = self._call("GET", path)
        except PoderoNotFound:
            return {"session": None}
        if not isinstance(data, dict):
            raise PoderoBadResponse("current session is not a JSON object")
        return data



def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("history ranges need aware datetimes")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_query(path: str, query: dict[str, str | None]) -> str:
    present = {key: value for key, value in query.items() if value is not None}
    return f"{path}?{urlencode(present)}" if present else path


def _detail_text(detail: Any) -> str:
    return detail if isinstance(detail, str) else "No data"
