"""Pause optimization (for 2 hours, until tonight, tomorrow morning, a date and time, or until resumed)
and resume it, for heat pumps, inverters and EVs. The timed resume itself is devices.services.pauses.

The same conventions as dashboard.controls: a CSRF-checked POST, a card swap with htmx, a redirect with
a message (or a 422 page for a refusal) without JavaScript.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from devices import services
from devices.reasons import when
from devices.services import WriteError, WriteRateLimited, WriteUnknown

from .controls import (
    OPTIMIZATION_KINDS,
    PAUSED,
    RESUMED,
    _card,
    _current,
    _finish,
    _invalid,
    _rate_limited_card,
    _unconfirmed,
    _vary,
)
from .forms import OptimizationForm
from .views import homeowner_required


# --- Pause (until …) / resume optimization (heat pumps, inverters, EVs) ------------------------------
def _user_tz(request: HttpRequest) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(request.user, "timezone", "") or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _paused_message(api_kind: str, until: datetime | None, tz: ZoneInfo) -> str:
    if until is None:
        return str(PAUSED[api_kind])
    return _("Optimization paused until %(when)s. We resume it then.") % {
        "when": when(until, timezone.now(), tz)}


@require_POST
@homeowner_required(controls=True)
def optimization(request: HttpRequest, link: Any, kind: str, device_id: UUID) -> HttpResponse:
    api_kind = OPTIMIZATION_KINDS.get(kind)
    if api_kind is None:
        raise Http404("no optimization switch for this kind of device")
    form = OptimizationForm(request.POST)
    tz = _user_tz(request)
    until = None
    problem = None
    if form.is_valid() and form.cleaned_data["active"] is False:
        typed = form.cleaned_data.get("at")
        try:
            until = services.pause_end(form.cleaned_data.get("until") or "indefinitely", now=timezone.now(), tz=tz,
                                       at=timezone.make_naive(typed) if typed is not None else None)
        except services.PauseChoiceInvalid as exc:
            problem = str(exc)  # already in the homeowner's language (devices/services/pauses.py)
    if not form.is_valid() or problem:
        errors = form.errors.get_json_data() if form.errors else {"until": problem}
        device = _invalid(request, link, api_kind, device_id, services.A_OPTIMIZATION, errors)
        first = problem or next((e[0] for e in form.errors.values()), _("Choose pause or resume."))
        message = _("%(problem)s Nothing was changed.") % {"problem": first}
        if request.htmx and device is not None:
            return _card(request, device, notice=message, level="error", status=422)
        # Without JavaScript the refusal is a page of its own (422), not a redirect that hides the status.
        return _vary(render(request, "dashboard/controls/message_page.html",
                            {"title": _("Nothing was changed"), "message": message}, status=422))
    active = form.cleaned_data["active"]
    try:
        if active:
            device = services.optimization_resume(user=request.user, link=link, kind=api_kind, device_id=device_id)
        else:
            device = services.optimization_pause(user=request.user, link=link, kind=api_kind, device_id=device_id,
                                                 until=until)
    except WriteRateLimited as exc:
        return _rate_limited_card(request, link, api_kind, device_id, exc)
    except WriteUnknown as exc:
        return _unconfirmed(request, link, api_kind, device_id, exc)
    except WriteError as exc:
        return _finish(request, _current(link, api_kind, device_id), exc.message, level=messages.ERROR)
    message = str(RESUMED[api_kind]) if active else _paused_message(api_kind, until, tz)
    return _finish(request, device, message)
