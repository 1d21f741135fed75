"""Typed, forgiving models of Podero device payloads and the display rules of the integration guide.

Parsing never raises: a null, a placeholder string, a number sent as a string or an unknown enum value
becomes None (or an UNKNOWN member) and the card shows "unknown". Fields we do not model are kept in
`extra`. Legacy field names (fact sheet §3, "legacy:") are read here and nowhere else.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from . import payload

STALE_AFTER = timedelta(hours=1)  # the guide's "state older than 1 h" warning


# --- Tolerant scalar parsers -------------------------------------------------------------------
def as_int(value: Any) -> int | None:
    number = as_float(value)
    return None if number is None else int(round(number))


MAX_PLAUSIBLE = 1e9  # no home reading (W, kWh, °C, km) comes near this; larger is a broken payload


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) and abs(number) < MAX_PLAUSIBLE else None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "yes", "1", "on"}:
            return True
        if lowered in {"false", "no", "0", "off"}:
            return False
    return None


def as_str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def as_datetime(value: Any) -> datetime | None:
    """ISO-8601 to an aware UTC datetime. The sentinel `0001-01-01T00:00:00Z` means "never"."""
    text = as_str(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year <= 1:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def as_time(value: Any) -> time | None:
    """`HH:MM`, `HH:MM:SS` or a full datetime (the docs disagree, fact sheet §8 #20)."""
    text = as_str(value)
    if not text:
        return None
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    parsed = as_datetime(text)
    return parsed.time().replace(tzinfo=None) if parsed else None


def as_uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def as_percent(value: Any) -> int | None:
    number = as_int(value)
    return number if number is not None and 0 <= number <= 100 else None


def _first(raw: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if raw.get(name) is not None:
            return raw[name]
    return None


# --- Enums -------------------------------------------------------------------------------------
class Health(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: Any) -> Health:
        try:
            return cls(str(raw).lower())
        except ValueError:
            return cls.UNKNOWN


class BoostState(StrEnum):
    AVAILABLE = "available"
    REQUESTED = "requested"
    ONGOING = "ongoing"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: Any) -> BoostState:
        try:
            return cls(str(raw).lower())
        except ValueError:
            return cls.UNKNOWN


# --- Shared parts ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """A pending action (fact sheet §5). Unknown codes are kept; the UI has a generic sentence."""

    code: str
    url: str | None
    required_parameters: tuple[str, ...] = ()

    @property
    def url_shown(self) -> str | None:
        """The link without its query: a cue's resolution link carries a signed secret there."""
        return self.url.split("?", 1)[0] if self.url else None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionItem:
    """One thing the homeowner must do, in plain words, with the manufacturer's reconnect link if any."""

    code: str
    message: str
    url: str | None  # a page the homeowner can open directly (authorization_url, embeddable_url)
    button_label: str
    # The reconnect flow must be started by our server (a resolution link needs our token, fact sheet §5;
    # with no link at all, the device's auth_session): the card posts to our reconnect view instead.
    reconnect: bool = False
    action_index: int | None = None


def _attention_message(code: str, manufacturer: str | None, noun: str) -> str:
    if code == "reauthenticate":
        account = f"your {manufacturer} account" if manufacturer else "your manufacturer account"
        return f"The connection to {account} has expired. Reconnect it so Podero can keep optimising."
    if code == "not_authenticated":
        account = f"your {manufacturer} account" if manufacturer else "your manufacturer account"
        return (f"This {noun} is not connected to {account} any more. "
                "Reconnect it so Podero can keep optimising.")
    return f"Podero needs you to take an action on this {noun} before it can resume normal optimisation."


_KNOWN = {
    "id", "connection_status", "monitoring_status", "steering_status", "device_model", "owner",
    "created_at", "updated_at", "is_authenticated", "is_smart_optimization_active", "current_mode",
    "current_state_last_updated_at", "action_needed", "requires_action", "actions", "authorization_url",
    "embeddable_url", "consumption_last_day_kwh", "consumption_last_week_kwh", "consumption_last_month_kwh",
    "lifecycle_state", "optimization_score",
}


@dataclass(frozen=True, kw_only=True)
class Device:
    kind: ClassVar[str] = "device"
    api_kind: ClassVar[str] = ""
    noun: ClassVar[str] = "device"

    id: str | None
    manufacturer: str | None = None
    model: str | None = None
    year: int | None = None
    type_name: str | None = None
    connection_status: Health = Health.UNKNOWN
    monitoring_status: Health = Health.UNKNOWN
    steering_status: Health = Health.UNKNOWN
    is_authenticated: bool | None = None
    is_smart_optimization_active: bool | None = None
    current_mode: str | None = None
    optimization_score: float | None = None
    lifecycle_state: str | None = None
    state_updated_at: datetime | None = None
    updated_at: datetime | None = None
    action_needed: bool = False
    actions: tuple[Action, ...] = ()
    authorization_url: str | None = None
    embeddable_url: str | None = None
    consumption_day_kwh: float | None = None
    consumption_week_kwh: float | None = None
    consumption_month_kwh: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    # -- naming
    @property
    def name(self) -> str:
        parts = [p for p in (self.manufacturer, self.model) if p]
        return " ".join(parts) if parts else f"Unknown {self.noun}"

    # -- freshness
    def state_age(self, now: datetime | None = None) -> timedelta | None:
        if self.state_updated_at is None:
            return None
        return (now or datetime.now(UTC)) - self.state_updated_at

    def is_state_stale(self, now: datetime | None = None) -> bool:
        age = self.state_age(now)
        return age is not None and age > STALE_AFTER

    # -- attention
    @property
    def needs_attention(self) -> bool:
        return self.is_authenticated is False or self.action_needed

    @property
    def resolution_url(self) -> str | None:
        for action in self.actions:
            if action.url:
                return action.url
        return self.authorization_url

    @property
    def resolution_url_shown(self) -> str | None:
        """`resolution_url` for staff pages: without the query, which holds the signed secret."""
        url = self.resolution_url
        return url.split("?", 1)[0] if url else None

    @property
    def slug(self) -> str:
        """The URL slug of this kind (heat-pump | electric-vehicle | inverter)."""
        return next((slug for slug, api in URL_KINDS.items() if api == self.api_kind), "device")

    @property
    def attention_items(self) -> list[AttentionItem]:
        """What to tell the homeowner when `needs_attention`: one item per pending action (unknown codes
        get a generic sentence), or one for a lost authentication that carries no action."""
        if not self.needs_attention:
            return []
        label = f"Reconnect {self.manufacturer}" if self.manufacturer else "Reconnect"
        direct = self.authorization_url or self.embeddable_url
        lost = self.is_authenticated is False
        items = []
        for index, action in enumerate(self.actions):
            via_link = action.url is not None
            items.append(AttentionItem(
                code=action.code, message=_attention_message(action.code, self.manufacturer, self.noun),
                url=None if via_link else direct, button_label=label if action.code == "reauthenticate" else "Resolve",
                reconnect=via_link or (lost and not direct), action_index=index if via_link else None,
            ))
        if not items:
            code = "not_authenticated" if lost else "unknown"
            items.append(AttentionItem(
                code=code, message=_attention_message(code, self.manufacturer, self.noun), url=direct,
                button_label=label if lost else "Resolve", reconnect=lost and not direct,
            ))
        return items

    @property
    def has_consumption(self) -> bool:
        return any(v is not None for v in (self.consumption_day_kwh, self.consumption_week_kwh,
                                           self.consumption_month_kwh))


def _common(raw: Mapping[str, Any]) -> dict[str, Any]:
    model = raw.get("device_model") if isinstance(raw.get("device_model"), dict) else {}
    dtype = model.get("device_type") if isinstance(model.get("device_type"), dict) else {}
    actions: list[Action] = []
    raw_actions = raw.get("actions")
    if isinstance(raw_actions, list):
        for item in raw_actions:
            if not isinstance(item, dict):
                continue
            link = item.get("resolution_link") if isinstance(item.get("resolution_link"), dict) else {}
            params = link.get("required_parameters")
            actions.append(Action(
                code=as_str(item.get("code")) or "unknown",
                url=_safe_url(link.get("url")),
                required_parameters=tuple(str(p) for p in params) if isinstance(params, list) else (),
            ))
    flag = as_bool(_first(raw, "action_needed", "requires_action"))
    return {
        "id": as_uuid(raw.get("id")),
        "manufacturer": as_str(model.get("manufacturer")),
        "model": as_str(model.get("model")),
        "year": as_int(model.get("year")),
        "type_name": as_str(dtype.get("long_name")),
        "connection_status": Health.parse(raw.get("connection_status")),
        "monitoring_status": Health.parse(raw.get("monitoring_status")),
        "steering_status": Health.parse(raw.get("steering_status")),
        "is_authenticated": as_bool(raw.get("is_authenticated")),
        "is_smart_optimization_active": as_bool(raw.get("is_smart_optimization_active")),
        "current_mode": as_str(raw.get("current_mode")),
        "optimization_score": as_float(raw.get("optimization_score")),
        "lifecycle_state": as_str(raw.get("lifecycle_state")),
        "state_updated_at": as_datetime(_first(raw, "current_state_last_updated_at", "charge_state_last_updated_at",
                                               "information_last_updated_utc")),
        "updated_at": as_datetime(raw.get("updated_at")),
        "action_needed": flag if flag is not None else bool(actions),
        "actions": tuple(actions),
        "authorization_url": _safe_url(raw.get("authorization_url")),
        "embeddable_url": _safe_url(raw.get("embeddable_url")),
        "consumption_day_kwh": as_float(_first(raw, "consumption_last_day_kwh", "production_last_day_kwh")),
        "consumption_week_kwh": as_float(_first(raw, "consumption_last_week_kwh", "production_last_week_kwh")),
        "consumption_month_kwh": as_float(_first(raw, "consumption_last_month_kwh", "production_last_month_kwh")),
    }


def _safe_url(value: Any) -> str | None:
    """Only http(s) links reach an href: a `javascript:` URL from upstream must never be clickable."""
    text = as_str(value)
    return text if text and text.lower().startswith(("https://", "http://")) else None


def _extra(raw: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in known}


# --- Heat pump ----------------------------------------------------------------------------------
HP_MODE_LABELS = {"min": "Min", "low": "ECO", "mid": "Comfort", "max": "Boost"}


@dataclass(frozen=True, kw_only=True)
class HeatPump(Device):
    kind: ClassVar[str] = "heat_pump"
    api_kind: ClassVar[str] = "heat-pumps"
    noun: ClassVar[str] = "heat pump"

    optimization_level: str | None = None
    operational_mode: str | None = None
    power_w: float | None = None
    outdoor_temp: float | None = None
    indoor_temp: float | None = None
    indoor_target_temp: float | None = None
    inlet_temp: float | None = None
    outlet_temp: float | None = None
    hot_water_temp: float | None = None
    hot_water_target_temp: float | None = None
    min_temp_limit: float | None = None
    max_temp_limit: float | None = None

    @property
    def optimization_label(self) -> str:
        """Guide: inactive → "Not optimizing"; min/low/mid/max → Min/ECO/Comfort/Boost."""
        if self.is_smart_optimization_active is False:
            return "Not optimizing"
        if self.is_smart_optimization_active is None:
            return "Unknown"
        if self.current_mode is None:
            return "Optimizing"
        label = HP_MODE_LABELS.get(self.current_mode.lower())
        return label if label else f"Optimizing ({self.current_mode})"


    @property
    def operating_mode_label(self) -> str | None:
        """The legacy `operational_mode` when sent, else what the enabled functions say (new-style payloads)."""
        if self.operational_mode:
            return self.operational_mode
        flags = [(name, as_bool(self.extra.get(key))) for key, name in (
            ("is_space_heating_enabled", "heating"), ("is_hot_water_heating_enabled", "hot water"),
            ("is_space_cooling_enabled", "cooling"), ("is_pool_heating_enabled", "pool"))]
        if all(value is None for _, value in flags):
            return None
        enabled = [name for name, value in flags if value]
        return " & ".join(enabled).capitalize() if enabled else "Standby"


_HP_FIELDS = {
    "optimization_level", "operational_mode", "current_power_consumption_w", "outdoor_temperature",
    "indoor_actual_temperature", "indoor_target_temperature", "inlet_temperature", "outlet_temperature",
    "dhw_temperature", "dhw_actual_temperature", "dhw_standard_temperature", "minimum_temperature_limit",
    "maximum_temperature_limit",
}


def parse_heat_pump(raw: Mapping[str, Any]) -> HeatPump:
    return HeatPump(
        **_common(raw),
        optimization_level=as_str(raw.get("optimization_level")),
        operational_mode=as_str(raw.get("operational_mode")),
        power_w=as_float(raw.get("current_power_consumption_w")),
        outdoor_temp=as_float(raw.get("outdoor_temperature")),
        indoor_temp=as_float(raw.get("indoor_actual_temperature")),
        indoor_target_temp=as_float(raw.get("indoor_target_temperature")),
        inlet_temp=as_float(raw.get("inlet_temperature")),
        outlet_temp=as_float(raw.get("outlet_temperature")),
        hot_water_temp=as_float(_first(raw, "dhw_temperature", "dhw_actual_temperature")),
        hot_water_target_temp=as_float(raw.get("dhw_standard_temperature")),
        min_temp_limit=as_float(raw.get("minimum_temperature_limit")),
        max_temp_limit=as_float(raw.get("maximum_temperature_limit")),
        extra=_extra(raw, _KNOWN | _HP_FIELDS),
    )


# --- Electric vehicle ---------------------------------------------------------------------------
class ChargeStatus(StrEnum):
    UNPLUGGED = "unplugged"
    WAITING = "waiting"
    CHARGING = "charging"
    UNKNOWN = "unknown"


CHARGE_STATUS_LABELS = {
    ChargeStatus.UNPLUGGED: "Unplugged",
    ChargeStatus.WAITING: "Plugged in — waiting for an optimal window",
    ChargeStatus.CHARGING: "Charging",
    ChargeStatus.UNKNOWN: "Charging status unknown",
}


@dataclass(frozen=True, kw_only=True)
class ElectricVehicle(Device):
    kind: ClassVar[str] = "electric_vehicle"
    api_kind: ClassVar[str] = "electric-vehicles"
    noun: ClassVar[str] = "electric vehicle"

    is_plugged_in: bool | None = None
    is_charging: bool | None = None
    is_fully_charged: bool | None = None
    charge_rate_w: float | None = None
    battery_level: int | None = None
    battery_capacity_kwh: float | None = None
    range_km: int | None = None
    boost_state: BoostState = BoostState.UNKNOWN
    boost_for_next_session: bool = False
    charge_target_min: int | None = None
    charge_target_max: int | None = None
    is_charge_policy_enabled: bool | None = None
    minimum_charge_limit: int | None = None
    charge_deadline: time | None = None
    charge_time_remaining_s: int | None = None

    @property
    def charge_status(self) -> ChargeStatus:
        if self.is_plugged_in is False:
            return ChargeStatus.UNPLUGGED
        if self.is_charging is True:
            return ChargeStatus.CHARGING
        if self.is_plugged_in is True and self.is_charging is False:
            return ChargeStatus.WAITING
        return ChargeStatus.UNKNOWN

    @property
    def charge_status_label(self) -> str:
        if self.charge_status is ChargeStatus.WAITING and self.is_fully_charged:
            return "Plugged in — fully charged"
        return CHARGE_STATUS_LABELS[self.charge_status]

    @property
    def target_percent(self) -> int | None:
        """The level the car is heading for: the deadline target when a policy is on, else the max."""
        if self.is_charge_policy_enabled and self.minimum_charge_limit is not None:
            return self.minimum_charge_limit
        return self.charge_target_max

    @property
    def time_remaining(self) -> timedelta | None:
        if self.charge_time_remaining_s is not None and self.charge_time_remaining_s >= 0:
            return timedelta(seconds=self.charge_time_remaining_s)
        if not self.is_charging or not self.charge_rate_w or self.charge_rate_w <= 0:
            return None
        if self.battery_level is None or not self.battery_capacity_kwh:
            return None
        goal = self.charge_target_max or 100
        if self.battery_level >= goal:
            return None
        kwh = (goal - self.battery_level) / 100 * self.battery_capacity_kwh
        return timedelta(hours=kwh * 1000 / self.charge_rate_w)

    @property
    def boost_unavailable_reason(self) -> str | None:
        if self.boost_state is not BoostState.UNAVAILABLE:
            return None
        if self.is_authenticated is False:
            return "the car is not connected to Podero"
        if self.is_fully_charged:
            return "the battery is full"
        if self.is_charging:
            return "the car is already charging"
        if self.is_plugged_in is False:
            return "the car is not plugged in"
        return "boost is not enabled for this car"


_EV_FIELDS = {
    "is_plugged_in", "is_charging", "is_fully_charged", "charge_rate_w", "battery_level", "battery_capacity_kwh",
    "driving_range", "boost_state", "boost_for_next_session", "charge_target_min", "charge_target_max",
    "charge_limit_min", "charge_limit_max", "is_charge_policy_enabled", "minimum_charge_limit",
    "charge_deadline_at", "charge_time_remaining",
}


def parse_electric_vehicle(raw: Mapping[str, Any]) -> ElectricVehicle:
    return ElectricVehicle(
        **_common(raw),
        is_plugged_in=as_bool(raw.get("is_plugged_in")),
        is_charging=as_bool(raw.get("is_charging")),
        is_fully_charged=as_bool(raw.get("is_fully_charged")),
        charge_rate_w=as_float(raw.get("charge_rate_w")),
        battery_level=as_percent(raw.get("battery_level")),
        battery_capacity_kwh=as_float(raw.get("battery_capacity_kwh")),
        range_km=as_int(raw.get("driving_range")),
        boost_state=BoostState.parse(raw.get("boost_state")),
        boost_for_next_session=as_bool(raw.get("boost_for_next_session")) is True,
        charge_target_min=as_percent(_first(raw, "charge_target_min", "charge_limit_min")),
        charge_target_max=as_percent(_first(raw, "charge_target_max", "charge_limit_max")),
        is_charge_policy_enabled=as_bool(raw.get("is_charge_policy_enabled")),
        minimum_charge_limit=as_percent(raw.get("minimum_charge_limit")),
        charge_deadline=as_time(raw.get("charge_deadline_at")),
        charge_time_remaining_s=as_int(raw.get("charge_time_remaining")),
        extra=_extra(raw, _KNOWN | _EV_FIELDS),
    )


# --- Solar inverter -----------------------------------------------------------------------------
class Flow(StrEnum):
    """The direction of a signed power reading, in words the UI can use."""

    CHARGING = "charging"
    DISCHARGING = "discharging"
    EXPORTING = "exporting"
    IMPORTING = "importing"
    IDLE = "idle"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, watts: float | None, *, positive: Flow, negative: Flow) -> Flow:
        if watts is None:
            return cls.UNKNOWN
        if abs(watts) < 0.5:  # rounds to 0 W: nothing flows
            return cls.IDLE
        return positive if watts > 0 else negative


