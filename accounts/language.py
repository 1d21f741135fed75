"""The language switcher (header and login page): a plain POST form with two buttons, no JavaScript needed.

The choice is kept in a cookie (for the login page and anyone signed out) and, for a signed-in person,
in their account, so it follows them to other browsers and into their emails.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("language", "")
    target = request.POST.get("next", "") or request.headers.get("referer", "") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if code not in dict(settings.LANGUAGES):
        return response  # nothing to change; back where they were
    translation.activate(code)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language != code:
        user.language = code
        user.save(update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE, path="/",
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=True, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@receiver(user_logged_in, dispatch_uid="accounts.language.adopt_on_login")
def adopt_on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Someone who picked a language on the login page and has none saved keeps it from now on."""
    if request is None or getattr(user, "language", None) != "":
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        user.language = chosen
        user.save(update_fields=["language"])
