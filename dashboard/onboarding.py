"""Adding a device (Podero's device onboarding) and removing one. Views only: the services do the work.

Add: the dashboard's "Add a device" button POSTs here (CSRF); we open a Podero onboarding session and
hand the browser over to Podero's Connect UI with a page of our own (a meta refresh plus a plain link,
as for Reconnect: a redirect out of a form post would meet CSP's form-action). Podero sends the
homeowner back to our status page (success_url), which checks the session every 2 s (htmx; without JS
a meta refresh and a "Check again" link) until the device exists, then goes to the dashboard with a
message; or back to our cancel page (cancel_url) when they cancelled or the sign-in failed.

Remove: the device page links to a confirmation page (works without JS); its POST soft-deletes the
device at Podero and goes back to the dashboard with a message.

Both are the home owner's alone: members and viewers get 403 (`homeowner_required(manage=True)`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from devices import services
from devices.models import DeviceOnboarding
from devices.podero import PoderoError
from devices.schemas import URL_KINDS, Device
from devices.services import WriteError, WriteRateLimited, WriteUnknown

from .views import homeowner_required

POLL_EVERY_S = 2  # the return page asks Podero this often; the homeowner has just finished signing in
NO_JS_REFRESH_S = 5  # without JavaScript the page reloads itself a little less eagerly
# A page left open stops asking by itself after this long (the session stays valid for a day or two):
# finishing at the manufacturer takes a minute or two; after that "Check again" asks once more.
POLL_FOR_S = 15 * 60
State = DeviceOnboarding.State


def _vary(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request"])
    return response


def _go(request: HttpRequest, url: str) -> HttpResponse:
    return _vary(HttpResponseClientRedirect(url) if request.htmx else redirect(url))


def _home(device_id: Any = None) -> str:
    return reverse("dashboard:home") + (f"#device-{device_id}" if device_id else "")


def _message_page(request: HttpRequest, title: str, message: str, *, status: int,
                  check_url: str | None = None, retry_add: bool = False) -> HttpResponse:
    return _vary(render(request, "dashboard/devices/message.html",
                        {"title": title, "message": message, "check_url": check_url, "retry_add": retry_add},
                        status=status))


def _why(exc: WriteError) -> str:
    """What went wrong, in the homeowner's language (never an API code)."""
    if isinstance(exc, WriteRateLimited):
        return _("You have made many changes in the last minute. Please wait a minute and try again.")
    if isinstance(exc, WriteUnknown):
        return _("Podero did not answer in time.")
    return _("Podero could not be reached or did not accept the request.")


# --- Add a device ----------------------------------------------------------------------------------
@require_POST
@homeowner_required(manage=True)
def device_add(request: HttpRequest, link: Any) -> HttpResponse:
    def return_urls(ref: UUID) -> tuple[str, str]:
        done = request.build_absolute_uri(reverse("dashboard:device-add-status", args=[ref]))
        cancelled = request.build_absolute_uri(reverse("dashboard:device-add-cancelled", args=[ref]))
        return done, cancelled

    try:
        started = services.onboarding_start(user=request.user, link=link,
                                            language=get_language() or "", return_urls=return_urls)
    except WriteError as exc:
        status = 429 if isinstance(exc, WriteRateLimited) else 502
        message = _why(exc) + " " + _("No device was added.")
        return _message_page(request, _("Add a device"), message, status=status, retry_add=status != 429)
    return _vary(render(request, "dashboard/devices/add_handover.html", {"url": started.authentication_url}))