@dataclass(frozen=True, kw_only=True)
class Inverter(Device):
    kind: ClassVar[str] = "inverter"
    api_kind: ClassVar[str] = "inverters"
    noun: ClassVar[str] = "solar inverter"

    solar_w: float | None = None
    household_w: float | None = None
    surplus_w_reported: float | None = None
    grid_w: float | None = None  # + export, − import
    battery_w: float | None = None  # + discharging, − charging (new convention, fact sheet §3.4)
    battery_level: int | None = None
    is_battery_connected: bool | None = None
    battery_capacity_kwh: float | None = None
    rating_kw: float | None = None

    @property
    def surplus_w(self) -> float | None:
        if self.surplus_w_reported is not None:
            return self.surplus_w_reported
        if self.solar_w is not None and self.household_w is not None:
            return self.solar_w - self.household_w
        return None

    @property
    def has_battery(self) -> bool:
        return bool(self.is_battery_connected) or self.battery_level is not None

    @property
    def battery_flow(self) -> Flow:
        """Sign convention (fact sheet §3.4, new): + discharging, − charging."""
        return Flow.of(self.battery_w, positive=Flow.DISCHARGING, negative=Flow.CHARGING)

    @property
    def grid_flow(self) -> Flow:
        """Sign convention (fact sheet §3.4): + export, − import."""
        return Flow.of(self.grid_w, positive=Flow.EXPORTING, negative=Flow.IMPORTING)


