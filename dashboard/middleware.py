"""Request id on every log line, and the security headers Django has no setting for."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("dashboard.request")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class RequestIdMiddleware:
    """Takes X-Request-ID from the proxy when it looks sane, else makes one; echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex[:16]
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
        finally:
            _log_request(request, status, started)
            request_id_var.reset(token)
        response["X-Request-ID"] = rid
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "_cached_user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            # A signed-in person's pages and partials are theirs alone: no shared or browser cache keeps them.
            response["Cache-Control"] = "private, no-store"
        return response


def _log_request(request: HttpRequest, status: int, started: float) -> None:
    """One line per request: method, path (never the query string: it can carry tokens), status,
    duration and the user id (not the email). Health checks log at DEBUG so they don't drown the rest."""
    # Only a user some code already loaded: resolving it here would read the session and the database,
    # which /healthz must not touch (the database may be what is down).
    user = getattr(request, "_cached_user", None)
    user_id = user.pk if user is not None and user.is_authenticated else "-"
    level = logging.WARNING if status >= 500 else logging.INFO
    if request.path == "/healthz" and status < 500:
        level = logging.DEBUG
    extra = {
        "method": request.method, "path": request.path[:300], "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1), "user_id": user_id,
    }
    if status == 400:
        try:
            request.get_host()
        except DisallowedHost:
            # A forged Host header: this one line says so (Django's own traceback line is silenced in
            # settings.LOGGING). The value is quoted by the formatter, so it cannot forge lines itself.
            level = logging.WARNING
            extra["reason"] = "disallowed_host"
            extra["host"] = request.META.get("HTTP_HOST", "")[:200]
    log.log(level, "request", extra=extra)
