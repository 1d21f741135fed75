"""History pages: the home page's savings, EV charging sessions, and CSV of charts and sessions.

Like every homeowner view: GET only, login required (`homeowner_required`), the device looked up
among the homeowner's own devices by the services before anything else (a foreign id is a 404 and
makes no history call), and a sentence for people when Podero cannot answer (never a 500). The
device page itself (the history charts) is `views.device_detail`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from devices import podero, services
from devices.schemas import URL_KINDS
from devices.services import history as history_service

from . import history
from .views import homeowner_required


def _now() -> datetime:
    return history_service._now()  # the services' clock (tests put it on the simulator's)


def _device(link: Any, kind: str, device_id: Any) -> Any:
    """The homeowner's own device of this URL kind, or 404 (raised by the services for a foreign id)."""
    api_kind = URL_KINDS.get(kind)
    if api_kind is None:
        raise Http404("unknown device kind")
    return services.device_get(link=link, kind=api_kind, device_id=device_id)


def _problem(request: HttpRequest, exc: podero.PoderoError, *, status: int = 503) -> HttpResponse:
    return render(request, "dashboard/history_problem.html", {"error": services.describe_failure(exc)},
                  status=status)


def _csv(name: str, header: list[str], rows: list[list[str]]) -> HttpResponse:
    response = HttpResponse(history.csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Savings on the home page --------------------------------------------------------------------
@require_GET
@homeowner_required
def savings(request: HttpRequest, link: Any) -> HttpResponse:
    """What Podero saved, this month beside last month and the same month last year, per device and in
    total. The home page loads it after itself (htmx); without JavaScript it is this page."""
    zone = history.zone_of(request.user)
    summary = services.household_savings_summary(link=link, tz=str(zone), now=_now())
    names = history_service.SUMMARY_PERIODS
    headers = [history.month_label(summary.totals[name].start, zone, this=name == "this_month")
               for name in names]
    context = {
        "summary": summary, "zone": zone, "headline": history.headline(summary.totals["this_month"]),
        "headers": headers,
        "rows": [(row.device, [history.saved_words(row.periods[name]) for name in names])
                 for row in summary.devices],
        "totals": [history.saved_words(summary.totals[name]) for name in names],
        "compare": [(headers[i], history.saved_words(summary.totals[name])) for i, name in enumerate(names)
                    if name != "this_month"],
    }
    template = "dashboard/savings.html" + ("#savings" if request.htmx else "")
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Chart CSV ------------------------------------------------------------------------------------
@require_GET
@homeowner_required
def history_csv(request: HttpRequest, link: Any, kind: str, device_id: Any) -> HttpResponse:
    """One chart's data over the picked range, as the table under the chart shows it."""
    try:
        device = _device(link, kind, device_id)
    except podero.PoderoError as exc:
        return _problem(request, exc)
    zone = history.zone_of(request.user)
    try:
        rng = history.parse_range(request.GET.get("range"), request.GET.get("date"), zone, now=_now())
    except history.RangeError as exc:
        return render(request, "dashboard/history_problem.html", {"error": str(exc)}, status=400)
    key = request.GET.get("chart", "")
    if key not in history.chart_keys(device.api_kind):
        raise Http404("no such chart")  # before any history call
    page = history.build_history(link=link, device=device, rng=rng)
    if page.message:
        return render(request, "dashboard/history_problem.html", {"error": page.message}, status=400)
    if not page.charts and page.error:
        return render(request, "dashboard/history_problem.html", {"error": page.error}, status=503)
    table = history.chart_csv(page, key)
    if table is None:
        raise Http404("no such chart")
    return _csv(f"{device.slug}-{key}-{rng.kind}-{rng.first.isoformat()}.csv", *table)


# --- EV charging sessions ------------------------------------------------------------------------
def _page_number(raw: str | None) -> int:
    if raw in (None, ""):
        return 1
    try:
        number = int(raw)
    except ValueError:
        raise Http404("page") from None
    if not 1 <= number <= 10_000:
        raise Http404("page")
    return number


@require_GET
@homeowner_required
def ev_sessions(request: HttpRequest, link: Any, device_id: Any) -> HttpResponse:
    """Completed sessions of the last two years, newest first, a page at a time; the one charging
    now on top of the first page."""
    try:
        device = _device(link, "electric-vehicle", device_id)
    except podero.PoderoError as exc:
        return _problem(request, exc)
    number = _page_number(request.GET.get("page"))
    first, last = history.sessions_window(_now())
    per = history.SESSIONS_PER_PAGE
    result = services.ev_sessions(link=link, device_id=device.id, first_day=first, last_day=last, limit=per,
                                  offset=(number - 1) * per)
    page = result.value
    if page is not None and number > 1 and page.total is not None and (number - 1) * per >= page.total:
        raise Http404("no such page")
    current = services.ev_current_session(link=link, device_id=device.id) if number == 1 else None
    pages = None if page is None or page.total is None else max(1, -(-page.total // per))
    context = {
        "device": device, "page": page, "number": number, "pages": pages, "result": result,
        "current": current.value if current is not None else None, "zone": history.zone_of(request.user),
        "window_first": first,
    }
    return render(request, "dashboard/sessions.html", context)


@require_GET
@homeowner_required
def ev_sessions_csv(request: HttpRequest, link: Any, device_id: Any) -> HttpResponse:
    try:
        device = _device(link, "electric-vehicle", device_id)
    except podero.PoderoError as exc:
        return _problem(request, exc)
    sessions, error = history.all_sessions(link=link, device=device, now=_now())
    if not sessions and error:
        return render(request, "dashboard/history_problem.html", {"error": error}, status=503)
    zone = history.zone_of(request.user)
    rows = [history.session_csv_row(s, zone) for s in sessions]
    return _csv(f"charging-sessions-{_now().astimezone(UTC).date().isoformat()}.csv", history.SESSION_CSV, rows)


@require_GET
@homeowner_required
def ev_session_detail(request: HttpRequest, link: Any, device_id: Any, day: str, session_id: str) -> HttpResponse:
    try:
        plugged_on = date.fromisoformat(day) if len(day) == 10 else None
    except ValueError:
        plugged_on = None
    if plugged_on is None or len(session_id) > 100:
        raise Http404("malformed session address")
    try:
        device = _device(link, "electric-vehicle", device_id)
    except podero.PoderoError as exc:
        return _problem(request, exc)
    first, _last = history.sessions_window(_now())
    if plugged_on < first:  # older than the list goes back: no call for it
        raise Http404("outside the sessions window")
    session, error = history.find_session(link=link, device=device, day=plugged_on, session_id=session_id)
    if session is None:
        if error:
            return render(request, "dashboard/history_problem.html", {"error": error}, status=503)
        raise Http404("no such session")
    zone = history.zone_of(request.user)
    days = sorted({s.astimezone(zone).date() for s in (session.plug_in, session.ended) if s is not None})
    return render(request, "dashboard/session_detail.html", {
        "device": device, "session": session, "zone": zone, "error": error, "days": days,
        "outcome": history.outcome_words(session.outcome),
    })


__all__ = ["ev_session_detail", "ev_sessions", "ev_sessions_csv", "history_csv", "savings"]
