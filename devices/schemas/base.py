"""What every device kind shares: health, boost state, actions, attention items and the Device model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from .parsing import STALE_AFTER, _first, as_bool, as_datetime, as_float, as_int, as_str, as_uuid

URL_KINDS = {"heat-pump": "heat-pumps", "electric-vehicle": "electric-vehicles", "inverter": "inverters"}


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


# Podero's documented device_type short names (fact sheet §2), in our words; any other falls back.
DEVICE_TYPES = {
    "hp_atw": gettext_noop("Heat pump (air to water)"),
    "ev": gettext_noop("Electric vehicle"),
    "inverter": gettext_noop("Solar inverter"),
}


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
    """Whole sentences per code (German words them differently); any other code gets the generic one."""
    names = {"manufacturer": manufacturer, "noun": _(noun)}
    if code == "reauthenticate":
        return (_("The connection to your %(manufacturer)s account has expired. Reconnect it so Podero can keep "
                  "optimizing.") if manufacturer else
                _("The connection to your manufacturer account has expired. Reconnect it so Podero can keep "
                  "optimizing.")) % names
    if code == "not_authenticated":
        return (_("This %(noun)s is not connected to your %(manufacturer)s account any more. Reconnect it so "
                  "Podero can keep optimizing.") if manufacturer else
                _("This %(noun)s is not connected to your manufacturer account any more. Reconnect it so Podero "
                  "can keep optimizing.")) % names
    return _("Podero needs you to take an action on this %(noun)s before it can resume normal optimization.") % names


UNKNOWN_NAMES = {  # a device without make and model; German needs the noun's gender, so whole phrases
    "device": gettext_noop("Unknown device"), "heat pump": gettext_noop("Unknown heat pump"),
    "electric vehicle": gettext_noop("Unknown electric vehicle"), "solar inverter": gettext_noop("Unknown solar inverter"),
}


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
    noun: ClassVar[str] = gettext_noop("device")  # English; translate where shown: _(device.noun)

    id: str | None
    manufacturer: str | None = None
    model: str | None = None
    year: int | None = None
    type_name: str | None = None  # device_type.long_name, Podero's English ("Heat Pump (Air-to-Water)")
    type_code: str | None = None  # device_type.short_name ("hp_atw")
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
        return " ".join(parts) if parts else _(UNKNOWN_NAMES.get(self.noun, UNKNOWN_NAMES["device"]))

    @property
    def type_label(self) -> str:
        """The device type in the reader's language: ours for the types we know, Podero's English name
        only while English is shown, else the kind's noun ("Wärmepumpe")."""
        known = DEVICE_TYPES.get(self.type_code or "")
        if known:
            return _(known)
        if self.type_name and (get_language() or "en").startswith("en"):
            return self.type_name
        return _(self.noun)

    # -- freshness
    def state_age(self, now: datetime | None = None) -> timedelta | None:
        if self.state_updated_at is None:
            return None
        return (now or datetime.now(UTC)) - self.state_updated_at

    def is_state_stale(self, now: datetime | None = None) -> bool:
        age = self.state_age(now)
        return age is not None and age > STALE_AFTER

    @property
    def connection_health(self) -> Health:
        """The connection badge: `connection_status` when the payload has it, else what
        `is_authenticated` says (the guide's own example payloads carry no status fields)."""
        if self.connection_status is not Health.UNKNOWN:
            return self.connection_status
        if self.is_authenticated is True:
            return Health.OK
        if self.is_authenticated is False:
            return Health.ERROR
        return Health.UNKNOWN

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
        label = (_("Reconnect %(manufacturer)s") % {"manufacturer": self.manufacturer} if self.manufacturer
                 else _("Reconnect"))
        resolve = _("Resolve")
        direct = self.authorization_url or self.embeddable_url
        lost = self.is_authenticated is False
        items = []
        for index, action in enumerate(self.actions):
            via_link = action.url is not None
            items.append(AttentionItem(
                code=action.code, message=_attention_message(action.code, self.manufacturer, self.noun),
                url=None if via_link else direct, button_label=label if action.code == "reauthenticate" else resolve,
                reconnect=via_link or (lost and not direct), action_index=index if via_link else None,
            ))
        if not items:
            code = "not_authenticated" if lost else "unknown"
            items.append(AttentionItem(
                code=code, message=_attention_message(code, self.manufacturer, self.noun), url=direct,
                button_label=label if lost else resolve, reconnect=lost and not direct,
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
        "type_code": as_str(dtype.get("short_name")),
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

