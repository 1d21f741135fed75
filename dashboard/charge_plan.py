"""The charge plan of an electric vehicle: the daily charge deadline ("ready by") and the weekly schedule.

The same shape as every control (dashboard/controls.py): a POST with CSRF, one service call, the card
(htmx) or a redirect with a message (no JavaScript), and on a form error the form again with what was typed.
The schedule's times are in the homeowner's one time zone (Settings), which is what Podero is sent.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.forms import timezone_label
from devices import services
from devices.podero import PoderoError
from devices.schemas import Device, ElectricVehicle
from devices.services import DayPlan, WriteError, WriteInvalid, WriteRateLimited, WriteUnknown

from .controls import (
    EV,
    FIX_FIELDS,
    NOT_LOADED,
    UNAVAILABLE,
    _card,
    _current,
    _finish,
    _home,
    _invalid,
    _unconfirmed,
    _values,
    _vary,
)
from .forms import ChargeDeadlineForm, WeeklyScheduleForm, apply_helper
from .views import homeowner_required


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
