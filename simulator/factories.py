"""Small builders for simulator data, for tests here and elsewhere (and for `demo`).

    org = create_org()
    create_client(org, "test-client", "test-secret")
    anna = create_user(org, "anna@example.com", "Anna", "Huber")
    ev = create_ev(anna, battery_level=42, is_plugged_in=True, manufacturer="Tesla", model="Model 3")
    require_reauth(ev)

Device overrides are API field names (`price_zone`, `battery_capacity_kwh`, `charge_target_max`...)
plus these conveniences: `id`, `is_authenticated`, `manufacturer`/`model`/`year`, `first_data_at`
(None = no data yet: statuses "unknown"), and for EVs the state `is_plugged_in`, `battery_level`,
`is_charging` (charging by optimization), `boost_for_next_session`, `charger_power_w`.
An unknown override raises TypeError, so a typo never passes silently.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from . import clock, services
from .defaults import DATA_SINCE, default_attrs, default_facts
from .models import Cue, Device, OAuthClient, Organization, PoderoUser

_MODEL_KEYS = ("manufacturer", "model", "year")
_EV_FACTS = {
    "is_plugged_in": "plugged_in",
    "battery_level": "level",
    "boost_for_next_session": "boost_armed",
    "charger_power_w": "charger_power_w",
}


def create_org(id: uuid.UUID | str | None = None, name: str = "Test Partner") -> Organization:  # noqa: A002
    return Organization.objects.create(
        id=uuid.UUID(str(id)) if id else uuid.uuid4(), name=name, created_at=clock.now()
    )


def create_client(
    org: Organization, client_id: str = "test-client", client_secret: str = "test-secret"
) -> OAuthClient:
    return OAuthClient.objects.create(
        org=org, client_id=client_id, client_secret=client_secret, created_at=clock.now()
    )


def create_user(
    org: Organization,
    email: str = "user@example.com",
    first_name: str = "Test",
    last_name: str = "User",
    id: uuid.UUID | str | None = None,
    timezone: str = "Europe/Vienna",
    **fields: Any,
) -> PoderoUser:  # noqa: A002
    """An end user (role "user"); `fields` may set any other user column (external_user_id, role, town...)."""
    return PoderoUser.objects.create(
        id=uuid.UUID(str(id)) if id else uuid.uuid4(),
        org=org,
        email=email,
        first_name=first_name,
        last_name=last_name,
        timezone=timezone,
        created_at=clock.now(),
        **fields,
    )


def create_heat_pump(user: PoderoUser, **overrides: Any) -> Device:
    overrides.setdefault("manufacturer", "Nibe")
    overrides.setdefault("model", "S2125-8")
    return _create(user, Device.HEAT_PUMP, overrides)


def create_ev(user: PoderoUser, **overrides: Any) -> Device:
    overrides.setdefault("manufacturer", "Tesla")
    overrides.setdefault("model", "Model 3")
    return _create(user, Device.ELECTRIC_VEHICLE, overrides)


def create_inverter(user: PoderoUser, **overrides: Any) -> Device:
    overrides.setdefault("manufacturer", "Fronius")
    overrides.setdefault("model", "Symo GEN24 10.0 Plus")
    overrides.setdefault("is_battery_connected", True)
    overrides.setdefault("battery_capacity_kwh", 10.0)
    overrides.setdefault("solar_power_rating_kw", 10.2)
    return _create(user, Device.INVERTER, overrides)


def require_reauth(device: Device) -> Cue:
    """The device needs re-authentication: is_authenticated=false, status error, a `reauthenticate` action."""
    return services.require_reauth(device)


def set_plugged_in(ev: Device, plugged: bool) -> Device:
    """Plug the EV in (an armed boost fires) or unplug it (any session ends)."""
    return services.ev_set_plugged(ev, plugged)


def make_stale(device: Device, hours: float) -> Device:
    """The device stopped reporting `hours` ago; after an hour its statuses read "warning"."""
    return services.make_stale(device, hours)


def _create(user: PoderoUser, kind: str, overrides: dict[str, Any]) -> Device:
    now = clock.now()
    attrs = default_attrs(kind)
    device_id = overrides.pop("id", None)
    authenticated = overrides.pop("is_authenticated", True)
    first_data_at: datetime | None = overrides.pop("first_data_at", DATA_SINCE)
    model = {**attrs["device_model"], **{k: overrides.pop(k) for k in _MODEL_KEYS if k in overrides}}
    attrs["device_model"] = {**model, **overrides.pop("device_model", {})}
    facts: dict[str, Any] = {}
    if kind == Device.ELECTRIC_VEHICLE:
        facts = default_facts(kind)
        for api_name, fact in _EV_FACTS.items():
            if api_name in overrides:
                facts[fact] = overrides.pop(api_name)
        facts["level"] = float(facts["level"])
        if overrides.pop("is_charging", False):
            facts["charging"] = "smart"
            facts["charge_start_at"] = clock.iso(now)
        facts["anchor_at"] = clock.iso(now)
    unknown = set(overrides) - set(attrs)
    if unknown:
        raise TypeError(f"unknown {kind} override(s): {', '.join(sorted(unknown))}")
    attrs.update(overrides)
    return Device.objects.create(
        id=uuid.UUID(str(device_id)) if device_id else uuid.uuid4(),
        owner=user,
        kind=kind,
        attrs=attrs,
        facts=facts,
        is_authenticated=authenticated,
        first_data_at=first_data_at,
        created_at=now,
        updated_at=now,
    )