_IV_FIELDS = {
    "current_solar_production_w", "household_consumption_w", "solar_surplus_w", "current_power_to_grid_w",
    "battery_charge_discharge_power_w", "battery_charge_level_percent", "is_battery_connected",
    "battery_connected", "battery_capacity_kwh", "solar_power_rating_kw",
}


def parse_inverter(raw: Mapping[str, Any]) -> Inverter:
    return Inverter(
        **_common(raw),
        solar_w=as_float(raw.get("current_solar_production_w")),
        household_w=as_float(raw.get("household_consumption_w")),
        surplus_w_reported=as_float(raw.get("solar_surplus_w")),
        grid_w=as_float(raw.get("current_power_to_grid_w")),
        battery_w=as_float(raw.get("battery_charge_discharge_power_w")),
        battery_level=as_percent(raw.get("battery_charge_level_percent")),
        is_battery_connected=as_bool(_first(raw, "is_battery_connected", "battery_connected")),
        battery_capacity_kwh=as_float(raw.get("battery_capacity_kwh")),
        rating_kw=as_float(raw.get("solar_power_rating_kw")),
        extra=_extra(raw, _KNOWN | _IV_FIELDS),
    )


PARSERS = {"heat-pumps": parse_heat_pump, "electric-vehicles": parse_electric_vehicle, "inverters": parse_inverter}
MODELS: dict[str, type[Device]] = {"heat-pumps": HeatPump, "electric-vehicles": ElectricVehicle, "inverters": Inverter}
URL_KINDS = {"heat-pump": "heat-pumps", "electric-vehicle": "electric-vehicles", "inverter": "inverters"}


