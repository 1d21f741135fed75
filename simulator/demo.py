"""The demo organization the product runs against out of the box: Anna Huber and her four devices.

`ensure_demo()` is idempotent: it creates what is missing and changes nothing that exists (except
the OAuth client's secret, which follows settings). `ensure_demo(reset=True)` also restores every
demo device to its initial state (plugged in / idle / authenticated / no pending actions).
The ids are fixed, so links, bookmarks and tests survive a re-seed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from . import clock
from .defaults import DATA_SINCE, default_attrs, default_facts
from .models import Device, OAuthClient, Organization, PoderoUser

USER_ID = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
HEAT_PUMP_ID = "6f1c2e0a-9d1b-4c53-8a0e-2b7c1f3e4d51"
EV_ID = "c2a9e1d4-55b0-4b7e-9f51-0a6c7d8e9f10"
SECOND_EV_ID = "3b8f2d6e-1c4a-4e7b-9d2f-5a6c7e8f9a01"
INVERTER_ID = "0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b"
BUILDING_ID = "94964bf8-4ec9-4f3f-b10e-0fe21980279e"


@dataclass(frozen=True)
class DemoInfo:
    org_id: str
    client_id: str
    client_secret: str
    user_id: str
    email: str
    heat_pump_id: str
    ev_id: str
    second_ev_id: str
    inverter_id: str

    @property
    def device_ids(self) -> tuple[str, ...]:
        return (self.heat_pump_id, self.ev_id, self.second_ev_id, self.inverter_id)


def _specs() -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """id -> (kind, attrs overrides, EV facts overrides)."""
    common = {"building_id": BUILDING_ID, "price_zone": "AT"}
    return {
        HEAT_PUMP_ID: (
            Device.HEAT_PUMP,
            {
                **common,
                "optimization_score": 78.5,
                "optimization_level": "Mid",
                "device_model": {
                    "manufacturer": "Nibe",
                    "model": "S2125-8",
                    "year": 2022,
                    "cloud_service_id": "0b7d7a52-3f0e-4c1e-9a44-5d2f8c6a1e90",
                },
            },
            {},
        ),
        EV_ID: (
            Device.ELECTRIC_VEHICLE,
            {
                **common,
                "battery_capacity_kwh": 75.0,
                "charge_target_min": 50,
                "charge_target_max": 90,
                "is_charge_policy_enabled": True,
                "minimum_charge_limit": 80,
                "charge_deadline_at": "07:00",
                "charge_policy_last_updated_at": "2025-02-20T10:00:00Z",
                "device_model": {
                    "manufacturer": "Tesla",
                    "model": "Model 3",
                    "year": 2023,
                    "cloud_service_id": "5e3f9a10-7b21-4d8e-a3c2-9f0e1d2c3b4a",
                },
            },
            {"plugged_in": True, "level": 42.0, "charger_power_w": 11000},
        ),
        SECOND_EV_ID: (
            Device.ELECTRIC_VEHICLE,
            {
                **common,
                "battery_capacity_kwh": 77.0,
                "charge_target_min": 40,
                "charge_target_max": 100,
                "device_model": {
                    "manufacturer": "Volkswagen",
                    "model": "ID.4",
                    "year": 2022,
                    "cloud_service_id": "5e3f9a10-7b21-4d8e-a3c2-9f0e1d2c3b4a",
                },
            },
            {"plugged_in": False, "level": 68.0, "charger_power_w": 11000},
        ),
        INVERTER_ID: (
            Device.INVERTER,
            {
                **common,
                "optimization_score": 64.0,
                "solar_power_rating_kw": 10.2,
                "is_battery_connected": True,
                "battery_capacity_kwh": 10.0,
                "min_battery_charge": 20.0,
                "max_battery_charge": 90.0,
                "device_model": {
                    "manufacturer": "Fronius",
                    "model": "Symo GEN24 10.0 Plus",
                    "year": 2022,
                    "cloud_service_id": "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
                },
            },
            {},
        ),
    }


def ensure_demo(*, reset: bool = False) -> DemoInfo:
    """Create the demo org, OAuth client, user and devices if missing; with `reset`, restore device state."""
    org_id = uuid.UUID(str(settings.PODERO_ORG_ID))
    with transaction.atomic():
        now = clock.now()
        org, _ = Organization.objects.get_or_create(
            id=org_id, defaults={"name": "Demo Energy Partner", "created_at": now}
        )
        client = OAuthClient.objects.filter(client_id=settings.PODERO_CLIENT_ID).first()
        if client is None:
            client = OAuthClient.objects.create(
                org=org,
                client_id=settings.PODERO_CLIENT_ID,
                client_secret=settings.PODERO_CLIENT_SECRET,
                created_at=now,
            )
        elif client.client_secret != settings.PODERO_CLIENT_SECRET or client.org_id != org.id:
            client.client_secret, client.org = settings.PODERO_CLIENT_SECRET, org
            client.save(update_fields=["client_secret", "org"])
        user = _ensure_user(org, reset=reset)
        for device_id, (kind, attrs, facts) in _specs().items():
            _ensure_device(user, device_id, kind, attrs, facts, reset=reset)
    return DemoInfo(
        org_id=str(org.id),
        client_id=client.client_id,
        client_secret=client.client_secret,
        user_id=USER_ID,
        email=user.email,
        heat_pump_id=HEAT_PUMP_ID,
        ev_id=EV_ID,
        second_ev_id=SECOND_EV_ID,
        inverter_id=INVERTER_ID,
    )


def _ensure_user(org: Organization, *, reset: bool) -> PoderoUser:
    defaults = {
        "org": org,
        "role": "user",
        "email": "anna@example.com",
        "first_name": "Anna",
        "last_name": "Huber",
        "external_user_id": "CUST-1001",
        "timezone": "Europe/Vienna",
        "street_and_number": "Mariahilfer Straße 1",
        "zip_code": "1060",
        "town": "Wien",
        "country": "AT",
        "created_at": clock.now(),
        "deleted_at": None,
    }
    user, created = PoderoUser.objects.get_or_create(id=uuid.UUID(USER_ID), defaults=defaults)
    if not created and (reset or user.org_id != org.id):
        for key, value in defaults.items():
            if key != "created_at":
                setattr(user, key, value)
        user.save()
    return user


def _ensure_device(
    user: PoderoUser, device_id: str, kind: str, attrs: dict[str, Any], facts: dict[str, Any], *, reset: bool
) -> None:
    now = clock.now()
    state = {
        "owner": user,
        "kind": kind,
        "attrs": {**default_attrs(kind), **attrs},
        "facts": {
            **default_facts(kind),
            **facts,
            **({"anchor_at": clock.iso(now)} if kind == Device.ELECTRIC_VEHICLE else {}),
        },
        "is_authenticated": True,
        "first_data_at": DATA_SINCE,
        "frozen_at": None,
        "deleted_at": None,
        "updated_at": now,
    }
    device, created = Device.objects.get_or_create(
        id=uuid.UUID(device_id), defaults={**state, "created_at": now}
    )
    if created or not reset:
        return
    for key, value in state.items():
        setattr(device, key, value)
    device.save()
    device.cues.all().delete()
