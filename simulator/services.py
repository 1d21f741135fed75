"""Every state change the simulator makes: tokens, registrations, updates, boost, plug-in, re-auth, cues.

Writes lock the device row (`select_for_update`) inside a transaction, so concurrent boosts and plug
events serialise on SQLite and PostgreSQL alike. Before changing an EV, its time-dependent level is
"materialised" (the level reached by now becomes the new stored level), which keeps every later read
a pure function of the stored facts and the clock.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from . import clock, config, physics
from .defaults import default_attrs, default_facts
from .models import AccessToken, Cue, Device, OAuthClient, PoderoUser
from .validation import WEEKDAYS

TOKEN_PURGE_AFTER = timedelta(days=1)  # expired tokens linger a day for debugging, then go


class BoostRefused(Exception):
    """409 `{"state": ..., "reason": ...}` (fact sheet §4.2)."""

    def __init__(self, state: str, reason: str) -> None:
        super().__init__(reason)
        self.state, self.reason = state, reason


# --- Tokens -----------------------------------------------------------------------------------
def token_issue(*, client: OAuthClient) -> AccessToken:
    now = clock.now()
    AccessToken.objects.filter(expires_at__lt=now - TOKEN_PURGE_AFTER).delete()
    return AccessToken.objects.create(
        token=secrets.token_urlsafe(30),
        client=client,
        org_id=client.org_id,
        issued_at=now,
        expires_at=now + timedelta(seconds=config.token_ttl_s()),
    )


def token_lookup(raw: str) -> AccessToken | None:
    """The live token for `raw`, or None when unknown or expired (by the simulator's clock)."""
    return AccessToken.objects.filter(token=raw, expires_at__gt=clock.now()).first()


# --- Devices ----------------------------------------------------------------------------------
def _locked(device: Device) -> Device:
    return Device.objects.select_for_update().select_related("owner").get(pk=device.pk)


def _mutate(device: Device, change: Callable[[Device, datetime], Any]) -> Any:
    """Run `change(row, now)` on the locked row, save it, and refresh the caller's instance."""
    with transaction.atomic():
        row = _locked(device)
        now = clock.now()
        result = change(row, now)
        row.updated_at = now
        row.save()
    device.refresh_from_db()
    return result


def device_register(
    *,
    owner: PoderoUser,
    kind: str,
    fields: dict[str, Any],
    device_id: uuid.UUID | None = None,
    first_data_delay: timedelta = timedelta(0),
) -> Device:
    """Create a device with the kind's defaults overlaid by validated `fields`."""
    now = clock.now()
    attrs = default_attrs(kind)
    _apply_fields(attrs, fields, now)
    facts = default_facts(kind)
    if kind == Device.ELECTRIC_VEHICLE:
        facts.update(anchor_at=clock.iso(now))
    return Device.objects.create(
        id=device_id or uuid.uuid4(),
        owner=owner,
        kind=kind,
        attrs=attrs,
        facts=facts,
        first_data_at=now + first_data_delay,
        created_at=now,
        updated_at=now,
    )


def device_update(device: Device, fields: dict[str, Any]) -> Device:
    """Partial update of validated writable fields (PUT)."""

    def change(row: Device, now: datetime) -> None:
        if "deleted_at" in fields:
            row.deleted_at = clock.parse_iso(fields["deleted_at"])
        _apply_fields(row.attrs, {k: v for k, v in fields.items() if k != "deleted_at"}, now)

    _mutate(device, change)
    return device


def _apply_fields(attrs: dict[str, Any], fields: dict[str, Any], now: datetime) -> None:
    policy_keys = {"is_charge_policy_enabled", "minimum_charge_limit", "charge_deadline_at"}
    for key, value in fields.items():
        if key == "device_model":
            attrs["device_model"] = {**(attrs.get("device_model") or {}), **value}
        else:
            attrs[key] = value
    weekly = attrs.get("weekly_policy")
    if weekly:  # §8 #21: the EV's daily default fills every weekday
        for day in WEEKDAYS:
            if "minimum_charge_limit" in fields:
                weekly[day]["charge_percentage"] = fields["minimum_charge_limit"]
            if "charge_deadline_at" in fields:
                weekly[day]["charge_deadline"] = fields["charge_deadline_at"]
    if policy_keys & set(fields):
        attrs["charge_policy_last_updated_at"] = clock.iso(now)


def weekly_policy(device: Device) -> dict[str, Any]:
    """The stored weekly policy, or the daily default repeated over the week."""
    stored = device.attrs.get("weekly_policy")
    if stored:
        return {**{day: dict(stored[day]) for day in WEEKDAYS}, "timezone": stored["timezone"]}
    day = {
        "charge_percentage": device.attrs.get("minimum_charge_limit"),
        "charge_deadline": device.attrs.get("charge_deadline_at"),
    }
    return {**{d: dict(day) for d in WEEKDAYS}, "timezone": device.owner.timezone}


def weekly_policy_set(device: Device, data: dict[str, Any]) -> None:
    """Full replace (§8 #19); stored even while `is_charge_policy_enabled` is false."""

    def change(row: Device, now: datetime) -> None:
        row.attrs["weekly_policy"] = data
        row.attrs["charge_policy_last_updated_at"] = clock.iso(now)

    _mutate(device, change)


# --- EV charging and boost (§4) ---------------------------------------------------------------
def _materialise(row: Device, now: datetime) -> physics.EvReading:
    """Store the level reached by `now` as the new anchor; end a session that reached its cap."""
    reading = physics.ev_reading(now, row.facts, row.attrs, authenticated=row.is_authenticated)
    f = row.facts
    f["level"] = reading.level
    f["anchor_at"] = clock.iso(now)
    if reading.is_fully_charged or not f.get("plugged_in"):
        f["charging"] = None
        f["charge_start_at"] = None
    return reading


def _start_boost(row: Device, now: datetime) -> None:
    f = row.facts
    f["charging"] = "boost"
    f["charge_start_at"] = clock.iso(now + timedelta(seconds=config.boost_delay_s()))
    f["changed_at"] = clock.iso(now)


def ev_boost_start(device: Device, *, internal_error: bool = False) -> None:
    """POST /boost: start now, or arm for the next plug-in; raise BoostRefused for a 409."""

    def change(row: Device, now: datetime) -> None:
        reading = _materialise(row, now)
        if internal_error:
            raise BoostRefused(reading.boost_state, "internal_error")
        f = row.facts
        if not f.get("plugged_in"):
            f["boost_armed"] = True  # idempotent: re-posting while armed changes nothing
            return
        if not row.is_authenticated:
            raise BoostRefused(reading.boost_state, "no_active_session")
        if reading.boost_state in ("requested", "ongoing") or reading.is_charging:
            raise BoostRefused(reading.boost_state, "already_charging")
        if reading.is_fully_charged:
            raise BoostRefused(reading.boost_state, "fully_charged")
        _start_boost(row, now)

    _mutate(device, change)


def ev_boost_disarm(device: Device) -> None:
    """DELETE /boost: clear the armed flag only; a live boost runs on (§4.2)."""

    def change(row: Device, now: datetime) -> None:
        row.facts["boost_armed"] = False

    _mutate(device, change)


def ev_set_plugged(device: Device, plugged: bool) -> Device:
    """Plug in (an armed boost fires and the flag resets) or unplug (any session ends)."""

    def change(row: Device, now: datetime) -> None:
        _materialise(row, now)
        f = row.facts
        was = bool(f.get("plugged_in"))
        f["plugged_in"] = plugged
        f["changed_at"] = clock.iso(now)
        if plugged and not was:  # where the current session (GET .../sessions/current) starts
            f["plugged_at"] = clock.iso(now)
            f["plug_level"] = f.get("level")
        if not plugged:
            f["charging"] = None
            f["charge_start_at"] = None
        elif not was and f.get("boost_armed"):
            f["boost_armed"] = False
            _start_boost(row, now)

    _mutate(device, change)
    return device


def ev_set_charging(device: Device, *, level: float | None = None, smart: bool | None = None) -> Device:
    """Test helper: set the battery level now and/or start (or stop) charging by optimization."""

    def change(row: Device, now: datetime) -> None:
        _materialise(row, now)
        f = row.facts
        if level is not None:
            f["level"] = float(level)
        if smart is not None:
            f["charging"] = "smart" if smart else None
            f["charge_start_at"] = clock.iso(now) if smart else None
        f["changed_at"] = clock.iso(now)

    _mutate(device, change)
    return device


# --- Re-authentication and cues (§5, §8 #14) --------------------------------------------------
def require_reauth(device: Device) -> Cue:
    """Simulate a lapsed manufacturer link: not authenticated, status error, one `reauthenticate` action."""

    def change(row: Device, now: datetime) -> Cue:
        row.is_authenticated = False
        existing = row.cues.exclude(status=Cue.DONE).filter(code="reauthenticate").first()
        return existing or Cue.objects.create(device=row, code="reauthenticate", created_at=now)

    return _mutate(device, change)


def reconnect(device: Device) -> None:
    """The user re-linked the device: authenticated again and every pending action done."""

    def change(row: Device, now: datetime) -> None:
        row.is_authenticated = True
        row.cues.exclude(status=Cue.DONE).update(status=Cue.DONE, completed_at=now)

    _mutate(device, change)


def cue_start(cue: Cue) -> None:
    Cue.objects.filter(pk=cue.pk).exclude(status=Cue.DONE).update(status=Cue.IN_PROGRESS)


def cue_report(cue: Cue, *, success: bool) -> None:
    """`success` completes the action and restores the device; `fail` keeps it available for a retry."""
    if success:
        reconnect(cue.device)
    else:
        Cue.objects.filter(pk=cue.pk).update(status=Cue.FAILED)


def make_stale(device: Device, hours: float) -> Device:
    """Simulate a device that stopped reporting `hours` ago (statuses turn "warning" after 1 h)."""

    def change(row: Device, now: datetime) -> None:
        row.frozen_at = clock.floor_5min(now - timedelta(hours=hours))

    _mutate(device, change)
    return device


def make_live(device: Device) -> Device:
    def change(row: Device, now: datetime) -> None:
        row.frozen_at = None

    _mutate(device, change)
    return device
