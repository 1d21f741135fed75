"""The Partner API v2.0 endpoints (fact sheet §2): token, users, devices, EV boost and charge policy, cues.

Each view only scopes the request to the token's org (404 for anything outside it), validates the
body, calls `services` and renders with `render`. The shared pipeline (faults, auth, counting, JSON
errors) lives in `simulator.http`.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare

from . import clock, config, render, services, validation
from .defaults import URL_KINDS
from .http import ApiError, api_endpoint, api_root, json_response, no_content, not_found, read_json
from .models import AccessToken, Cue, Device, OAuthClient, PoderoUser

FIRST_DATA_DELAY = timedelta(minutes=5)  # a newly registered device reports after one refresh cycle


# --- OAuth2 client credentials (§1, §8 #1) ----------------------------------------------------
@api_endpoint(methods=("POST",), auth=False)
def token(request: HttpRequest) -> HttpResponse:
    client = _basic_client(request)
    if client is None:
        raise ApiError(401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="podero"'})
    grant = _grant_type(request)
    if grant is None:
        raise ApiError(400, {"error": "invalid_request"})
    if grant != "client_credentials":
        raise ApiError(400, {"error": "unsupported_grant_type"})
    issued = services.token_issue(client=client)
    body = {
        "access_token": issued.token,
        "expires_in": config.token_ttl_s(),
        "token_type": "Bearer",
        "scope": "read write",
    }
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _basic_client(request: HttpRequest) -> OAuthClient | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client = OAuthClient.objects.filter(client_id=client_id).first() if sep else None
    if client is None or not constant_time_compare(client.client_secret, secret):
        return None
    return client


def _grant_type(request: HttpRequest) -> str | None:
    if request.content_type == "application/json":
        body = read_json(request)
        return body.get("grant_type") if isinstance(body, dict) else None
    return request.POST.get("grant_type")


# --- Scoping ----------------------------------------------------------------------------------
def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "").lower() in ("1", "true", "yes")


def _scoped_user(
    token: AccessToken, org: uuid.UUID, user: uuid.UUID, *, include_deleted: bool = False
) -> PoderoUser:
    if token.org_id != org:
        raise not_found()
    users = PoderoUser.objects.filter(pk=user, org_id=org)
    if not include_deleted:
        users = users.filter(deleted_at__isnull=True)
    found = users.first()
    if found is None:
        raise not_found()
    return found


def _devices(owner: PoderoUser, kind: str) -> QuerySet[Device]:
    active = Cue.objects.exclude(status=Cue.DONE).order_by("created_at")
    return (
        Device.objects.filter(owner=owner, kind=kind)
        .select_related("owner")
        .prefetch_related(Prefetch("cues", queryset=active, to_attr="active_cues"))
        .order_by("created_at", "id")
    )


def _scoped_device(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, kind: str, device: uuid.UUID
) -> Device:
    include_deleted = _flag(request, "include_deleted") and request.method == "GET"
    owner = _scoped_user(token, org, user)
    found = _devices(owner, URL_KINDS[kind]).filter(pk=device).first()
    if found is None or (found.deleted_at is not None and not include_deleted):
        raise not_found()
    return found


def _device_json(request: HttpRequest, device: Device) -> dict[str, Any]:
    return render.device_payload(device, now=clock.now(), root=api_root(request))


# --- Users (§3.7) -----------------------------------------------------------------------------
@api_endpoint(methods=("GET", "POST"))
def users(request: HttpRequest, token: AccessToken, org: uuid.UUID) -> HttpResponse:
    if token.org_id != org:
        raise not_found()
    if request.method == "GET":
        rows = PoderoUser.objects.filter(org_id=org).order_by("created_at", "id")
        if not _flag(request, "include_deleted"):
            rows = rows.filter(deleted_at__isnull=True)
        return json_response([render.user_payload(u) for u in rows])
    fields = validation.validate(read_json(request), validation.user_schema(), required=("role", "email"))
    _refuse_duplicate_email(org, fields["email"])
    now = clock.now()
    created = PoderoUser(org_id=org, created_at=now)
    _apply_user_fields(created, fields, now)
    created.save()
    return json_response(render.user_payload(created))


@api_endpoint(methods=("GET", "PUT", "DELETE"))
def user_detail(request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID) -> HttpResponse:
    found = _scoped_user(
        token, org, user, include_deleted=request.method == "GET" and _flag(request, "include_deleted")
    )
    if request.method == "DELETE":
        found.deleted_at = clock.now()
        found.save(update_fields=["deleted_at"])
        return no_content()
    if request.method == "PUT":
        fields = validation.validate(read_json(request), validation.user_schema())
        if "email" in fields and fields["email"].lower() != found.email.lower():
            _refuse_duplicate_email(org, fields["email"])
        _apply_user_fields(found, fields, clock.now())
        found.save()
    return json_response(render.user_payload(found))


def _refuse_duplicate_email(org: uuid.UUID, email: str) -> None:
    if PoderoUser.objects.filter(org_id=org, email__iexact=email, deleted_at__isnull=True).exists():
        raise ApiError(409, {"detail": "User with this email already exists"})


def _apply_user_fields(user: PoderoUser, fields: dict[str, Any], now: Any) -> None:
    if "country_iso2" in fields:  # §8 #31: accept both keys, emit `country`
        fields = {**fields, "country": fields.pop("country_iso2")}
    for key, value in fields.items():
        setattr(user, key, value)
    if "latitude" in fields or "longitude" in fields:
        user.location_last_updated = now


# --- Devices (§3.1–§3.4) ----------------------------------------------------------------------
@api_endpoint(methods=("GET", "POST"))
def devices(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, kind: str
) -> HttpResponse:
    owner = _scoped_user(token, org, user)
    if request.method == "POST":
        fields = _validated_device_fields(request, kind, owner, current={})
        created = services.device_register(
            owner=owner, kind=URL_KINDS[kind], fields=fields, first_data_delay=FIRST_DATA_DELAY
        )
        return json_response(_device_json(request, _devices(owner, URL_KINDS[kind]).get(pk=created.pk)))
    rows = _devices(owner, URL_KINDS[kind])
    if not _flag(request, "include_deleted"):
        rows = rows.filter(deleted_at__isnull=True)
    now, root = clock.now(), api_root(request)
    return json_response([render.device_payload(d, now=now, root=root) for d in rows])


@api_endpoint(methods=("GET", "PUT"))
def device_detail(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, kind: str, device: uuid.UUID
) -> HttpResponse:
    found = _scoped_device(request, token, org, user, kind, device)
    if request.method == "PUT":
        fields = _validated_device_fields(request, kind, found.owner, current=found.attrs)
        services.device_update(found, fields)
        found = _devices(found.owner, found.kind).get(pk=found.pk)
    return json_response(_device_json(request, found))


def _validated_device_fields(
    request: HttpRequest, kind: str, owner: PoderoUser, current: dict[str, Any]
) -> dict[str, Any]:
    schema = {
        "heat-pumps": validation.heat_pump_schema,
        "electric-vehicles": lambda: validation.electric_vehicle_schema(owner.timezone),
        "inverters": validation.inverter_schema,
    }[kind]()
    body = read_json(request)
    fields = validation.validate(body, schema, read_only=_READ_ONLY)
    merged = {**current, **fields}
    if kind == "heat-pumps":
        validation.require_order(merged, "minimum_temperature_limit", "maximum_temperature_limit")
    elif kind == "inverters":
        validation.require_order(merged, "min_battery_charge", "max_battery_charge")
        if merged.get("is_battery_connected") and not merged.get("battery_capacity_kwh"):
            raise validation.BodyError(
                422,
                [
                    validation.error_item(
                        "value_error",
                        ("battery_capacity_kwh",),
                        "battery_capacity_kwh is required when a battery is connected",
                    )
                ],
            )
    return fields


_READ_ONLY = frozenset(
    {
        "id",
        "connection_status",
        "monitoring_status",
        "steering_status",
        "owner",
        "created_at",
        "updated_at",
        "building",
        "external_device_id",
        "is_authenticated",
        "current_mode",
        "current_state_last_updated_at",
        "is_inverter_forced_mode_active",
        "inverter_forced_mode_since",
        "embeddable_url",
        "authorization_url",
        "action_needed",
        "has_unread_notifications",
        "actions",
        "current_power_consumption_w",
        "outdoor_temperature",
        "indoor_actual_temperature",
        "indoor_target_temperature",
        "inlet_temperature",
        "outlet_temperature",
        "dhw_temperature",
        "is_plugged_in",
        "is_charging",
        "is_fully_charged",
        "charge_rate_w",
        "battery_level",
        "battery_capacity_kwh",
        "driving_range",
        "boost_state",
        "boost_for_next_session",
        "charge_target_max",
        "charge_policy_last_updated_at",
        "current_solar_production_w",
        "household_consumption_w",
        "solar_surplus_w",
        "current_power_to_grid_w",
        "battery_charge_discharge_power_w",
        "battery_charge_level_percent",
        "consumption_last_day_kwh",
        "consumption_last_week_kwh",
        "consumption_last_month_kwh",
        "consumption_last_updated_at",
    }
)


# --- EV boost (§4.1, §4.2) --------------------------------------------------------------------
@api_endpoint(methods=("POST", "DELETE"))
def ev_boost(
    request: HttpRequest,
    token: AccessToken,
    org: uuid.UUID,
    user: uuid.UUID,
    device: uuid.UUID,
    internal_error: bool = False,
) -> HttpResponse:
    found = _scoped_device(request, token, org, user, "electric-vehicles", device)
    if request.method == "DELETE":
        services.ev_boost_disarm(found)
        return no_content()
    try:
        services.ev_boost_start(found, internal_error=internal_error)
    except services.BoostRefused as exc:
        raise ApiError(409, {"state": exc.state, "reason": exc.reason}) from None
    return no_content()


# --- EV charge policy (§4.3) ------------------------------------------------------------------
@api_endpoint(methods=("GET", "PUT"))
def ev_charge_policy(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, device: uuid.UUID
) -> HttpResponse:
    found = _scoped_device(request, token, org, user, "electric-vehicles", device)
    if request.method == "PUT":
        services.weekly_policy_set(found, validation.charge_policy(read_json(request)))
    return json_response(
        {
            "metadata": {"electric_vehicle_id": str(found.id), "user_id": str(found.owner_id), "error": None},
            "data": services.weekly_policy(found),
        }
    )


# --- Re-authentication: auth_session and cues (§5) --------------------------------------------
@api_endpoint(methods=("POST",))
def auth_session(
    request: HttpRequest, token: AccessToken, org: uuid.UUID, user: uuid.UUID, kind: str, device: uuid.UUID
) -> HttpResponse:
    found = _scoped_device(request, token, org, user, kind, device)
    body = validation.validate(
        read_json(request),
        {
            "success_url": validation.nullable(validation.string(8000)),
            "cancel_url": validation.nullable(validation.string(8000)),
        },
    )
    session_id = uuid.uuid4()
    url = render.connect_url(api_root(request), found, success_url=body.get("success_url"),
                             cancel_url=body.get("cancel_url"))
    sep = "&" if "?" in url else "?"
    return json_response(
        {
            "authentication_url": f"{url}{sep}{urlencode({'session_id': str(session_id)})}",
            "device_id": str(found.id),
            "session_id": str(session_id),
        }
    )


def _active_cue(cue_id: uuid.UUID, secret: str) -> Cue:
    cue = Cue.objects.select_related("device__owner").filter(pk=cue_id).exclude(status=Cue.DONE).first()
    if cue is None:
        raise not_found()
    if not render.cue_secret_valid(cue, secret, clock.now()):
        raise ApiError(403, {"detail": "Invalid or expired secret"})
    return cue


@api_endpoint(methods=("POST",))
def cue_resolve(request: HttpRequest, token: AccessToken, cue_id: uuid.UUID) -> HttpResponse:
    cue = _active_cue(cue_id, request.GET.get("secret", ""))
    if cue.device.owner.org_id != token.org_id:
        raise not_found()
    text = validation.nullable(validation.string(8000))
    body = validation.validate(
        read_json(request),
        {
            "successUrl": text,
            "cancelUrl": text,
            "language": text,
            "location": validation.nullable(lambda v: v),
            "clientInfo": validation.nullable(lambda v: v),
        },
        required=("successUrl", "cancelUrl"),
    )
    services.cue_start(cue)
    url = render.connect_url(api_root(request), cue.device, success_url=body.get("successUrl"),
                             cancel_url=body.get("cancelUrl"))
    sep = "&" if "?" in url else "?"
    return json_response({"redirect_url": f"{url}{sep}{urlencode({'cue': str(cue.id)})}"})


@api_endpoint(methods=("POST",), auth=False)
def cue_state(request: HttpRequest, cue_id: uuid.UUID) -> HttpResponse:
    cue = _active_cue(cue_id, request.GET.get("secret", ""))
    any_value = validation.nullable(lambda v: v)
    body = validation.validate(
        read_json(request),
        {
            "state": validation.enum(("success", "fail")),
            "payload": any_value,
            "location": any_value,
            "client_info": any_value,
        },
        required=("state",),
    )
    services.cue_report(cue, success=body["state"] == "success")
    return json_response({"action_id": str(cue.id)})
