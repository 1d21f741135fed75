"""Turn stored users and devices into the JSON the Partner API returns (fact sheet §3 and §7).

Pure reads: the clock instant and the API root URL come in as arguments; nothing is written.
Device payloads carry every field of §3.1 plus the kind's table, in the new names, and (as extras the
dashboard wants) the legacy `consumption_last_day/week/month_kwh` and `consumption_last_updated_at`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing

from . import clock, config, physics
from .defaults import DEVICE_TYPES, KIND_URLS
from .models import Cue, Device, PoderoUser

STALE_AFTER = timedelta(hours=1)  # §8 #24: older state reads as "warning"
CUE_SECRET_TTL = timedelta(hours=1)  # §5: the signed secret expires 1 h after issue
FORCED_MODE_SENTINEL = "0001-01-01T00:00:00Z"


# --- Users ------------------------------------------------------------------------------------
def user_payload(user: PoderoUser) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "external_user_id": user.external_user_id,
        "role": user.role,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "street_and_number": user.street_and_number,
        "street_add_info": user.street_add_info,
        "zip_code": user.zip_code,
        "town": user.town,
        "country": user.country,
        "latitude": user.latitude,
        "longitude": user.longitude,
        "location_last_updated": clock.iso(user.location_last_updated),
    }


def owner_payload(user: PoderoUser) -> dict[str, Any]:
    """Note `external_id` here, while the user resource says `external_user_id` (§3.1)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "external_id": user.external_user_id,
    }


# --- Devices ----------------------------------------------------------------------------------
def state_time(device: Device, now: datetime) -> datetime:
    """When the device last reported: a frozen instant for an offline device, else the 5-min grid
    (at its configured phase, `config.state_offset_s`, plus the device's own, `config.device_phase_s`)."""
    if device.frozen_at is not None:
        return device.frozen_at
    offset = timedelta(seconds=config.state_offset_s() + config.device_phase_s(device.id))
    at = clock.floor_5min(now - offset) + offset
    changed = clock.parse_iso(device.facts.get("changed_at"))
    return max(at, changed) if changed and changed <= now else at


def health(device: Device, now: datetime) -> str:
    """§8 #24: unknown before the first data, error when the link lapsed, warning when stale, else ok."""
    if device.first_data_at is None or device.first_data_at > now:
        return "unknown"
    if not device.is_authenticated:
        return "error"
    if now - state_time(device, now) > STALE_AFTER:
        return "warning"
    return "ok"


def device_payload(device: Device, *, now: datetime, root: str) -> dict[str, Any]:
    """The full device object as GET list/detail return it. `root` = the API host root URL."""
    a = device.attrs
    status = health(device, now)
    has_data = status != "unknown"
    at = state_time(device, now)
    actions = [action_payload(cue, now=now, root=root) for cue in active_cues(device)]
    payload: dict[str, Any] = {
        "id": str(device.id),
        "connection_status": status,
        "monitoring_status": status,
        "steering_status": status,
        "device_model": _device_model(device),
        "owner": owner_payload(device.owner),
        "created_at": clock.iso(device.created_at),
        "updated_at": clock.iso(device.updated_at),
        "price_zone": a.get("price_zone"),
        "building": a.get("building_id"),
        "deleted_at": clock.iso(device.deleted_at),
        "lifecycle_state": "deleted" if device.deleted_at else a.get("lifecycle_state"),
        "lifecycle_error": a.get("lifecycle_error"),
        "pause_power_until": a.get("pause_power_until"),
        "is_pause_power_active": bool(a.get("is_pause_power_active")),
        "external_device_id": a.get("external_device_id") or "",
        "is_authenticated": device.is_authenticated,
        "is_smart_optimization_active": bool(a.get("is_smart_optimization_active")),
        "optimization_score": a.get("optimization_score"),
        "current_mode": None,
        "comment": a.get("comment"),
        "current_state_last_updated_at": clock.iso(at) if has_data else None,
        "last_monitoring_executed_at": a.get("last_monitoring_executed_at")
        or clock.iso(clock.floor_5min(now) - timedelta(minutes=5)),
        "is_inverter_forced_mode_enabled": bool(a.get("is_inverter_forced_mode_enabled")),
        "is_inverter_forced_mode_active": False,
        "inverter_forced_mode_since": FORCED_MODE_SENTINEL,
        "is_forecasting_enabled": bool(a.get("is_forecasting_enabled")),
        "is_trading_enabled": bool(a.get("is_trading_enabled")),
        "actual_steering_state": a.get("actual_steering_state") or "unknown",
    }
    reading_at = at if device.kind != Device.ELECTRIC_VEHICLE or device.frozen_at else now
    payload.update(_KIND_FIELDS[device.kind](device, reading_at))
    payload.update(_consumption(device, at))
    payload.update(
        {
            "embeddable_url": a.get("embeddable_url"),
            "authorization_url": None if device.is_authenticated else connect_url(root, device),
            "action_needed": bool(actions),
            "has_unread_notifications": bool(a.get("has_unread_notifications")),
            "actions": actions,
        }
    )
    return payload