def parse_device(api_kind: str, raw: Any) -> Device:
    """Never raises: a payload that is not even an object becomes an empty device of that kind."""
    if not isinstance(raw, Mapping):
        return MODELS[api_kind](id=None)
    try:
        raw = payload.clean(raw)  # the client cleans what it parses; this covers every other source too
    except payload.PayloadError:
        return MODELS[api_kind](id=as_uuid(raw.get("id")))
    try:
        return PARSERS[api_kind](raw)
    except Exception:  # noqa: BLE001 - a card must render "unknown", never crash the page
        return MODELS[api_kind](id=as_uuid(raw.get("id")))


# --- History: time series, savings, charging sessions (fact sheet §2.1–2.2, addendum §1a) -------
# The same forgiving rules as the devices: a null, a number sent as a string or a broken value becomes
# None (a gap in a chart), a point without a readable time is dropped, unknown fields are kept in
# `extra`. Units come from `metadata.units` when the payload names them; the fallbacks are the
# addendum's (price €/MWh, energy Wh, money EUR).
DATA_FIELDS = {
    "heat-pumps": ("price", "inlet_temp_act", "hot_water_temp", "estimated_consumption",
                   "simulated_consumption", "unoptimized_consumption", "estimated_consumption_filtered"),
    "electric-vehicles": ("price", "battery_level", "is_charging", "is_plugged_in",
                          "is_at_optimized_location", "estimated_consumption", "unoptimized_consumption"),
    "inverters": ("export_power_to_grid_w", "battery_charge_level_percent",
                  "battery_charge_discharge_power_w", "household_consumption_w", "solar_production_w",
                  "price", "estimated_consumption", "unoptimized_consumption"),
}
BOOLEAN_DATA_FIELDS = frozenset({"is_charging", "is_plugged_in", "is_at_optimized_location"})
ENERGY_DATA_FIELDS = frozenset({"estimated_consumption", "simulated_consumption", "unoptimized_consumption",
                                "estimated_consumption_filtered"})
