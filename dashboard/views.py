"""Homeowner views: parse the request, call a service, pick a template. No HTTP to Podero here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from devices import services

View = Callable[..., HttpResponse]


def homeowner_required(view: View) -> View:
    """Login required; an htmx request from an expired session is sent to login with HX-Redirect
    (a 302 would make htmx paste the login page into a card). Unlinked accounts get a friendly page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if getattr(request, "htmx", False):
                login = redirect_to_login(request.get_full_path())
                return HttpResponseClientRedirect(login["Location"])
            return redirect_to_login(request.get_full_path())
        link = getattr(request.user, "podero", None)
        if link is None:
            response = render(request, "dashboard/not_connected.html", status=200)
            return response
        return view(request, link, *args, **kwargs)

    return wrapper


@require_GET
@homeowner_required
def home(request: HttpRequest, link: Any) -> HttpResponse:
    overview = services.device_overview(link=link, force=request.GET.get("refresh") == "1")
    template = "dashboard/home.html" + ("#device-cards" if request.htmx else "")
    response = render(request, template, {"overview": overview, "devices": overview.devices})
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker compose: no database, no upstream."""
    return JsonResponse({"status": "ok"})


__all__ = ["home", "healthz", "homeowner_required", "login_required"]
