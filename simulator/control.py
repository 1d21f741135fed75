"""Control endpoints under `_sim/` for out-of-process tests and the benchmark (never counted, never faulted).

POST /_sim/clock          {"frozen_at": iso | null} or {"advance_s": n}    GET shows it
POST /_sim/faults         faults.configure(**body); {"reset": true} first   GET shows them
GET  /_sim/stats          stats.snapshot() (?detail=1: per second and per user too);  POST /_sim/stats/reset
POST /_sim/config         {"token_ttl_s": n, "boost_delay_s": n, "state_offset_s": n, "state_spread_s": n}
POST /_sim/devices/{id}/plug    {"plugged_in": bool}
POST /_sim/devices/{id}/reauth  -> {"cue_id": ...}
POST /_sim/devices/{id}/stale   {"hours": h}  (0 = live again)
POST /_sim/reset-demo     ensure_demo(reset=True);  GET /_sim/demo
GET  /_sim/connect/{id}   the fake Connect UI: re-links the device, then redirects to successUrl
GET  /_sim/connect?onboarding_session_id=…   the onboarding Connect UI (simulator.onboarding_views)
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import clock, config, faults, render, services, stats
from .demo import ensure_demo
from .models import Device


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=400)


def _device(device_id: uuid.UUID) -> Device | None:
    return Device.objects.select_related("owner").filter(pk=device_id).first()


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sim_clock(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        body = _body(request)
        try:
            if "frozen_at" in body:
                if body["frozen_at"] is None:
                    clock.unfreeze()
                else:
                    clock.freeze(clock.parse_iso(str(body["frozen_at"])))
            if body.get("advance_s"):
                if not clock.is_frozen():
                    clock.freeze()
                clock.advance(timedelta(seconds=float(body["advance_s"])))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
    return JsonResponse({"now": clock.iso(clock.now()), "frozen": clock.is_frozen()})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sim_faults(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        body = _body(request)
        if body.pop("reset", False):
            faults.reset()
        try:
            faults.configure(**body)
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
    return JsonResponse(faults.current())


@csrf_exempt
@require_GET
def sim_stats(request: HttpRequest) -> JsonResponse:
    return JsonResponse(stats.snapshot(detail=request.GET.get("detail") == "1"))


@csrf_exempt
@require_POST
def sim_stats_reset(request: HttpRequest) -> JsonResponse:
    stats.reset()
    return JsonResponse(stats.snapshot())


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sim_config(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        body = _body(request)
        try:
            config.configure(token_ttl_s=body.get("token_ttl_s"), boost_delay_s=body.get("boost_delay_s"),
                             state_offset_s=body.get("state_offset_s"), state_spread_s=body.get("state_spread_s"))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))
    return JsonResponse(config.snapshot())


@csrf_exempt
@require_POST
def sim_plug(request: HttpRequest, device_id: uuid.UUID) -> JsonResponse:
    device = _device(device_id)
    if device is None or device.kind != Device.ELECTRIC_VEHICLE:
        return JsonResponse({"detail": "Not Found"}, status=404)
    plugged = _body(request).get("plugged_in")
    if not isinstance(plugged, bool):
        return _bad("plugged_in must be a boolean")
    services.ev_set_plugged(device, plugged)
    return JsonResponse({"id": str(device.id), "plugged_in": plugged})


@csrf_exempt
@require_POST
def sim_reauth(request: HttpRequest, device_id: uuid.UUID) -> JsonResponse:
    device = _device(device_id)
    if device is None:
        return JsonResponse({"detail": "Not Found"}, status=404)
    cue = services.require_reauth(device)
    return JsonResponse({"id": str(device.id), "cue_id": str(cue.id)})


@csrf_exempt
@require_POST
def sim_stale(request: HttpRequest, device_id: uuid.UUID) -> JsonResponse:
    device = _device(device_id)
    if device is None:
        return JsonResponse({"detail": "Not Found"}, status=404)
    try:
        hours = float(_body(request).get("hours", 2))
    except (TypeError, ValueError):
        return _bad("hours must be a number")
    if hours > 0:
        services.make_stale(device, hours)
    else:
        services.make_live(device)
    return JsonResponse({"id": str(device.id), "frozen_at": clock.iso(device.frozen_at)})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sim_demo(request: HttpRequest) -> JsonResponse:
    info = ensure_demo(reset=request.method == "POST")
    return JsonResponse(dataclasses.asdict(info))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sim_connect(request: HttpRequest, device_id: uuid.UUID) -> HttpResponse:
    """The fake Connect UI: re-link the device and send the user back to the partner app."""
    device = _device(device_id)
    if device is None:
        return HttpResponse("Unknown device", status=404, content_type="text/plain")
    services.reconnect(device)
    # Only the URLs signed into `state` when the session was made; a successUrl in the query is ignored.
    targets = render.connect_targets(str(device.id), request.GET.get("state", ""))
    target = targets[0] if targets else ""
    if target.startswith(("http://", "https://")):
        return HttpResponseRedirect(target)
    return HttpResponse(
        f"<!doctype html><title>Connected</title><p>{escape(str(device))} is connected again.</p>"
    )