_ENERGY_TO_WH = {"wh": 1.0, "kwh": 1000.0, "mwh": 1e6}
_PRICE_TO_EUR_MWH = {"eur/mwh": 1.0, "€/mwh": 1.0, "eur/kwh": 1000.0, "€/kwh": 1000.0, "ct/kwh": 10.0,
                     "cent/kwh": 10.0}
_MONEY_TO_EUR = {"eur": 1.0, "€": 1.0, "ct": 0.01, "cent": 0.01, "cents": 0.01}


def _units(metadata: Any) -> dict[str, str]:
    units = metadata.get("units") if isinstance(metadata, Mapping) else None
    if not isinstance(units, Mapping):
        return {}
    return {str(k): str(v) for k, v in units.items() if isinstance(v, str | int | float)}


def _scaled(value: Any, unit: str | None, table: Mapping[str, float]) -> float | None:
    """`value` converted by the factor the unit names; an unknown unit is taken as the default one."""
    number = as_float(value)
    if number is None:
        return None
    factor = table.get((unit or "").strip().lower().replace(" ", ""), 1.0)
    return number * factor


def _unit_for(units: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if units.get(name):
            return units[name]
    return None


@dataclass
class DataPoint:
    time: datetime
    values: dict[str, float | bool | None]
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> float | bool | None:
        return self.values.get(name)


@dataclass
class TimeSeries:
    """One `/data` answer: points oldest first, in €/MWh, Wh (per point), °C, % and W."""

    points: list[DataPoint]
    units: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    no_data: bool = False  # the API said there is no data for this range (HP/inverter 400)

    def column(self, name: str) -> list[tuple[datetime, float | bool | None]]:
        return [(p.time, p.values.get(name)) for p in self.points]

    def total(self, name: str) -> float | None:
        values = [v for _, v in self.column(name) if isinstance(v, float)]
        return sum(values) if values else None


def parse_time_series(api_kind: str, raw: Any) -> TimeSeries:
    body = raw if isinstance(raw, Mapping) else {}
    metadata = dict(body.get("metadata")) if isinstance(body.get("metadata"), Mapping) else {}
    units = _units(metadata)
    known = DATA_FIELDS.get(api_kind, ())
    points: dict[datetime, DataPoint] = {}
    for row in body.get("data") if isinstance(body.get("data"), list) else []:
        if not isinstance(row, Mapping) or (at := as_datetime(row.get("time"))) is None:
            continue  # a point we cannot place on the time axis is a gap, not an error
        values: dict[str, float | bool | None] = {}
        for name in known:
            if name not in row:
                continue
            if name in BOOLEAN_DATA_FIELDS:
                values[name] = as_bool(row[name])
            elif name in ENERGY_DATA_FIELDS:
                values[name] = _scaled(row[name], _unit_for(units, name, "consumption"), _ENERGY_TO_WH)
            elif name == "price":
                values[name] = _scaled(row[name], _unit_for(units, "price"), _PRICE_TO_EUR_MWH)
            else:
                values[name] = as_float(row[name])
        points[at] = DataPoint(time=at, values=values, extra=_extra(row, {"time", *known}))
    return TimeSeries(points=[points[t] for t in sorted(points)], units=units, metadata=metadata,
                      no_data=bool(body.get("no_data")))


@dataclass
class SavingsBucket:
    """One `/savings` (or `/statistics`) bucket: money in EUR, energy in Wh."""

    resolution: str | None
    start: datetime | None
    end: datetime | None
    savings_eur: float | None
    savings_percent: float | None
    consumption_wh: float | None
    heat_pump: dict[str, float | None] = field(default_factory=dict)
    electric_vehicle: dict[str, float | None] = field(default_factory=dict)
    inverter: dict[str, float | None] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        """Savings were measured (a bucket without a number must not read as "€ 0.00")."""
        return self.savings_eur is not None


@dataclass
class SavingsReport:
    buckets: list[SavingsBucket]
    units: dict[str, str] = field(default_factory=dict)
    requested_at: datetime | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def bucket_at(self, at: datetime) -> SavingsBucket | None:
        return next((b for b in self.buckets if b.start and b.end and b.start <= at < b.end), None)


_SAVINGS_KNOWN = {"resolution", "period", "savings", "consumption", "heat_pump", "electric_vehicle",
                  "inverter"}


def _sub(raw: Any, units: Mapping[str, str]) -> dict[str, float | None]:
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, float | None] = {}
    for key, value in raw.items():
        if str(key).endswith("_wh"):
            out[str(key)] = _scaled(value, _unit_for(units, str(key)), _ENERGY_TO_WH)
        else:
            out[str(key)] = as_float(value)
    return out


