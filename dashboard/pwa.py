"""Installable, and useful offline: the web app manifest, the service worker and the offline page.

The service worker (templates/pwa/sw.js, served from the root so its scope is the whole site, under
our CSP `script-src 'self'`) caches the static files and the last dashboard the person saw. Without a
network, opening the app shows that page marked "Offline — last updated 14:05", or the offline page.
It keeps one person's page only, tagged with an opaque owner id; logging out clears it (a
`Clear-Site-Data` header on the logout response, and a "forget" message from every signed-out page).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

OWNER_HEADER = "X-Offline-Owner"
STATIC_ASSETS = ("css/app.css", "vendor/htmx-2.0.11.min.js", "js/dashboard.js", "js/pwa.js", "favicon.svg",
                 "icons/icon-192.png")
ICONS = (("icons/icon-192.png", "192x192", "any"), ("icons/icon-512.png", "512x512", "any"),
         ("icons/maskable-192.png", "192x192", "maskable"), ("icons/maskable-512.png", "512x512", "maskable"))


def owner_id(user: Any) -> str:
    """An opaque, stable id of this person for the offline copy (no email or pk in the browser's cache)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"offline-owner:{user.pk}".encode(), hashlib.sha256).hexdigest()[:24]


def mark_offline_copy(response: HttpResponse, user: Any) -> HttpResponse:
    """Let the service worker keep this page (the full dashboard) as the person's offline copy."""
    if user.is_authenticated and response.status_code == 200:
        response[OWNER_HEADER] = owner_id(user)
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def manifest(request: HttpRequest) -> HttpResponse:
    brand = settings.PARTNER.localized()
    data = {
        "name": brand.name,
        "short_name": brand.name if len(brand.name) <= 12 else brand.name.split()[0][:12],
        "description": _("Your home's heat pump, electric car and solar inverter, optimized by Podero."),
        "lang": get_language() or "en",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f6f3",
        "theme_color": brand.primary,
        "icons": [{"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
                  for path, sizes, purpose in ICONS],
    }
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")
    # In the person's language (cookie, account or Accept-Language): a shared cache must keep one per language.
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


def _assets() -> list[str]:
    return [static(path) for path in STATIC_ASSETS]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    assets = _assets()
    offline = reverse("dashboard:offline")
    version = hashlib.sha256(json.dumps([assets, offline, settings.PARTNER.css_version]).encode()).hexdigest()[:12]
    response = render(request, "pwa/sw.js", {"assets_json": json.dumps(assets), "offline_json": json.dumps(offline),
                                              "version_json": json.dumps(version), "owner_header": OWNER_HEADER},
                      content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"  # a new release reaches every browser at its next visit
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the app shows without a network when it has no copy of the person's dashboard. Nothing
    personal: the service worker caches it for everyone who uses this browser."""
    response = render(request, "pwa/offline.html", {"brand": settings.PARTNER.localized()})
    response["Cache-Control"] = "public, max-age=3600"
    patch_vary_headers(response, ["Accept-Language", "Cookie"])  # in the person's language, like the manifest
    return response


class ClearOnLogoutMiddleware:
    """Logging out clears what this browser keeps of the person: the offline copy and the HTTP cache."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "POST" and request.path == reverse("account_logout") and response.status_code in (200, 302):
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response
