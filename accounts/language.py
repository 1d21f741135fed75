"""The language switcher (header and login page): a plain POST form with two buttons, no JavaScript needed.

The choice is kept in a cookie (for the login page and anyone signed out) and, for a signed-in person,
in their account, so it follows them to other browsers and into their emails.
"""

from __future__ import annotations

from django.conf import settings
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
    remember_language(response, code)
    return response


def remember_language(response: HttpResponse, code: str) -> None:
    """The switcher's cookie (the choice for the login page and anyone signed out); "" forgets it."""
    if not code:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path="/", samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE, path="/",
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=True, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )

