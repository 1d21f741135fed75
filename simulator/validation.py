"""Request-body validation with Django-Ninja-shaped errors (fact sheet §6, §8 #3, #6, #7).

A schema maps each writable field to a coercer. `validate()` answers:
* 400 `{"detail": [{"type": "extra_forbidden", "loc": ["body", f], "msg": ...}]}` for a field that is
  unknown or read-only (a client that sends one has a bug worth seeing);
* 422 with the same shape for type, enum and range violations, listing every bad field at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from . import clock

PRICE_ZONES = (
    "AT",
    "AT_HOURLY",
    "BE",
    "CH",
    "EE",
    "DE_LU",
    "HU",
    "IT_CNOR",
    "IT_CSUD",
    "IT_NORD",
    "IT_PUN",
    "IT_SARD",
    "IT_SICI",
    "IT_SUD",
    "PT",
    "RO",
    "SE_1",
    "SE_2",
    "SE_3",
    "SE_4",
    "UK",
)
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
HHMMSS_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Coercer = Callable[[Any], Any]


class FieldError(Exception):
    def __init__(self, type_: str, msg: str) -> None:
        super().__init__(msg)
        self.type, self.msg = type_, msg


class BodyError(Exception):
    """A rejected body: `status` is 400 or 422, `detail` the Ninja-style list."""

    def __init__(self, status: int, detail: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def error_item(type_: str, loc: Iterable[str | int], msg: str) -> dict[str, Any]:
    return {"type": type_, "loc": ["body", *loc], "msg": msg}


# --- Coercers ---------------------------------------------------------------------------------
def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise FieldError("bool_type", "Input should be a valid boolean")


def integer(lo: int | None = None, hi: int | None = None) -> Coercer:
    def coerce(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise FieldError("int_type", "Input should be a valid integer")
        return _in_range(value, lo, hi)

    return coerce


def number(lo: float | None = None, hi: float | None = None) -> Coercer:
    def coerce(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldError("float_type", "Input should be a valid number")
        return _in_range(float(value), lo, hi)

    return coerce


def string(max_length: int = 255) -> Coercer:
    def coerce(value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError("string_type", "Input should be a valid string")
        if len(value) > max_length:
            raise FieldError("string_too_long", f"String should have at most {max_length} characters")
        return value

    return coerce


def enum(values: Iterable[str]) -> Coercer:
    allowed = tuple(values)

    def coerce(value: Any) -> str:
        if value not in allowed:
            raise FieldError("enum", "Input should be " + ", ".join(f"'{v}'" for v in allowed))
        return str(value)

    return coerce


def uuid_str(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise FieldError("uuid_parsing", "Input should be a valid UUID") from None


def datetime_iso(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError("datetime_type", "Input should be a valid datetime")
    try:
        return clock.iso(clock.parse_iso(value)) or ""
    except ValueError:
        raise FieldError("datetime_parsing", "Input should be a valid datetime") from None


def nullable(inner: Coercer) -> Coercer:
    def coerce(value: Any) -> Any:
        return None if value is None else inner(value)

    return coerce


def deadline(tz: str) -> Coercer:
    """`charge_deadline_at`: accept HH:MM, HH:MM:SS or a datetime (time in the owner's zone); keep HH:MM."""

    def coerce(value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError("time_type", "Input should be a valid time")
        if HHMM_RE.match(value):
            return value
        if HHMMSS_RE.match(value):
            return value[:5]
        try:
            dt = clock.parse_iso(value) if "T" in value else None
        except ValueError:
            dt = None
        if dt is None:
            raise FieldError("time_parsing", "Input should be a valid time in HH:MM format")
        local: time = dt.astimezone(ZoneInfo(tz)).time()
        return f"{local.hour:02d}:{local.minute:02d}"

    return coerce


def email(value: Any) -> str:
    text = string(254)(value).strip()
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", text):
        raise FieldError("value_error", "value is not a valid email address")
    return text


def zip_code(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return string(20)(value)


def country(value: Any) -> str:
    text = string(3)(value).upper()
    if not re.match(r"^[A-Z]{2,3}$", text):
        raise FieldError("value_error", "Input should be an ISO country code")
    return text


def device_model(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError("dict_type", "Input should be a valid dictionary")
    schema = {
        "manufacturer": string(100),
        "model": string(100),
        "year": nullable(integer(1990, 2100)),
        "cloud_service_id": nullable(uuid_str),
    }
    return validate(value, schema, loc=("device_model",))


def _in_range(value: Any, lo: float | None, hi: float | None) -> Any:
    if lo is not None and value < lo:
        raise FieldError("greater_than_equal", f"Input should be greater than or equal to {lo}")
    if hi is not None and value > hi:
        raise FieldError("less_than_equal", f"Input should be less than or equal to {hi}")
    return value


# --- Bodies -----------------------------------------------------------------------------------
def validate(
    body: Any,
    schema: Mapping[str, Coercer],
    *,
    loc: tuple[str, ...] = (),
    read_only: Iterable[str] = (),
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """Coerce every field of `body` by `schema`; raise BodyError (400 for extras, else 422)."""
    if not isinstance(body, dict):
        raise BodyError(422, [error_item("dict_type", loc, "Input should be a valid dictionary")])
    read_only = set(read_only)
    extras = [
        error_item(
            "extra_forbidden",
            (*loc, key),
            f"'{key}' is read-only" if key in read_only else "Extra inputs are not permitted",
        )
        for key in body
        if key not in schema
    ]
    if extras:
        raise BodyError(400, extras)
    errors = [error_item("missing", (*loc, key), "Field required") for key in required if key not in body]
    clean: dict[str, Any] = {}
    for key, value in body.items():
        try:
            clean[key] = schema[key](value)
        except FieldError as exc:
            errors.append(error_item(exc.type, (*loc, key), exc.msg))
        except BodyError as exc:
            errors.extend(exc.detail)
    if errors:
        raise BodyError(422, errors)
    return clean


def require_order(merged: Mapping[str, Any], low: str, high: str) -> None:
    """422 when both limits are set and `low` exceeds `high` (fact sheet §8 #7)."""
    lo, hi = merged.get(low), merged.get(high)
    if lo is not None and hi is not None and lo > hi:
        raise BodyError(422, [error_item("value_error", (low,), f"{low} must not be greater than {high}")])


# --- Per-resource schemas ---------------------------------------------------------------------
def common_schema() -> dict[str, Coercer]:
    return {
        "is_pause_power_active": boolean,
        "is_smart_optimization_active": boolean,
        "device_model": device_model,
        "price_zone": enum(PRICE_ZONES),
        "building_id": nullable(uuid_str),
        "pause_power_until": nullable(datetime_iso),
        "comment": nullable(string(300)),
        "last_monitoring_executed_at": nullable(datetime_iso),
        "is_inverter_forced_mode_enabled": boolean,
        "is_forecasting_enabled": boolean,
        "is_trading_enabled": boolean,
        "actual_steering_state": string(50),
        "deleted_at": nullable(datetime_iso),
        "lifecycle_state": string(20),
        "lifecycle_error": nullable(string(500)),
        "optimization_score": nullable(number(0, 100)),
    }


def heat_pump_schema() -> dict[str, Coercer]:
    celsius = number(-30, 90)
    return {
        **common_schema(),
        "optimization_level": enum(("Low", "Mid", "Max")),
        "indoor_target_temperature_offset": number(-10, 10),
        "dhw_standard_temperature": number(20, 80),
        "is_hot_water_heating_enabled": boolean,
        "is_space_heating_enabled": boolean,
        "is_pool_heating_enabled": boolean,
        "is_space_cooling_enabled": boolean,
        "is_heating_policy_enabled": boolean,
        "heating_policy_name": nullable(string(100)),
        "maximum_temperature_limit": number(5, 35),
        "minimum_temperature_limit": number(5, 35),
        "minimum_dhw_temperature_limit": celsius,
        "is_away_mode_enabled": boolean,
        "away_mode_start": nullable(datetime_iso),
        "away_mode_end": nullable(datetime_iso),
        "away_mode_minimum_temperature_limit": number(5, 30),
    }


def electric_vehicle_schema(tz: str) -> dict[str, Coercer]:
    percent = integer(0, 100)
    return {
        **common_schema(),
        "charge_target_min": percent,
        "is_charge_policy_enabled": boolean,
        "minimum_charge_limit": percent,
        "charge_deadline_at": deadline(tz),
        "is_over_charge_allowed": boolean,
        "hems_min_export_to_start_w": integer(0, 50000),
        "hems_max_import_before_stopping_w": integer(0, 50000),
    }


def inverter_schema() -> dict[str, Coercer]:
    return {
        **common_schema(),
        "solar_power_rating_kw": number(0, 1000),
        "is_battery_connected": boolean,
        "battery_capacity_kwh": nullable(number(0, 1000)),
        "min_battery_charge": number(0, 100),
        "max_battery_charge": number(0, 100),
    }


def user_schema() -> dict[str, Coercer]:
    return {
        "role": enum(("admin", "staff", "user")),
        "email": email,
        "external_user_id": nullable(string(200)),
        "first_name": nullable(string(150)),
        "last_name": nullable(string(150)),
        "street_and_number": nullable(string(100)),
        "street_add_info": nullable(string(100)),
        "zip_code": nullable(zip_code),
        "town": nullable(string(100)),
        "country": nullable(country),
        "country_iso2": nullable(country),
        "latitude": nullable(number(-90, 90)),
        "longitude": nullable(number(-180, 180)),
    }


# --- Weekly charge policy (§4.3, §8 #19) ------------------------------------------------------
def charge_policy(body: Any) -> dict[str, Any]:
    """Validate a weekly policy: 7 days of {charge_percentage 0–100, charge_deadline HH:MM} + timezone."""
    day_schema = {"charge_percentage": integer(0, 100), "charge_deadline": _hhmm}
    if not isinstance(body, dict):
        raise BodyError(422, [error_item("dict_type", (), "Input should be a valid dictionary")])
    extras = [
        error_item("extra_forbidden", (key,), "Extra inputs are not permitted")
        for key in body
        if key not in (*WEEKDAYS, "timezone")
    ]
    if extras:
        raise BodyError(400, extras)
    errors: list[dict[str, Any]] = []
    clean: dict[str, Any] = {}
    for day in WEEKDAYS:
        if day not in body:
            errors.append(error_item("missing", (day,), "Field required"))
            continue
        try:
            clean[day] = validate(
                body[day], day_schema, loc=(day,), required=("charge_percentage", "charge_deadline")
            )
        except BodyError as exc:
            if exc.status == 400:
                raise
            errors.extend(exc.detail)
    if "timezone" not in body:
        errors.append(error_item("missing", ("timezone",), "Field required"))
    elif not isinstance(body["timezone"], str) or body["timezone"] not in _timezones():
        errors.append(error_item("value_error", ("timezone",), "Input should be a valid IANA timezone"))
    else:
        clean["timezone"] = body["timezone"]
    if errors:
        raise BodyError(422, errors)
    return clean


def _hhmm(value: Any) -> str:
    if not isinstance(value, str) or not HHMM_RE.match(value):
        raise FieldError("time_parsing", "Input should be a time in HH:MM format")
    return value


_TZ_CACHE: frozenset[str] | None = None


def _timezones() -> frozenset[str]:
    global _TZ_CACHE
    if _TZ_CACHE is None:
        _TZ_CACHE = frozenset(available_timezones()) | {"UTC"}
    return _TZ_CACHE


# --- Device onboarding (addendum §1b, fact sheet §3.10, §8 #30) --------------------------------
ONBOARDING_LANGUAGES = ("sv", "de", "en", "hu", "it", "et", "pl", "ro")
ONBOARDING_DEVICE_TYPES = ("ev", "iv", "wb", "hp")


def onboarding_schema() -> dict[str, Coercer]:
    return {
        "language": enum(ONBOARDING_LANGUAGES),
        "price_zone_default": enum(PRICE_ZONES),
        "is_smart_optimization_active_default": boolean,
        "success_url": string(8000),
        "cancel_url": string(8000),
        "user_id": uuid_str,
        "building_id": nullable(uuid_str),
        "device_type": nullable(enum(ONBOARDING_DEVICE_TYPES)),
    }


ONBOARDING_REQUIRED = ("price_zone_default", "success_url", "cancel_url", "user_id")
