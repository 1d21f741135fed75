"""The three device kinds (heat pump, electric vehicle, solar inverter), their display rules and parsers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from .. import payload
from .base import _KNOWN, BoostState, Device, _common, _extra
from .parsing import _first, as_bool, as_float, as_int, as_percent, as_str, as_time, as_uuid

# --- Heat pump ----------------------------------------------------------------------------------
# Lazy: module constants, translated when shown ("Boost" of a heat pump is not the car's "Boost").
HP_MODE_LABELS = {"min": pgettext_lazy("heat pump mode", "Min"), "low": pgettext_lazy("heat pump mode", "ECO"),
                  "mid": pgettext_lazy("heat pump mode", "Comfort"), "max": pgettext_lazy("heat pump mode", "Boost")}
HP_MODE_MEANING = {"min": gettext_noop("the lowest setting"), "low": gettext_noop("saving energy"),
                   "mid": gettext_noop("normal comfort"), "max": gettext_noop("the highest setting")}
HP_LEGACY_MODES = {"heating": gettext_noop("Heating"), "cooling": gettext_noop("Cooling"),
                   "hot water": gettext_noop("Hot water"), "dhw": gettext_noop("Hot water"),
                   "standby": gettext_noop("Standby"), "off": gettext_noop("Off"), "auto": gettext_noop("Automatic")}
HP_FUNCTIONS = (("is_space_heating_enabled", gettext_noop("heating")),
                ("is_hot_water_heating_enabled", gettext_noop("hot water")),
                ("is_space_cooling_enabled", gettext_noop("cooling")), ("is_pool_heating_enabled", gettext_noop("pool")))


@dataclass(frozen=True, kw_only=True)
class HeatPump(Device):
    kind: ClassVar[str] = "heat_pump"
    api_kind: ClassVar[str] = "heat-pumps"
    noun: ClassVar[str] = gettext_noop("heat pump")

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
            return _("Not optimizing")
        if self.is_smart_optimization_active is None:
            return _("Unknown")
        if self.current_mode is None:
            return _("Optimizing")
        label = HP_MODE_LABELS.get(self.current_mode.lower())
        return str(label) if label else _("Optimizing (%(mode)s)") % {"mode": self.current_mode}


    @property
    def mode_meaning(self) -> str | None:
        """What the running mode means, in words ("Min — the lowest setting")."""
        if not self.is_smart_optimization_active or not self.current_mode:
            return None
        meaning = HP_MODE_MEANING.get(self.current_mode.lower())
        return _(meaning) if meaning else None

    @property
    def optimization_level_label(self) -> str | None:
        """`optimization_level`: the highest setting Podero may use, in the same words as the modes."""
        if not self.optimization_level:
            return None
        return str(HP_MODE_LABELS.get(self.optimization_level.lower(), self.optimization_level))

    @property
    def operating_mode_label(self) -> str | None:
        """The legacy `operational_mode` when sent, else what the enabled functions say (new-style payloads)."""
        if self.operational_mode:
            legacy = HP_LEGACY_MODES.get(self.operational_mode.strip().lower().replace("_", " "))
            return _(legacy) if legacy else self.operational_mode  # a mode we don't know is shown as sent
        flags = [(name, as_bool(self.extra.get(key))) for key, name in HP_FUNCTIONS]
        if all(value is None for _name, value in flags):
            return None
        enabled = [_(name) for name, value in flags if value]
        if not enabled:
            return _("Standby")
        text = " & ".join(enabled)
        return text[:1].upper() + text[1:]  # not str.capitalize(): German nouns keep their capitals


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
    ChargeStatus.UNPLUGGED: gettext_noop("Unplugged"),
    ChargeStatus.WAITING: gettext_noop("Plugged in — waiting for an optimal window"),
    ChargeStatus.CHARGING: gettext_noop("Charging"),
    ChargeStatus.UNKNOWN: gettext_noop("Charging status unknown"),
}


@dataclass(frozen=True, kw_only=True)
class ElectricVehicle(Device):
    kind: ClassVar[str] = "electric_vehicle"
    api_kind: ClassVar[str] = "electric-vehicles"
    noun: ClassVar[str] = gettext_noop("electric vehicle")

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
            return _("Plugged in — fully charged")
        return _(CHARGE_STATUS_LABELS[self.charge_status])

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
            return _("the car is not connected to Podero")
        if self.is_fully_charged:
            return _("the battery is full")
        if self.is_charging:
            return _("the car is already charging")
        if self.is_plugged_in is False:
            return _("the car is not plugged in")
        return _("boost is not enabled for this car")


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
    noun: ClassVar[str] = gettext_noop("solar inverter")

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
    def self_use_pct(self) -> float | None:
        """Self-consumption now: the share of the solar power used in the home (its battery included),
        i.e. not exported. None without solar, or when the grid flow is unknown."""
        if not self.solar_w or self.solar_w <= 0 or self.grid_w is None:
            return None
        exported = min(max(self.grid_w, 0.0), self.solar_w)
        return 100.0 * (self.solar_w - exported) / self.solar_w

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

