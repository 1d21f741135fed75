"""The homeowner's own language setting wins over the cookie and the browser's Accept-Language.

Django's LocaleMiddleware (before authentication) picks the language from the cookie or
Accept-Language; once we know who is signed in, their saved choice (if any) replaces it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import translation

log = logging.getLogger("accounts.language")


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.known = {code for code, _name in settings.LANGUAGES}
        self.skip = {"/healthz"}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = ""
        # No session, no person (probes, bots); /healthz answers without the session or the database.
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.path not in self.skip:
            try:
                user = getattr(request, "user", None)
                chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
            except DatabaseError:  # the page will say what is wrong; the language is not the place to fail
                log.warning("language_setting_unreadable path=%s", request.path)
        if chosen in self.known and chosen != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language() or settings.LANGUAGE_CODE)
        return response