def parse_savings(raw: Any) -> SavingsReport:
    body = raw if isinstance(raw, Mapping) else {}
    metadata = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
    units = _units(metadata)
    money_unit = _unit_for(units, "savings.total", "savings", "currency")
    energy_unit = _unit_for(units, "consumption.total", "consumption")
    buckets = []
    for row in body.get("data") if isinstance(body.get("data"), list) else []:
        if not isinstance(row, Mapping):
            continue
        period = row.get("period") if isinstance(row.get("period"), Mapping) else {}
        savings = row.get("savings") if isinstance(row.get("savings"), Mapping) else {}
        consumption = row.get("consumption") if isinstance(row.get("consumption"), Mapping) else {}
        buckets.append(SavingsBucket(
            resolution=as_str(row.get("resolution")),
            start=as_datetime(period.get("start_period")),
            end=as_datetime(period.get("end_period")),
            savings_eur=_scaled(savings.get("total"), money_unit, _MONEY_TO_EUR),
            savings_percent=as_float(savings.get("percentage")),
            consumption_wh=_scaled(consumption.get("total"), energy_unit, _ENERGY_TO_WH),
            heat_pump=_sub(row.get("heat_pump"), units),
            electric_vehicle=_sub(row.get("electric_vehicle"), units),
            inverter=_sub(row.get("inverter"), units),
            extra=_extra(row, _SAVINGS_KNOWN),
        ))
    buckets.sort(key=lambda b: b.start or datetime.min.replace(tzinfo=UTC))
    return SavingsReport(
        buckets=buckets,
        units=units,
        requested_at=as_datetime(metadata.get("requested_at")),
        error=as_str(metadata.get("error")),
        extra=_extra(metadata, {"requested_at", "query", "units", "error"}),
    )


