"""Homeowner controls: pause/resume optimization, Charge now, the charge deadline, the weekly schedule.

Every change is a POST (CSRF-checked, also from htmx through base.html's hx-headers) that calls one
service in devices.services (ownership check, rate limit, audit log, the one upstream call).
Without JavaScript: post → redirect to the dashboard with a message, or the form page again with the
errors and what was typed. With htmx: only the device's card is swapped
("dashboard/home.html#device-card" with `device` and `notice`).
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.forms import timezone_label
from devices import services
from devices.podero import PoderoError
from devices.schemas import URL_KINDS, BoostState, Device, ElectricVehicle
from devices.services import (
    DayPlan,
    WriteConflict,
    WriteError,
    WriteFailed,
    WriteInvalid,
    WriteRateLimited,
    WriteUnknown,
)

from .forms import ChargeDeadlineForm, WeeklyScheduleForm, apply_helper
from .views import homeowner_required

EV = "electric-vehicles"
OPTIMIZATION_KINDS = {"heat-pump": "heat-pumps", "inverter": "inverters", "electric-vehicle": "electric-vehicles"}
BOOST_POLL_TIMEOUT_S = 180  # stop polling a boost that has not started after three minutes
BOOST_SESSION_KEY = "boost-requested:{id}"

PAUSED = {
    "heat-pumps": gettext_lazy("Optimization paused: your heat pump follows its own schedule until you resume."),
    "inverters": gettext_lazy("Optimization paused: your inverter and battery follow their own settings until you "
                              "resume."),
    "electric-vehicles": gettext_lazy("Smart charging paused: the car charges as soon as it is plugged in until "
                                      "you resume."),
}
RESUMED = {
    "heat-pumps": gettext_lazy("Optimization resumed: Podero optimizes your heat pump again."),
    "inverters": gettext_lazy("Optimization resumed: Podero optimizes your solar inverter again."),
    "electric-vehicles": gettext_lazy("Optimization resumed: Podero optimizes your electric vehicle again."),
}
# Without JavaScript these come back as a message; with htmx the card's own sentence says it (one state,
# one sentence: devices/boost.py), so a successful Charge now adds no notice beside it.
BOOST_STARTING = gettext_lazy("Charge now requested: starting… (usually under a minute).")
BOOST_ARMED = gettext_lazy("Will charge at full power as soon as you plug in.")
BOOST_CANCELLED = gettext_lazy("Charging at full power at the next plug-in is cancelled.")
BOOST_STILL_STARTING = gettext_lazy("Podero is still starting the charge. We keep checking for 3 more minutes.")
FIX_FIELDS = gettext_lazy("Please correct the highlighted fields. Nothing was changed.")
TOO_MANY = gettext_lazy("Too many changes")


# --- Shared responses ----------------------------------------------------------------------------
def _vary(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request"])
    return response


def _card(request: HttpRequest, device: Device, *, notice: str | None = None, level: str = "info",
          status: int = 200, **extra: Any) -> HttpResponse:
    context = {"device": device, "notice": notice, "notice_level": level, **extra}
    return _vary(render(request, "dashboard/home.html#device-card", context, status=status))


def _home(device_id: Any = None) -> str:
    return reverse("dashboard:home") + (f"#device-{device_id}" if device_id else "")


def _finish(request: HttpRequest, device: Device | None, message: str, *, level: int = messages.SUCCESS,
            status: int = 200, **extra: Any) -> HttpResponse:
    """htmx: the card with a notice. No JS (or no device to draw): a message and back to the dashboard."""
    if request.htmx and device is not None:
        return _card(request, device, notice=message, level=messages.DEFAULT_TAGS.get(level, "info"),
                     status=status, **extra)
    messages.add_message(request, level, message)
    if request.htmx:
        return _vary(HttpResponseClientRedirect(_home()))
    return _vary(redirect(_home(getattr(device, "id", None))))


def _current(link: Any, kind: str, device_id: UUID) -> Device | None:
    """The device as last known (for redrawing a card after a refusal); None if it cannot be had."""
    try:
        return services.device_get(link=link, kind=kind, device_id=device_id)
    except PoderoError:
        return None


def _fresh(link: Any, kind: str, device_id: UUID) -> Device | None:
    try:
        return services.device_fetch_fresh(link=link, kind=kind, device_id=str(device_id))
    except PoderoError:
        return _current(link, kind, device_id)


def _rate_limited_card(request: HttpRequest, link: Any, kind: str, device_id: UUID,
                       exc: WriteRateLimited) -> HttpResponse:
    device = _current(link, kind, device_id) if request.htmx else None
    if device is not None:
        return _card(request, device, notice=exc.message, level="error", status=429)
    return _vary(render(request, "dashboard/controls/message_page.html",
                        {"title": TOO_MANY, "message": exc.message}, status=429))


def _unconfirmed(request: HttpRequest, link: Any, kind: str, device_id: UUID, exc: WriteUnknown) -> HttpResponse:
    """Sent, no answer, and a re-read could not tell: say so; the card checks again by itself (htmx) or
    the homeowner can (a plain link). Nothing is sent again."""
    device = _current(link, kind, device_id)
    if request.htmx and device is not None:
        return _card(request, device, notice=exc.message, level="warning", confirm_poll=True)
    return _vary(render(request, "dashboard/controls/message_page.html",
                        {"title": _("Checking your change"), "message": exc.message,
                         "check_url": reverse("dashboard:write-confirm", args=[_slug(kind), device_id])},
                        status=202))


def _slug(api_kind: str) -> str:
    return next(slug for slug, kind in URL_KINDS.items() if kind == api_kind)


CONFIRMED = {
    "saved": (gettext_lazy("Saved: Podero has applied your change."), messages.SUCCESS),
    "not_saved": (gettext_lazy("Not saved — nothing changed. Please try again."), messages.ERROR),
    "gave_up": (gettext_lazy("We still cannot confirm whether your change was saved. Nothing will be sent "
                             "again; please look at the device again in a few minutes."), messages.WARNING),
}


@require_GET
@homeowner_required(controls=True)
def write_confirm(request: HttpRequest, link: Any, kind: str, device_id: UUID) -> HttpResponse:
    """Check a change whose outcome was unknown once more (the card polls this every few seconds)."""
    api_kind = URL_KINDS.get(kind)
    if api_kind is None:
        raise Http404(kind)
    services.device_get(link=link, kind=api_kind, device_id=device_id)  # a foreign id is a 404
    state, _detail = services.check_pending(user=request.user, link=link, device_id=device_id)
    device = _current(link, api_kind, device_id)
    if state == "unknown":
        if request.htmx:
            if device is None:
                return _vary(HttpResponse(status=204))  # nothing to redraw; the next poll tries again
            return _card(request, device, notice=str(services.CHECKING), level="warning", confirm_poll=True)
        return _vary(render(request, "dashboard/controls/message_page.html",
                            {"title": _("Checking your change"), "message": services.CHECKING,
                             "check_url": request.path}, status=202))
    if state == "none":
        if request.htmx and device is not None:
            return _card(request, device)
        return _vary(redirect(_home(device_id)))
    message, level = CONFIRMED[state]
    return _finish(request, device, str(message), level=level)


def _values(request: HttpRequest) -> dict[str, Any]:
    """What was posted, for the audit log of an invalid attempt (no token)."""
    return {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}


def _invalid(request: HttpRequest, link: Any, kind: str, device_id: UUID, action: str,
             errors: dict[str, Any]) -> Device | None:
    """Audit input our own validation refused (a foreign id still raises 404). None: devices unavailable."""
    try:
        return services.write_invalid(user=request.user, link=link, kind=kind, device_id=device_id, action=action,
                                      values=_values(request), errors=errors)
    except WriteFailed:
        return None


UNAVAILABLE = gettext_lazy("Your devices could not be loaded from Podero just now. Please try again in a "
                           "moment.")
NOT_LOADED = gettext_lazy("your devices could not be loaded.")


def _boost_key(device_id: Any) -> str:
    return BOOST_SESSION_KEY.format(id=device_id)


# --- Charge now (EV boost) -----------------------------------------------------------------------
@require_POST
@homeowner_required(controls=True)
def ev_boost(request: HttpRequest, link: Any, device_id: UUID) -> HttpResponse:
    try:
        device = services.ev_boost_start(user=request.user, link=link, device_id=device_id)
    except WriteRateLimited as exc:
        return _rate_limited_card(request, link, EV, device_id, exc)
    except WriteConflict as exc:
        # 409: already charging or full. Not an error: say so and show the car as it is now.
        current = _fresh(link, EV, device_id)
        if isinstance(current, ElectricVehicle) and current.boost_state is BoostState.REQUESTED:
            # "Try again" on a boost that is slow to start: Podero is still at it; check for 3 more minutes.
            request.session[_boost_key(current.id)] = time.time()
            return _finish(request, current, str(BOOST_STILL_STARTING), level=messages.INFO)
        return _finish(request, current, exc.message, level=messages.INFO)
    except WriteUnknown as exc:
        return _unconfirmed(request, link, EV, device_id, exc)
    except WriteError as exc:
        return _finish(request, _current(link, EV, device_id), exc.message, level=messages.ERROR)
    assert isinstance(device, ElectricVehicle)
    if device.boost_state is BoostState.REQUESTED:
        request.session[_boost_key(device.id)] = time.time()
        message = BOOST_STARTING
    elif device.boost_state is BoostState.ONGOING:
        message = _("Charging at full power.")
    elif device.boost_for_next_session or device.is_plugged_in is False:
        message = BOOST_ARMED
    else:
        message = BOOST_STARTING
    if request.htmx:
        return _card(request, device)
    return _finish(request, device, str(message))


@require_POST
@homeowner_required(controls=True)
def ev_boost_cancel(request: HttpRequest, link: Any, device_id: UUID) -> HttpResponse:
    try:
        device = services.ev_boost_cancel(user=request.user, link=link, device_id=device_id)
    except WriteRateLimited as exc:
        return _rate_limited_card(request, link, EV, device_id, exc)
    except WriteUnknown as exc:
        return _unconfirmed(request, link, EV, device_id, exc)
    except WriteError as exc:
        return _finish(request, _current(link, EV, device_id), exc.message, level=messages.ERROR)
    request.session.pop(_boost_key(device.id), None)
    return _finish(request, device, str(BOOST_CANCELLED))


@require_GET
@homeowner_required(controls=True)
def ev_boost_poll(request: HttpRequest, link: Any, device_id: UUID) -> HttpResponse:
    """The card polls this every 3 s while the boost is `requested`. HTTP 286 tells htmx to stop:
    when the state has moved on, after BOOST_POLL_TIMEOUT_S, and (by htmx itself) when the card is gone."""
    if not request.htmx:
        return redirect(_home(device_id))
    key = _boost_key(device_id)
    notice = None
    try:
        device = services.device_fetch_fresh(link=link, kind=EV, device_id=str(device_id))
    except PoderoError as exc:
        device = _current(link, EV, device_id)
        notice = _("Could not check the car just now: %(reason)s Trying again.") % {
            "reason": services.describe_failure(exc)}
        if device is None:
            return _vary(HttpResponse(status=204))  # nothing to redraw; the next poll tries again
    assert isinstance(device, ElectricVehicle)
    started = request.session.get(key)
    if started is None:  # a poll without our POST (another tab, a reload): time it from now
        started = request.session[key] = time.time()
    if device.boost_state is not BoostState.REQUESTED:
        request.session.pop(key, None)
        return _card(request, device, notice=notice, status=286)
    if time.time() - float(started) > BOOST_POLL_TIMEOUT_S:
        request.session.pop(key, None)
        # The card says it ("Still starting after 3 minutes…") and offers to try again.
        return _card(request, device, status=286, boost_poll_stopped=True)
    return _card(request, device, notice=notice, level="warning" if notice else "info")


# --- Charge deadline (daily "ready by") ------------------------------------------------------------
def _deadline_problem(request: HttpRequest, device: Device, form: ChargeDeadlineForm, message: str, *,
                      status: int) -> HttpResponse:
    """Show the form again with the errors and what was typed: in the card (htmx) or on its own page."""
    if request.htmx:
        return _card(request, device, notice=message, level="error", status=status, deadline_form=form)
    return _vary(render(request, "dashboard/controls/deadline_page.html",
                        {"device": device, "form": form, "problem": message}, status=status))


@require_http_methods(["GET", "POST"])
@homeowner_required(controls=True)
def ev_deadline(request: HttpRequest, link: Any, device_id: UUID) -> HttpResponse:
    if request.method == "GET":
        device = _current(link, EV, device_id)
        if device is None:
            return _finish(request, None, UNAVAILABLE, level=messages.ERROR)
        return render(request, "dashboard/controls/deadline_page.html",
                      {"device": device, "form": ChargeDeadlineForm.for_device(device)})
    form = ChargeDeadlineForm(request.POST, device_id=str(device_id))
    if not form.is_valid():
        device = _invalid(request, link, EV, device_id, services.A_DEADLINE, form.errors.get_json_data())
        if device is None:
            return _finish(request, None, services.NOT_SAVED.format(reason=NOT_LOADED),
                           level=messages.ERROR)
        return _deadline_problem(request, device, form, FIX_FIELDS, status=422)
    enabled = form.cleaned_data["enabled"]
    try:
        device = services.ev_charge_deadline_set(
            user=request.user, link=link, device_id=device_id, enabled=enabled,
            minimum_charge_limit=form.cleaned_data.get("minimum_charge_limit") if enabled else None,
            deadline=form.cleaned_data.get("charge_deadline_at") if enabled else None,
        )
    except WriteUnknown as exc:
        return _unconfirmed(request, link, EV, device_id, exc)
    except WriteError as exc:
        current = _current(link, EV, device_id)
        if current is None:
            return _finish(request, None, exc.message, level=messages.ERROR)
        if isinstance(exc, WriteInvalid):
            form.add_upstream_errors(exc.field_errors)
        return _deadline_problem(request, current, form, exc.message,
                                 status=429 if isinstance(exc, WriteRateLimited)
                                 else 422 if isinstance(exc, WriteInvalid) else 200)
    assert isinstance(device, ElectricVehicle)
    if enabled:
        message = _("Charge deadline saved: at least %(level)s %% by %(time)s every day.") % {
            "level": formats.number_format(device.minimum_charge_limit),
            "time": formats.time_format(form.cleaned_data["charge_deadline_at"], "TIME_FORMAT")}
    else:
        message = _("Charge deadline turned off: charging is fully cost-optimized.")
    return _finish(request, device, message)


# --- Weekly schedule --------------------------------------------------------------------------------
def _schedule_page(request: HttpRequest, device: ElectricVehicle, form: WeeklyScheduleForm | None, *,
                   problem: str | None = None, status: int = 200, **extra: Any) -> HttpResponse:
    context = {"device": device, "form": form, "problem": problem,
               "deadline_form": ChargeDeadlineForm.for_device(device), **extra}
    if form is not None:
        context["zone_label"] = timezone_label(form.zone)
        if extra.get("saved_zone"):
            context["saved_zone_label"] = timezone_label(extra["saved_zone"])
    return _vary(render(request, "dashboard/schedule.html", context, status=status))


@require_http_methods(["GET", "POST"])
@homeowner_required(controls=True)
def ev_schedule(request: HttpRequest, link: Any, device_id: UUID) -> HttpResponse:
    zone = getattr(request.user, "timezone", "") or settings.TIME_ZONE  # the one time zone setting
    if request.method == "GET":
        device = _current(link, EV, device_id)
        if not isinstance(device, ElectricVehicle):
            return _finish(request, None, UNAVAILABLE, level=messages.ERROR)
        if device.is_charge_policy_enabled is not True:
            return _schedule_page(request, device, None)
        fallback = DayPlan(percentage=device.minimum_charge_limit, deadline=device.charge_deadline)
        try:
            policy = services.ev_charge_policy_get(link=link, device_id=device.id)
            problem = None
        except PoderoError as exc:
            policy = None
            problem = _("Your current weekly schedule could not be loaded (%(reason)s) "
                        "The form shows your daily deadline instead.") % {"reason": services.describe_failure(exc)}
        initial = WeeklyScheduleForm.initial_from(policy, fallback=fallback)
        return _schedule_page(request, device, WeeklyScheduleForm(initial=initial, zone=zone), problem=problem,
                              saved_zone=policy.timezone if policy and policy.timezone != zone else None)

    action = request.POST.get("action", "save")
    if action != "save":
        # "Copy Monday to weekdays" and the weekend presets change the form only, never Podero.
        device = _current(link, EV, device_id)
        if not isinstance(device, ElectricVehicle):
            return _finish(request, None, UNAVAILABLE, level=messages.ERROR)
        changed = apply_helper(action, _values(request))
        if changed is None:
            return _schedule_page(request, device, WeeklyScheduleForm(request.POST, zone=zone),
                                  problem=_("That button is not known. Nothing was changed."), status=400)
        changed.pop("action", None)
        return _schedule_page(request, device, WeeklyScheduleForm(initial=changed, zone=zone), helper_used=action)

    form = WeeklyScheduleForm(request.POST, zone=zone)
    if not form.is_valid():
        device = _invalid(request, link, EV, device_id, services.A_POLICY, form.errors.get_json_data())
    else:
        try:  # a foreign id is audited and answered 404 before anything is sent
            device = services.device_get_for_write(user=request.user, link=link, kind=EV, device_id=device_id,
                                                   action=services.A_POLICY, values=_values(request))
        except PoderoError:
            device = None
    if not isinstance(device, ElectricVehicle):
        return _finish(request, None, services.NOT_SAVED.format(reason=NOT_LOADED),
                       level=messages.ERROR)
    if form.errors:
        return _schedule_page(request, device, form, problem=FIX_FIELDS, status=422)
    if device.is_charge_policy_enabled is not True:
        _invalid(request, link, EV, device_id, services.A_POLICY, {"__all__": "the charge policy is off"})
        return _schedule_page(request, device, None, status=409,
                              problem=_("Turn on the charge deadline first; the weekly schedule applies only "
                                        "then. Nothing was changed."))
    try:
        services.ev_charge_policy_set(user=request.user, link=link, device_id=device_id, policy=form.to_policy())
    except WriteUnknown as exc:
        # What was typed stays in the form; the page says we are checking and links the check.
        return _schedule_page(request, device, form, problem=exc.message, status=202,
                              check_url=reverse("dashboard:write-confirm", args=["electric-vehicle", device_id]))
    except WriteError as exc:
        if isinstance(exc, WriteInvalid):
            form.add_upstream_errors(exc.field_errors)
        status = 429 if isinstance(exc, WriteRateLimited) else 422 if isinstance(exc, WriteInvalid) else 200
        return _schedule_page(request, device, form, problem=exc.message, status=status)
    messages.success(request, _("Weekly charging schedule saved for %(name)s.") % {"name": device.name})
    if request.htmx:
        return _vary(HttpResponseClientRedirect(_home(device.id)))
    return redirect(_home(device.id))


# --- Reconnect a device (the manufacturer's sign-in) ----------------------------------------------
RECONNECT_FAILED = gettext_lazy("We could not open the manufacturer's sign-in just now: %(reason)s Please try "
                                "again in a moment.")


@require_POST
@homeowner_required(controls=True)
def device_reconnect(request: HttpRequest, link: Any, kind: str, device_id: UUID) -> HttpResponse:
    """Start the reconnect flow server-side (the resolution link needs our token), then send the homeowner
    on to the manufacturer. An interstitial page does the hand-over: a meta refresh plus a plain link, so it
    works without JavaScript and a redirect out of a form post never meets CSP's form-action."""
    api_kind = URL_KINDS.get(kind)
    if api_kind is None:
        raise Http404(kind)
    raw_index = request.POST.get("action", "")
    action_index = int(raw_index) if raw_index.isdigit() else None
    home = request.build_absolute_uri(reverse("dashboard:home"))
    try:
        url = services.device_reconnect_start(
            user=request.user, link=link, kind=api_kind, device_id=device_id, action_index=action_index,
            success_url=f"{home}?reconnected={device_id}", cancel_url=home, language=_primary_language(),
        )
    except WriteRateLimited as exc:
        return render(request, "dashboard/controls/message_page.html",
                      {"title": TOO_MANY, "message": exc.message}, status=429)
    except WriteError as exc:
        # Why Podero failed, in one sentence (the Podero error the write was refused with, when there is one).
        cause = exc.__cause__ if isinstance(exc.__cause__, PoderoError) else exc
        message = RECONNECT_FAILED % {"reason": services.describe_failure(cause)}
        return render(request, "dashboard/controls/message_page.html",
                      {"title": _("Reconnect"), "message": message}, status=502)
    device = _current(link, api_kind, device_id)
    return render(request, "dashboard/controls/reconnect_page.html", {"url": url, "device": device})


def _primary_language() -> str:
    """The active language as Podero's IETF tag, reduced to its primary subtag ("de-at" → "de")."""
    return (translation.get_language() or "en").split("-", 1)[0].split("_", 1)[0].lower()
