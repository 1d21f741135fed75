"""Device onboarding: the two API endpoints (addendum §1b, fact sheet §2 #41/#42) and the Connect UI page.

POST /api/partners/v2.0/device-onboarding        body §3.10 -> 200 the session (authentication_url, ...)
GET  /api/partners/v2.0/device-onboarding/{id}   -> 200 the session; 404 when not the token's org's
GET  /_sim/connect?onboarding_session_id=…       the Connect UI: pick a kind, then a manufacturer and sign in
POST /_sim/connect                               connect (creates the device) or cancel

The Connect UI is a plain server-rendered form (no JavaScript). It redirects only to the success_url or
cancel_url stored in the session, never to one in its query string or form. A sign-in with the password
"wrong" stands for a refused manufacturer login: unsuccessful, so it goes to the cancel_url (§3.10).
An expired session answers 410 with a page; a completed one sends the browser to the success_url again.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from . import onboarding, validation
from .http import api_endpoint, api_root, json_response, not_found, read_json
from .models import AccessToken, OnboardingSession, PoderoUser


# --- API --------------------------------------------------------------------------------------
@api_endpoint(methods=("POST",))
def create(request: HttpRequest, token: AccessToken) -> HttpResponse:
    fields = validation.validate(read_json(request), validation.onboarding_schema(),
                                 required=validation.ONBOARDING_REQUIRED)
    user = PoderoUser.objects.filter(pk=fields["user_id"], org_id=token.org_id, deleted_at__isnull=True).first()
    if user is None:
        raise not_found()  # §8 #5: a user outside the token's org reads as not there
    session = onboarding.create(user=user, fields=fields)
    return json_response(onboarding.payload(session, root=api_root(request)))


@api_endpoint(methods=("GET",))
def detail(request: HttpRequest, token: AccessToken, session_id: uuid.UUID) -> HttpResponse:
    session = OnboardingSession.objects.select_related("user").filter(pk=session_id, org_id=token.org_id).first()
    if session is None:
        raise not_found()
    return json_response(onboarding.payload(session, root=api_root(request)))


# --- The Connect UI ---------------------------------------------------------------------------
def _session(raw: str) -> OnboardingSession | None:
    try:
        session_id = uuid.UUID(str(raw))
    except ValueError:
        return None
    return OnboardingSession.objects.select_related("user").filter(pk=session_id).first()


def _go(url: str, request: HttpRequest, session: OnboardingSession, outcome: str) -> HttpResponse:
    if url.lower().startswith(("http://", "https://")):
        return HttpResponseRedirect(url, status=303) if request.method == "POST" else HttpResponseRedirect(url)
    return _page(request, session, outcome=outcome)


def _page(request: HttpRequest, session: OnboardingSession | None, *, status: int = 200, **context: object) -> HttpResponse:
    return render(request, "simulator/connect.html", {"session": session, **context}, status=status)


@csrf_protect
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    session = _session(data.get("onboarding_session_id", ""))
    if session is None:
        return _page(request, None, status=404, problem="This connection link is not known.")
    if session.object_id is not None:
        return _go(session.success_url, request, session, "connected")
    if onboarding.is_expired(session):
        return _page(request, session, status=410, expired=True,
                     problem="This connection link has expired. Please start again from your energy provider's app.")
    offered = onboarding.kinds_offered(session)
    if request.method == "POST" and data.get("action") == "cancel":
        return _go(session.cancel_url, request, session, "cancelled")
    kind = data.get("kind") or (offered[0] if len(offered) == 1 else "")
    if kind not in offered:
        problem = "" if not kind else "Please choose one of the devices listed."
        if not offered:
            problem = "This kind of device cannot be connected here."
        return _page(request, session, status=422 if kind else 200, step="kind", offered=offered,
                     labels=onboarding.KIND_LABELS, problem=problem)
    manufacturers = onboarding.MANUFACTURERS[kind]
    context = {"step": "sign_in", "kind": kind, "kind_label": onboarding.KIND_LABELS[kind],
               "manufacturers": list(manufacturers), "offered": offered}
    if request.method == "GET":
        return _page(request, session, **context)
    manufacturer, email, password = data.get("manufacturer", ""), data.get("email", "").strip(), data.get("password", "")
    if manufacturer not in manufacturers or not email or not password:
        return _page(request, session, status=422, chosen=manufacturer, email=email,
                     problem="Choose the manufacturer and enter the email and password of that account.", **context)
    if password == onboarding.FAILING_PASSWORD:
        return _go(session.cancel_url, request, session, "failed")  # unsuccessful: back via the cancel_url
    onboarding.complete(session, kind=kind, manufacturer=manufacturer)
    return _go(session.success_url, request, session, "connected")