@dataclass
class ChargingSession:
    """One EV charging session (addendum §1a `SessionItem`); money in EUR, energy in kWh."""

    id: str | None
    plug_in: datetime | None
    unplug: datetime | None
    inferred_end: datetime | None
    desired_start: datetime | None
    desired_end: datetime | None
    deadline: datetime | None
    target_soc: float | None
    initial_soc: float | None
    final_soc: float | None
    energy_kwh: float | None
    avg_power_kw: float | None
    peak_power_kw: float | None
    cost_eur: float | None
    expected_savings_eur: float | None
    actual_savings_eur: float | None
    is_at_home: bool | None
    outcome: str | None  # an open enum ("completed", "not_at_home", …): shown as words, never trusted
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ended(self) -> datetime | None:
        return self.unplug or self.inferred_end

    @property
    def duration(self) -> timedelta | None:
        if self.plug_in is None or self.ended is None or self.ended < self.plug_in:
            return None
        return self.ended - self.plug_in

    @property
    def savings_eur(self) -> float | None:
        return self.actual_savings_eur if self.actual_savings_eur is not None else self.expected_savings_eur


_SESSION_FIELDS = {
    "id", "plug_in_time", "unplug_time", "inferred_session_end", "desired_charging_start_time",
    "desired_charging_end_time", "charge_deadline", "target_soc_pct", "initial_soc_pct", "final_soc_pct",
    "energy_charged_kwh", "avg_charge_power_kw", "peak_charge_power_kw", "actual_cost_eur",
    "expected_savings_eur", "actual_savings_eur", "is_at_home", "session_outcome",
}