@require_GET
@homeowner_required(manage=True)
def device_add_status(request: HttpRequest, link: Any, ref: UUID) -> HttpResponse:
    """Podero's success_url: wait for the device, then show it on the dashboard."""
    status = services.onboarding_status(user=request.user, link=link, ref=ref)  # another's ref: 404
    if status.state == State.DONE:
        device: Device | None = status.device
        if device is not None:
            messages.success(request, _("%(name)s was added to your home. Podero optimizes it from now on.")
                             % {"name": device.name})
        else:
            messages.success(request, _("Your new device was added. It appears here as soon as Podero lists it."))
        return _go(request, _home(device.id if device is not None else None))
    waiting = status.state == State.WAITING
    polling = waiting and (status.started_at is None
                           or (timezone.now() - status.started_at).total_seconds() < POLL_FOR_S)
    context = {"status": status, "poll_every": POLL_EVERY_S, "no_js_refresh": NO_JS_REFRESH_S,
               "waiting": waiting, "polling": polling, "retry_add": not waiting}
    if request.htmx:
        # 286 stops htmx polling once there is nothing more to wait for (or it has waited long enough).
        return _vary(render(request, "dashboard/devices/add_status.html#onboarding-status", context,
                            status=200 if polling else 286))
    return _vary(render(request, "dashboard/devices/add_status.html", context))


@require_GET
@homeowner_required(manage=True)
def device_add_cancelled(request: HttpRequest, link: Any, ref: UUID) -> HttpResponse:
    """Podero's cancel_url: the homeowner cancelled, or the sign-in at the manufacturer failed."""
    status = services.onboarding_cancelled(user=request.user, link=link, ref=ref)  # another's ref: 404
    if status.state == State.DONE:
        return _go(request, reverse("dashboard:device-add-status", args=[ref]))
    return _vary(render(request, "dashboard/devices/add_status.html",
                        {"status": status, "waiting": False, "retry_add": True}))


# --- Remove a device -------------------------------------------------------------------------------
def _api_kind(kind: str) -> str:
    api_kind = URL_KINDS.get(kind)
    if api_kind is None:
        raise Http404(kind)
    return api_kind


@require_http_methods(["GET", "POST"])
@homeowner_required(manage=True)
def device_remove(request: HttpRequest, link: Any, kind: str, device_id: UUID) -> HttpResponse:
    api_kind = _api_kind(kind)
    if request.method == "GET":
        try:
            device = services.device_get(link=link, kind=api_kind, device_id=device_id)  # another's: 404
        except PoderoError:
            return _message_page(request, _("Remove a device"),
                                 _("Your devices could not be loaded from Podero just now. Please try again in a "
                                   "moment."), status=502)
        return render(request, "dashboard/devices/remove_confirm.html", {"device": device})
    try:
        device = services.device_remove(user=request.user, link=link, kind=api_kind, device_id=device_id)
    except WriteUnknown:
        check = reverse("dashboard:device-remove-check", args=[kind, device_id])
        return _message_page(request, _("Removing your device"),
                             _("Podero did not answer in time. We are checking whether the device was removed; "
                               "nothing will be sent again."), status=202, check_url=check)
    except WriteError as exc:
        message = _why(exc) + " " + _("The device was not removed.")
        return _message_page(request, _("Remove a device"), message,
                             status=429 if isinstance(exc, WriteRateLimited) else 502)
    messages.success(request, _("%(name)s was removed from your home.") % {"name": device.name})
    return _go(request, _home())


@require_GET
@homeowner_required(manage=True)
def device_remove_check(request: HttpRequest, link: Any, kind: str, device_id: UUID) -> HttpResponse:
    """A removal whose answer was lost: check once more (only this person's own pending write exists)."""
    _api_kind(kind)
    state, _kind = services.check_pending(user=request.user, link=link, device_id=device_id)
    if state == "unknown":
        return _message_page(request, _("Removing your device"),
                             _("We could not confirm yet whether the device was removed. Nothing will be sent "
                               "again."), status=202, check_url=request.path)
    if state == "saved":
        messages.success(request, _("The device was removed from your home."))
    elif state == "not_saved":
        messages.error(request, _("The device was not removed. Please try again."))
    elif state == "gave_up":
        messages.warning(request, _("We still cannot confirm whether the device was removed. Please look again in "
                                    "a few minutes."))
    return _go(request, _home())
