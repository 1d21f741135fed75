"""The request pipeline every API endpoint shares: faults, bearer auth, JSON errors and call counting.

`api_endpoint` wraps a plain function view. In order: count the request (after the response is
known), draw and apply faults (latency, timeout sleep, 429, 5xx), authenticate the bearer token
(401 `{"detail": "Unauthorized"}` + `WWW-Authenticate: Bearer`), run the view, turn `ApiError` and
`BodyError` into JSON, and corrupt a 200 body when a malformed-payload fault is drawn.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import faults, stats
from .models import AccessToken
from .services import token_lookup
from .validation import BodyError

API_MARKER = "api/partners/v2.0/"
NOT_FOUND = {"detail": "Not Found"}


class ApiError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def not_found() -> ApiError:
    """One answer for every "not yours / not there" case, so nothing leaks existence (§8 #5)."""
    return ApiError(404, NOT_FOUND)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = JsonResponse(body, status=status, safe=False)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def read_json(request: HttpRequest) -> Any:
    """The JSON body, `{}` when empty; 400 `Cannot parse request body` (Ninja's words) when broken."""
    if not request.body:
        return {}
    try:
        return json.loads(request.body)
    except ValueError:
        raise ApiError(400, {"detail": "Cannot parse request body"}) from None


def api_root(request: HttpRequest) -> str:
    """Absolute URL of the API host root as mounted here (`.../simulator` in the product, `/` standalone)."""
    token_url = request.build_absolute_uri(reverse("simulator:token"))
    return token_url.removesuffix("oauth2/token/").rstrip("/")


def api_endpoint(
    *, methods: tuple[str, ...], auth: bool = True
) -> Callable[..., Callable[..., HttpResponse]]:
    """Decorate a view `view(request, token, **url_kwargs)` (or `view(request, **kw)` when auth=False)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            arrived_at = time.time()  # real time, not the simulator's clock: a rate is per real second
            response = _pipeline(view, request, methods, auth, kwargs)
            template = route_template(request)
            stats.record(
                method=request.method or "GET",
                template=template,
                path=request.path,
                status=response.status_code,
                kind=_kind(template),
                arrived_at=arrived_at,
                user=str(kwargs["user"]) if kwargs.get("user") else None,
            )
            return response

        return wrapper

    return decorate


def _pipeline(
    view: Callable[..., HttpResponse],
    request: HttpRequest,
    methods: tuple[str, ...],
    auth: bool,
    kwargs: dict[str, Any],
) -> HttpResponse:
    method = request.method or "GET"
    plan = faults.plan(method=method, path=request.path)
    faults.sleep(plan.latency_s)
    if plan.timeout_s and plan.timeout_phase == "after":
        response = _handle(view, request, methods, auth, kwargs, plan)  # applied; the answer comes late
        faults.sleep(plan.timeout_s)
        return response
    faults.sleep(plan.timeout_s)
    if plan.timeout_s and plan.timeout_phase == "drop":
        return json_response({"detail": _REASONS[504]}, 504)  # never handled (the client has gone)
    if plan.status == 429:
        return json_response({"detail": "Too Many Requests"}, 429, {"Retry-After": str(plan.retry_after)})
    if plan.status:
        return json_response({"detail": _REASONS.get(plan.status, "Server Error")}, plan.status)
    return _handle(view, request, methods, auth, kwargs, plan)


def _handle(
    view: Callable[..., HttpResponse],
    request: HttpRequest,
    methods: tuple[str, ...],
    auth: bool,
    kwargs: dict[str, Any],
    plan: faults.Plan,
) -> HttpResponse:
    method = request.method or "GET"
    try:
        if method not in methods:
            raise ApiError(405, {"detail": "Method not allowed"}, {"Allow": ", ".join(methods)})
        kwargs = dict(kwargs)
        if auth:
            kwargs["token"] = _authenticate(request)
        if plan.boost_error:
            kwargs["internal_error"] = True
        response = view(request, **kwargs)
    except ApiError as exc:
        return json_response(exc.body, exc.status, exc.headers)
    except BodyError as exc:
        return json_response({"detail": exc.detail}, exc.status)
    if (
        plan.malformed
        and response.status_code == 200
        and response.get("Content-Type", "").startswith("application/json")
    ):
        response.content = faults.corrupt(response.content, plan.malformed)
    return response


_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _authenticate(request: HttpRequest) -> AccessToken:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    token = token_lookup(raw.strip()) if scheme.lower() == "bearer" and raw.strip() else None
    if token is None or faults.reject_token(token.token, path=request.path):
        raise ApiError(401, {"detail": "Unauthorized"}, {"WWW-Authenticate": "Bearer"})
    return token


_PARAM_RE = re.compile(r"<(?:\w+:)?(\w+)>")


def route_template(request: HttpRequest) -> str:
    """`/org/{org}/users/{user}/electric-vehicles` for the matched route (relative to the API prefix)."""
    match = getattr(request, "resolver_match", None)
    route = _PARAM_RE.sub(r"{\1}", match.route) if match is not None else request.path
    if API_MARKER in route:
        return "/" + route.split(API_MARKER, 1)[1]
    if "oauth2/" in route:
        return "/oauth2/" + route.split("oauth2/", 1)[1]
    return route


def _kind(template: str) -> str:
    if template.startswith("/oauth2/"):
        return stats.TOKEN
    parts = [p for p in template.split("/") if p and not p.startswith("{")]
    for segment in ("heat-pumps", "electric-vehicles", "inverters", "cues"):
        if segment in parts:
            return segment
    return "users" if "users" in parts else (parts[0] if parts else "")