def active_cues(device: Device) -> list[Cue]:
    prefetched = getattr(device, "active_cues", None)
    if prefetched is not None:
        return list(prefetched)
    return list(device.cues.exclude(status=Cue.DONE).order_by("created_at"))


def _device_model(device: Device) -> dict[str, Any]:
    model = device.attrs.get("device_model") or {}
    return {
        "device_type": dict(DEVICE_TYPES[device.kind]),
        "manufacturer": model.get("manufacturer"),
        "model": model.get("model"),
        "year": model.get("year"),
        "cloud_service": model.get("cloud_service_id"),
        "cloud_service_instructions": None,
        "cloud_service_signup_link": None,
    }


def _tz(device: Device) -> str:
    return device.owner.timezone or "UTC"


def _heat_pump(device: Device, at: datetime) -> dict[str, Any]:
    a = device.attrs
    reading = physics.heat_pump_reading(at, _tz(device), a, str(device.id))
    keys = (
        "is_hot_water_heating_enabled",
        "is_space_heating_enabled",
        "is_pool_heating_enabled",
        "is_space_cooling_enabled",
        "is_heating_policy_enabled",
        "heating_policy_name",
        "maximum_temperature_limit",
        "minimum_temperature_limit",
        "minimum_dhw_temperature_limit",
        "is_away_mode_enabled",
        "away_mode_start",
        "away_mode_end",
        "away_mode_minimum_temperature_limit",
    )
    return {
        "optimization_level": a.get("optimization_level"),
        **reading,
        "dhw_standard_temperature": a.get("dhw_standard_temperature"),
        **{key: a.get(key) for key in keys},
    }


def _electric_vehicle(device: Device, at: datetime) -> dict[str, Any]:
    a, f = device.attrs, device.facts
    r = physics.ev_reading(at, f, a, authenticated=device.is_authenticated)
    capacity = float(a.get("battery_capacity_kwh") or 0)
    return {
        "is_plugged_in": bool(f.get("plugged_in")),
        "is_charging": r.is_charging,
        "is_fully_charged": r.is_fully_charged,
        "charge_rate_w": r.charge_rate_w,
        "battery_level": round(r.level),
        "battery_capacity_kwh": capacity,
        "driving_range": physics.driving_range_km(r.level, capacity),
        "boost_state": r.boost_state,
        "boost_for_next_session": bool(f.get("boost_armed")),
        "charge_target_min": a.get("charge_target_min"),
        "charge_target_max": a.get("charge_target_max"),
        "is_charge_policy_enabled": bool(a.get("is_charge_policy_enabled")),
        "minimum_charge_limit": a.get("minimum_charge_limit"),
        "charge_deadline_at": a.get("charge_deadline_at"),
        "charge_policy_last_updated_at": a.get("charge_policy_last_updated_at"),
        "is_over_charge_allowed": bool(a.get("is_over_charge_allowed")),
        "hems_min_export_to_start_w": a.get("hems_min_export_to_start_w"),
        "hems_max_import_before_stopping_w": a.get("hems_max_import_before_stopping_w"),
    }


