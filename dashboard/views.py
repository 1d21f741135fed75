"""Homeowner views: parse the request, call a service, pick a template. No HTTP to Podero here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from accounts.services import household_access
from accounts.views import PENDING_INVITE
from devices import podero, services
from devices.schemas import URL_KINDS

from . import cards, history, pwa

View = Callable[..., HttpResponse]
CARD_ORDER = {"inverter": 0, "heat_pump": 1, "electric_vehicle": 2}


def homeowner_required(view: View | None = None, *, controls: bool = False, manage: bool = False) -> Any:
    """Login required, then the home this person sees, resolved in ONE place
    (`accounts.services.household_access`): the owner's own Podero link, or the home they were invited
    into. The view gets that link; `request.household_role` says as whom.

    `controls=True` (every device control and write): a viewer gets 403 before anything is sent;
    `manage=True` (adding and removing devices): everyone but the owner gets 403.
    An htmx request from an expired session is sent to login with HX-Redirect (a 302 would make htmx
    paste the login page into a card). A person without a home gets a friendly page."""
    if view is None:
        return lambda v: homeowner_required(v, controls=controls, manage=manage)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if getattr(request, "htmx", False):
                login = redirect_to_login(request.get_full_path())
                return HttpResponseClientRedirect(login["Location"])
            return redirect_to_login(request.get_full_path())
        access = household_access(request.user, control=controls, manage=manage)  # PermissionDenied -> 403
        if access is None:
            token = request.session.get(PENDING_INVITE)
            if token and not request.htmx:  # signed up through an invitation, then confirmed the address
                return redirect("accounts:household-join", token)
            response = render(request, "dashboard/not_connected.html", status=200)
            return response
        request.household_link = access.link  # type: ignore[attr-defined]
        request.household_role = access.role  # type: ignore[attr-defined]
        return view(request, access.link, *args, **kwargs)

    return wrapper


@require_GET
@homeowner_required
def home(request: HttpRequest, link: Any) -> HttpResponse:
    if "reconnected" in request.GET and not request.htmx:
        # The manufacturer's sign-in sent the homeowner back: what we cached before it is out of date.
        services.invalidate(link=link)
        messages.success(request, _("Welcome back. Podero is checking the connection to your device now."))
    # A poll (htmx) of an open dashboard fetches a list that may hold a newer sync now, not one poll later.
    overview = services.device_overview(link=link, force=request.GET.get("refresh") == "1",
                                        fetch_due=bool(request.htmx))
    services.dashboard_seen(link=link)
    # The home's energy flow (inverters) first, like an energy dashboard; then heat pumps and cars.
    devices = sorted(overview.devices, key=lambda d: CARD_ORDER.get(d.kind, len(CARD_ORDER)))
    version = cards.page_version(request, overview, devices)
    if request.htmx and request.GET.get("v") == version:
        # The poll already shows exactly this: nothing to render or send. The header lets the page say
        # when we last checked with Podero.
        response = HttpResponse(status=204)
        if overview.fetched_at is not None:
            response["X-Data-Fetched-At"] = overview.fetched_at.isoformat()
    else:
        template = "dashboard/home.html" + ("#device-cards" if request.htmx else "")
        response = render(request, template, {"overview": overview, "devices": devices, "version": version,
                                              "cards": cards.render_cards(request, devices)})
        if not request.htmx:
            pwa.mark_offline_copy(response, request.user)  # the service worker may keep it for offline use
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@homeowner_required
def device_detail(request: HttpRequest, link: Any, kind: str, device_id: Any) -> HttpResponse:
    """The device's history (a range picker and charts per kind) and every reading; another
    homeowner's id is a 404 and makes no history call.

    The history region is rendered inline when it is cached (or asked for: `load=1`, or htmx, which
    swaps just that region); otherwise the page comes at once and the region loads after it (htmx
    `load`, or a plain link without JavaScript)."""
    api_kind = URL_KINDS.get(kind)
    if api_kind is None:
        raise Http404("unknown device kind")
    error = None
    device = None
    try:
        device = services.device_get(link=link, kind=api_kind, device_id=device_id)
    except podero.PoderoError as exc:  # never loaded and Podero down: say so, don't 500
        error = services.describe_failure(exc)
    if device is None:
        return render(request, "dashboard/device_detail.html", {"device": None, "error": error})
    zone = history.zone_of(request.user)
    now = services.history._now()
    status = 200
    try:
        rng = history.parse_range(request.GET.get("range"), request.GET.get("date"), zone, now=now)
        load = bool(request.htmx) or request.GET.get("load") == "1"
        page = history.build_history(link=link, device=device, rng=rng, cached_only=not load)
    except history.RangeError as exc:
        rng = history.parse_range(request.GET.get("range") if request.GET.get("range") in history.RANGES
                                  else None, None, zone, now=now)
        page = history.HistoryPage(device=device, range=rng, message=str(exc))
        status = 422 if request.htmx else 400  # htmx swaps a 422 (base.html), so the message shows
    if page.message and status == 200:
        status = 422 if request.htmx else 400
    context = {"device": device, "page": page, "rng": page.range, "zone": zone,
               "links": history.links(request.path, page.range),
               "csv_base": reverse("dashboard:history-csv", kwargs={"kind": device.slug, "device_id": device.id})}
    region = _history_region(request, page, context)
    if request.htmx:
        announce = format_html('<p id="history-status" class="visually-hidden" role="status" hx-swap-oob="true">'
                               '{}</p>', _("Showing %(period)s") % {"period": page.range.title})
        response = HttpResponse(region + announce, status=status)
    else:
        overview = services.device_overview(link=link, kinds=(api_kind,))
        context.update(error=error, overview=overview, history_region=region, card=cards.render_cards(request, [device])[0],
                       extra_rows=sorted(device.extra.items()))
        response = render(request, "dashboard/device_detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _history_region(request: HttpRequest, page: Any, context: dict[str, Any]) -> str:
    """The history region's HTML, from the cache when the same data was drawn for the same viewer
    and range before (a warm page renders no chart template at all)."""
    key = history.region_key(page, path=request.path, language=get_language() or "en")
    html = cache.get(key) if key else None
    if not isinstance(html, str):
        html = render_to_string("dashboard/device_detail.html#history", context, request=request)
        if key:
            cache.set(key, html, history.REGION_TTL_S)
    return mark_safe(html)  # noqa: S308 - our own template's output, cached as rendered


@require_GET
def brand_css(request: HttpRequest) -> HttpResponse:
    """The partner's colours as CSS custom properties: same origin, so the CSP stays `style-src 'self'`.
    Linked with `?v=<hash of the CSS>`, so it can be cached for long and changes with the brand."""
    response = HttpResponse(settings.PARTNER.css(), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Health for load balancers and docker compose, as JSON: the database, Redis and the broker, each
    "ok", "unreachable" or "not used". Never touches the session or the user (the database may be down),
    never calls Podero. 503 only when the database is down; Redis or the broker down is "degraded" (the
    product still serves pages then)."""
    from .health import check_all

    report = check_all()
    status = 503 if report["database"] != "ok" else 200
    response = JsonResponse({"status": "down" if status == 503 else
                             ("ok" if all(v in ("ok", "not used") for v in report.values()) else "degraded"),
                             **report}, status=status)
    response["Cache-Control"] = "no-store"
    return response


__all__ = ["home", "device_detail", "healthz", "homeowner_required", "login_required"]