def _soc(value: Any) -> float | None:
    number = as_float(value)
    return number if number is not None and 0 <= number <= 100 else None


def parse_session(raw: Any) -> ChargingSession | None:
    if not isinstance(raw, Mapping):
        return None
    return ChargingSession(
        id=as_str(raw.get("id")),
        plug_in=as_datetime(raw.get("plug_in_time")),
        unplug=as_datetime(raw.get("unplug_time")),
        inferred_end=as_datetime(raw.get("inferred_session_end")),
        desired_start=as_datetime(raw.get("desired_charging_start_time")),
        desired_end=as_datetime(raw.get("desired_charging_end_time")),
        deadline=as_datetime(raw.get("charge_deadline")),
        target_soc=_soc(raw.get("target_soc_pct")),
        initial_soc=_soc(raw.get("initial_soc_pct")),
        final_soc=_soc(raw.get("final_soc_pct")),
        energy_kwh=as_float(raw.get("energy_charged_kwh")),
        avg_power_kw=as_float(raw.get("avg_charge_power_kw")),
        peak_power_kw=as_float(raw.get("peak_charge_power_kw")),
        cost_eur=as_float(raw.get("actual_cost_eur")),
        expected_savings_eur=as_float(raw.get("expected_savings_eur")),
        actual_savings_eur=as_float(raw.get("actual_savings_eur")),
        is_at_home=as_bool(raw.get("is_at_home")),
        outcome=as_str(raw.get("session_outcome")),
        extra=_extra(raw, _SESSION_FIELDS),
    )


@dataclass
class SessionPage:
    total: int | None
    items: list[ChargingSession]
    limit: int
    offset: int
    returned: int = 0  # rows the API sent (an unreadable one is dropped from `items` but still paged over)

    @property
    def has_next(self) -> bool:
        return self.total is not None and self.offset + max(self.returned, len(self.items)) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def parse_session_page(raw: Any, *, limit: int, offset: int) -> SessionPage:
    body = raw if isinstance(raw, Mapping) else {}
    rows = body.get("items") if isinstance(body.get("items"), list) else []
    items = [s for s in (parse_session(row) for row in rows) if s is not None]
    total = as_int(body.get("total"))
    return SessionPage(total=total if total is not None and total >= 0 else None, items=items, limit=limit,
                       offset=offset, returned=len(rows))


def parse_current_session(raw: Any) -> ChargingSession | None:
    """`{"session": SessionItem}`; a null session (nothing plugged in) is None."""
    return parse_session(raw.get("session")) if isinstance(raw, Mapping) else None