def _inverter(device: Device, at: datetime) -> dict[str, Any]:
    a = device.attrs
    r = physics.inverter_reading(at, _tz(device), a, str(device.id))
    return {
        "solar_power_rating_kw": a.get("solar_power_rating_kw"),
        "is_battery_connected": bool(a.get("is_battery_connected")),
        "battery_capacity_kwh": a.get("battery_capacity_kwh"),
        "min_battery_charge": a.get("min_battery_charge"),
        "max_battery_charge": a.get("max_battery_charge"),
        "current_solar_production_w": r.solar_w,
        "household_consumption_w": r.household_w,
        "solar_surplus_w": r.surplus_w,
        "current_power_to_grid_w": r.grid_w,
        "battery_charge_discharge_power_w": r.battery_w,
        "battery_charge_level_percent": r.battery_percent,
    }


_KIND_FIELDS = {
    Device.HEAT_PUMP: _heat_pump,
    Device.ELECTRIC_VEHICLE: _electric_vehicle,
    Device.INVERTER: _inverter,
}


def _consumption(device: Device, at: datetime) -> dict[str, Any]:
    """Legacy per-device energy totals over complete local days, emitted for every kind (dashboard extra)."""
    tz = _tz(device)
    seed = str(device.id)
    today = at.astimezone(ZoneInfo(tz)).date()
    if device.kind == Device.HEAT_PUMP:
        per_day = lambda day: physics.heat_pump_kwh_on(seed, day)  # noqa: E731
    elif device.kind == Device.ELECTRIC_VEHICLE:
        per_day = lambda day: physics.ev_kwh_on(seed, day)  # noqa: E731
    else:
        per_day = lambda day: physics.household_kwh_on(seed, tz, day)  # noqa: E731
    day, week, month = physics.period_totals(per_day, today)
    midnight = datetime(today.year, today.month, today.day, tzinfo=ZoneInfo(tz))
    return {
        "consumption_last_day_kwh": day,
        "consumption_last_week_kwh": week,
        "consumption_last_month_kwh": month,
        "consumption_last_updated_at": clock.iso(midnight),
    }


# --- Actions and cues (§5) --------------------------------------------------------------------
def action_payload(cue: Cue, *, now: datetime, root: str) -> dict[str, Any]:
    return {
        "id": str(cue.id),
        "code": cue.code,
        "resolution_link": {
            "url": f"{root}/api/partners/v2.0/cues/{cue.id}/resolve?secret={cue_secret(cue, now)}",
            "required_parameters": ["successUrl", "cancelUrl"],
        },
    }


def cue_secret(cue: Cue, now: datetime) -> str:
    """`<issued unix ts>.<hmac>`; issued on the 5-minute grid so one window's payloads are identical."""
    issued = int(clock.floor_5min(now).timestamp())
    return f"{issued}.{_sign(f'{cue.id}:{issued}')}"


def cue_secret_valid(cue: Cue, secret: str, now: datetime) -> bool:
    issued_text, _, signature = (secret or "").partition(".")
    if not issued_text.isdigit() or not hmac.compare_digest(signature, _sign(f"{cue.id}:{issued_text}")):
        return False
    age = now.timestamp() - int(issued_text)
    return -60 <= age <= CUE_SECRET_TTL.total_seconds()


def _sign(message: str) -> str:
    key = f"simulator-cue:{settings.SECRET_KEY}".encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:32]


def connect_url(root: str, device: Device, *, success_url: str | None = None, cancel_url: str | None = None) -> str:
    """The simulator's stand-in for Podero's Connect UI: opening it re-links the device.

    The URLs to send the user back to travel signed (`state`), bound to this device: the Connect UI
    redirects only to URLs given when the session was made, never to one added to its query string.
    """
    url = f"{root}/_sim/connect/{device.id}"
    if success_url or cancel_url:
        state = signing.dumps({"d": str(device.id), "s": success_url or "", "c": cancel_url or ""},
                              salt=CONNECT_SALT, compress=True)
        url += f"?state={state}"
    return url


CONNECT_SALT = "simulator-connect"
CONNECT_TTL_S = 2 * 24 * 60 * 60  # "valid until the end of the next day", at most


def connect_targets(device_id: str, state: str) -> tuple[str, str] | None:
    """(success_url, cancel_url) of a signed `state` made for this device; None when forged or expired."""
    try:
        data = signing.loads(state, salt=CONNECT_SALT, max_age=CONNECT_TTL_S)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("d") != str(device_id):
        return None
    return str(data.get("s") or ""), str(data.get("c") or "")


def kind_segment(device: Device) -> str:
    return KIND_URLS[device.kind]
