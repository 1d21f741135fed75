"""The admin site's own pages: the Podero connection health, and staff signing in where homeowners do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from devices import budget, podero


# --- Connection health (/admin/podero-health/) ---------------------------------------------------
def podero_health(request: HttpRequest) -> HttpResponse:
    """Upstream calls, errors and latency over the last hour, the breaker and the token's expiry."""
    metrics = podero.metrics_last_hour()
    breaker: dict[str, Any] | None = None
    token_expires: datetime | None = None
    config_error = None
    try:
        client = podero.get_client()
        breaker = client.breaker.state()
        expires_at = client.tokens.expires_at()
        token_expires = datetime.fromtimestamp(expires_at, UTC) if expires_at else None
    except podero.PoderoConfigError as exc:
        config_error = str(exc)
    now = datetime.now(UTC)
    context = {
        **admin.site.each_context(request),
        "title": _("Podero connection health"),
        "metrics": metrics,
        "error_percent": metrics["error_rate"] * 100,
        "breaker": breaker,
        "token_expires": token_expires,
        "token_expires_in_s": (token_expires - now).total_seconds() if token_expires else None,
        "config_error": config_error,
        "base_url": settings.PODERO_BASE_URL,
        "org_id": settings.PODERO_ORG_ID,
        "client_id": settings.PODERO_CLIENT_ID,
        "budget_rps": settings.PODERO_MAX_RPS,
        "budget_skipped": budget.skipped_last_hour(),
    }
    return TemplateResponse(request, "admin/podero_health.html", context)


def _staff_only(view: Any) -> Any:
    return admin.site.admin_view(view)  # is_active and is_staff, else the admin login


_site_get_urls = admin.site.get_urls


def _get_urls() -> list[Any]:
    return [path("podero-health/", _staff_only(podero_health), name="podero_health"), *_site_get_urls()]


admin.site.get_urls = _get_urls  # type: ignore[method-assign]


# --- Staff sign in where homeowners do ------------------------------------------------------------
def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The admin's login page, replaced: staff sign in through allauth's login, which limits failed
    attempts per client address and per account (ACCOUNT_RATE_LIMITS["login_failed"]), so the admin is
    no brute-force side door. A signed-in person without staff rights is told so instead of looping."""
    from django.shortcuts import redirect
    from django.utils.http import url_has_allowed_host_and_scheme, urlencode

    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(next_url)
        return TemplateResponse(request, "admin/not_staff.html", {"title": _("No access")}, status=403)
    return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


admin.site.login = admin_login  # type: ignore[method-assign]
