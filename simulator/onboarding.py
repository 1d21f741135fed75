"""Device onboarding sessions (addendum §1b, fact sheet §3.10, §8 #29/#30): create, render, complete.

A session is made by `POST /device-onboarding` for one user of the token's org. It is valid until the
end of the next day in that user's time zone. The Connect UI (`onboarding_views.connect`) completes it
once: it creates the device with the simulator's factories (so it reports live state at once, like a
seeded device), sets `object_id`, and sends the browser to the stored `success_url`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db import transaction

from . import clock, factories
from .models import Device, OnboardingSession, PoderoUser

# What the Connect UI offers: per kind, the manufacturers one can "sign in" with, and a model each.
MANUFACTURERS: dict[str, dict[str, str]] = {
    Device.HEAT_PUMP: {"Nibe": "S2125-8", "Daikin": "Altherma 3 H HT", "Viessmann": "Vitocal 250-A",
                       "Vaillant": "aroTHERM plus"},
    Device.ELECTRIC_VEHICLE: {"Tesla": "Model 3", "Volkswagen": "ID.4", "BMW": "i4 eDrive40",
                              "Hyundai": "IONIQ 5"},
    Device.INVERTER: {"Fronius": "Symo GEN24 10.0 Plus", "SolarEdge": "SE10K", "Huawei": "SUN2000-10KTL-M1",
                      "SMA": "Sunny Tripower 10.0"},
}
# The body's device_type enum (ev|iv|wb|hp) to our kinds; the simulator has no wallboxes.
DEVICE_TYPE_KINDS = {"hp": Device.HEAT_PUMP, "ev": Device.ELECTRIC_VEHICLE, "iv": Device.INVERTER}
KIND_LABELS = {Device.HEAT_PUMP: "Heat pump", Device.ELECTRIC_VEHICLE: "Electric vehicle",
               Device.INVERTER: "Solar inverter"}
FAILING_PASSWORD = "wrong"  # noqa: S105 - the Connect UI's stand-in for a refused manufacturer sign-in
_CREATE = {Device.HEAT_PUMP: factories.create_heat_pump, Device.ELECTRIC_VEHICLE: factories.create_ev,
           Device.INVERTER: factories.create_inverter}


def _local_today(user: PoderoUser) -> date:
    return clock.now().astimezone(ZoneInfo(user.timezone or "UTC")).date()


def create(*, user: PoderoUser, fields: dict[str, Any]) -> OnboardingSession:
    """A new session for `user` with validated body `fields`; valid until the end of the next day."""
    return OnboardingSession.objects.create(
        org_id=user.org_id,
        user=user,
        language=fields.get("language") or "en",
        price_zone_default=fields["price_zone_default"],
        is_smart_optimization_active_default=fields.get("is_smart_optimization_active_default", True),
        success_url=fields["success_url"],
        cancel_url=fields["cancel_url"],
        building_id=fields.get("building_id"),
        device_type=fields.get("device_type"),
        expiration_date=_local_today(user) + timedelta(days=1),
        created_at=clock.now(),
    )


def is_expired(session: OnboardingSession) -> bool:
    return _local_today(session.user) > session.expiration_date


def connect_url(root: str, session: OnboardingSession) -> str:
    """The simulator's Connect UI for this session (Podero's is `https://connect.podero.com?onboarding_session_id=…`)."""
    return f"{root}/_sim/connect?{urlencode({'onboarding_session_id': str(session.id)})}"


def payload(session: OnboardingSession, *, root: str) -> dict[str, Any]:
    return {
        "authentication_url": connect_url(root, session),
        "id": str(session.id),
        "user": str(session.user_id),
        "success_url": session.success_url,
        "cancel_url": session.cancel_url,
        "expiration_date": session.expiration_date.isoformat(),
        "object_id": str(session.object_id) if session.object_id else None,
        "external_metadata": dict(session.external_metadata or {}),
    }


def kinds_offered(session: OnboardingSession) -> list[str]:
    """The kinds the Connect UI lets one pick: the session's device_type if given, else every kind."""
    if session.device_type:
        kind = DEVICE_TYPE_KINDS.get(session.device_type)
        return [kind] if kind else []
    return list(MANUFACTURERS)


def complete(session: OnboardingSession, *, kind: str, manufacturer: str) -> Device:
    """Create the device for the session's user (once: a second submit returns the same device)."""
    with transaction.atomic():
        row = OnboardingSession.objects.select_for_update().select_related("user").get(pk=session.pk)
        if row.object_id is not None:
            return Device.objects.get(pk=row.object_id)
        overrides: dict[str, Any] = {
            "manufacturer": manufacturer,
            "model": MANUFACTURERS[kind][manufacturer],
            "year": clock.now().year,
            "price_zone": row.price_zone_default,
            "is_smart_optimization_active": row.is_smart_optimization_active_default,
        }
        if row.building_id:
            overrides["building_id"] = str(row.building_id)
        if kind == Device.ELECTRIC_VEHICLE:
            overrides.update(battery_level=64, is_plugged_in=True)
        device = _CREATE[kind](row.user, **overrides)
        row.object_id = device.id
        row.completed_at = clock.now()
        row.save(update_fields=["object_id", "completed_at"])
    session.refresh_from_db()
    return device
