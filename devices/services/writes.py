"""Everything a homeowner can change, through one path (`_write`).

Each change: count the write against the per-homeowner limit, look the device up among the
homeowner's own devices (a foreign id is refused before any call), call the client once (writes are
never retried), invalidate that homeowner's cached list, and write one AuditEntry row whatever
happens. Failures reach the caller as a WriteError with a sentence for people; the caller keeps what
was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace as _replace
from datetime import time as _time
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import podero
from ..models import AuditEntry
from ..podero import PoderoError
from ..schemas import BoostState, Device, ElectricVehicle, parse_device
from . import confirm
from .audit import (
    A_BOOST_CANCEL,
    A_BOOST_START,
    A_DEADLINE,
    A_OPTIMIZATION,
    A_POLICY,
    A_RECONNECT,
    CHECKING,
    CONFLICT_MESSAGES,
    NOT_SAVED,
    UNCHANGED,
    WRITE_LIMIT,
    WRITE_WINDOW_S,
    WriteConflict,
    WriteError,
    WriteFailed,
    WriteInvalid,
    WriteRateLimited,
    WriteUnknown,
    audit,
    take_write_slot,
)
from .cache import Ids
from .errors import DeviceNotFound, LinkLike, describe_failure
from .policy import EV, WEEKDAYS, ChargePolicy, invalidate_policy, parse_charge_policy
from .reads import device_get, invalidate, invalidate_device, patch_cached


def device_get_for_write(*, user: Any, link: LinkLike, kind: str, device_id: Any, action: str,
                         values: dict[str, Any]) -> Device:
    """device_get before a change is attempted: a foreign id is audited as refused (then 404)."""
    try:
        return device_get(link=link, kind=kind, device_id=device_id)
    except DeviceNotFound:
        audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
              outcome=AuditEntry.Outcome.REFUSED, error="not among the homeowner's devices")
        raise


def write_invalid(*, user: Any, link: LinkLike, kind: str, device_id: Any, action: str, values: dict[str, Any],
                  errors: dict[str, Any]) -> Device:
    """Input that failed our own validation: nothing is sent. Ownership is still checked (a foreign id is
    refused and raises DeviceNotFound); the attempt is audited. Returns the device to re-render the form."""
    try:
        device = device_get_for_write(user=user, link=link, kind=kind, device_id=device_id, action=action,
                                      values=values)
    except PoderoError:
        device = None  # audited as invalid below; the caller re-renders without fresh data
    audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
          device_name=device.name if device is not None else "", outcome=AuditEntry.Outcome.INVALID, error="; ".join(f"{k}: {v}" for k, v in errors.items())[:2000])
    if device is None:
        raise WriteFailed(NOT_SAVED.format(reason=_("your devices could not be loaded.")))
    return device


def _begin(*, user: Any, link: LinkLike, kind: str, device_id: Any, action: str, values: dict[str, Any]) -> Device:
    """Rate limit, then ownership. Audits and raises when either refuses."""
    if not take_write_slot(user):
        audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
              outcome=AuditEntry.Outcome.RATE_LIMITED, error=f"more than {WRITE_LIMIT} writes in {WRITE_WINDOW_S} s")
        raise WriteRateLimited(
            ngettext("You have made %(count)d change in the last minute. Please wait a minute and try again.",
                     "You have made %(count)d changes in the last minute. Please wait a minute and try again.",
                     WRITE_LIMIT) % {"count": WRITE_LIMIT}
        )
    try:
        return device_get_for_write(user=user, link=link, kind=kind, device_id=device_id, action=action,
                                    values=values)
    except PoderoError as exc:
        audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
              outcome=AuditEntry.Outcome.FAILED, error=f"device list unavailable: {type(exc).__name__}")
        raise WriteFailed(NOT_SAVED.format(reason=describe_failure(exc))) from exc


def _fail(exc: PoderoError, *, user: Any, link: LinkLike, kind: str, device_id: Any, action: str,
          values: dict[str, Any], field_errors: Callable[[PoderoError], dict[str, str]] | None = None,
          device_name: str = "") -> WriteError:
    """Audit an upstream refusal and turn it into the WriteError the caller raises."""
    status = getattr(exc, "status", None)
    if isinstance(exc, podero.PoderoConflict):
        reason = exc.reason or ""
        error: WriteError = WriteConflict(CONFLICT_MESSAGES.get(reason, CONFLICT_MESSAGES["already_charging"]))
        detail = f"409 state={exc.state} reason={reason}"
    elif isinstance(exc, podero.PoderoValidationError):
        fields = field_errors(exc) if field_errors else exc.field_errors
        error = WriteInvalid(NOT_SAVED.format(reason=_("Podero did not accept these values.")), field_errors=fields)
        detail = f"{status} {fields}" if fields else f"{status} {exc.detail!r}"[:500]
    elif isinstance(exc, podero.PoderoRateLimited):
        error = WriteFailed(NOT_SAVED.format(reason=describe_failure(exc)))
        error.outcome = AuditEntry.Outcome.RATE_LIMITED
        detail = f"Podero rate limit, Retry-After {exc.retry_after:g} s"
    else:
        error = WriteFailed(NOT_SAVED.format(reason=describe_failure(exc)))
        detail = f"{type(exc).__name__}: {exc}"
    audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values,
          device_name=device_name, outcome=error.outcome, upstream_status=status, error=detail)
    return error


def _write(*, user: Any, link: LinkLike, kind: str, device_id: Any, action: str, values: dict[str, Any],
           call: Callable[[podero.PoderoClient, Ids, Device], Any], status: int,
           field_errors: Callable[[PoderoError], dict[str, str]] | None = None,
           audit_values: Callable[[Device], dict[str, Any]] | None = None) -> tuple[Device, Any]:
    """Every homeowner change: rate limit and ownership (`_begin`), the one upstream call (never retried),
    then invalidate that user's list of this kind and write the audit row. Returns (device, call's answer);
    a refusal is audited and raised as a WriteError."""
    device = _begin(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values)
    try:
        answer = call(podero.get_client(), Ids.of(link), device)
    except podero.PoderoOutcomeUnknown as exc:
        return _unknown(exc, user=user, link=link, kind=kind, device=device, action=action, values=values)
    except PoderoError as exc:
        raise _fail(exc, user=user, link=link, kind=kind, device_id=device.id, action=action, values=values,
                    field_errors=field_errors, device_name=device.name) from exc
    invalidate(link=link, kinds=(kind,))
    invalidate_device(link=link, kind=kind, device_id=str(device.id))
    audit(user=user, link=link, kind=kind, device_id=device.id, action=action, device_name=device.name,
          values=values if audit_values is None else audit_values(device), outcome=AuditEntry.Outcome.OK,
          upstream_status=status)
    return device, answer


def _unknown(exc: podero.PoderoOutcomeUnknown, *, user: Any, link: LinkLike, kind: str, device: Device,
             action: str, values: dict[str, Any]) -> tuple[Device, Any]:
    """The write was sent and no answer came: never retry it. Re-read once and tell the truth."""
    entry = audit(user=user, link=link, kind=kind, device_id=device.id, action=action, values=values,
                  device_name=device.name,
                  outcome=AuditEntry.Outcome.UNKNOWN, upstream_status=getattr(exc, "status", None),
                  error=f"no answer from Podero: {exc}")
    invalidate_device(link=link, kind=kind, device_id=str(device.id))
    applied, fresh = confirm.verify(link=link, kind=kind, device_id=str(device.id), action=action, values=values)
    if applied is True:
        confirm.resolve(entry, True, "re-read at once")
        return device, fresh
    if applied is False:
        confirm.resolve(entry, False, "re-read at once")
        raise WriteFailed(UNCHANGED.get(kind, UNCHANGED[""]))
    if action in confirm.CHECKS:
        confirm.remember(user=user, kind=kind, device_id=device.id, action=action, values=values, entry=entry)
        raise WriteUnknown(CHECKING)
    raise WriteUnknown(NOT_SAVED.format(reason=describe_failure(exc)))


def _fresh_or(link: LinkLike, kind: str, device: Device, fallback: Device) -> Device:
    """The device straight from Podero after a write (patched into the cache), else `fallback`."""
    ids = Ids.of(link)
    try:
        raw = podero.get_client().get_device(org_id=ids.org, user_id=ids.user, kind=kind, device_id=device.id)
    except PoderoError:
        return fallback
    fresh = parse_device(kind, raw)
    if fresh.id != device.id:
        return fallback
    patch_cached(ids, kind, raw)
    return fresh


def _updated(kind: str, raw: Any, fallback: Device) -> Device:
    """The device a PUT answered with, or `fallback` when the answer is not a usable device."""
    device = parse_device(kind, raw) if isinstance(raw, dict) and raw else None
    return device if device is not None and device.id == fallback.id else fallback


# -- reconnect (the manufacturer's sign-in)
def device_reconnect_start(*, user: Any, link: LinkLike, kind: str, device_id: Any, action_index: int | None,
                           success_url: str, cancel_url: str, language: str | None = None) -> str:
    """Start the manufacturer's reconnect flow and return the URL to send the homeowner to.

    A pending action's resolution link is POSTed by our server (it needs our token and carries a signed
    secret, fact sheet §5); a device with no such link gets an auth_session. Audited like every change.
    `language` ("de"): the language of the manufacturer's sign-in, where Podero's API takes one.
    """
    values: dict[str, Any] = {"action_index": action_index}

    def call(client: podero.PoderoClient, ids: Ids, device: Device) -> str:
        action = device.actions[action_index] if action_index is not None and 0 <= action_index < len(
            device.actions) else None
        if action is not None:
            values["code"] = action.code
        if action is not None and action.url:
            return client.resolve_action(url=action.url, success_url=success_url, cancel_url=cancel_url,
                                         language=language)
        return client.start_auth_session(org_id=ids.org, user_id=ids.user, kind=kind, device_id=device.id,
                                         success_url=success_url, cancel_url=cancel_url)

    # Invalidated afterwards as every write is: the homeowner comes back to fresh state.
    _, url = _write(user=user, link=link, kind=kind, device_id=device_id, action=A_RECONNECT, values=values,
                    call=call, status=200)
    return url


# -- optimization (heat pumps, inverters, EVs)
def optimization_set(*, user: Any, link: LinkLike, kind: str, device_id: Any, active: bool) -> Device:
    """Pause (False) or resume (True) Podero's optimization of a heat pump, inverter or EV."""
    values = {"is_smart_optimization_active": bool(active)}
    if kind not in ("heat-pumps", "inverters", "electric-vehicles"):
        raise DeviceNotFound(device_id)
    device, raw = _write(
        user=user, link=link, kind=kind, device_id=device_id, action=A_OPTIMIZATION, values=values, status=200,
        call=lambda client, ids, device: client.update_device(org_id=ids.org, user_id=ids.user, kind=kind,
                                                              device_id=device.id, fields=values),
    )
    return _updated(kind, raw, _replace(device, is_smart_optimization_active=bool(active)))


# -- EV boost ("Charge now")
def ev_boost_start(*, user: Any, link: LinkLike, device_id: Any) -> ElectricVehicle:
    """Charge now; an unplugged car is armed for its next plug-in. A 409 raises WriteConflict."""
    values: dict[str, Any] = {}
    device, _ = _write(
        user=user, link=link, kind=EV, device_id=device_id, action=A_BOOST_START, values=values, status=204,
        call=lambda client, ids, device: client.start_boost(org_id=ids.org, user_id=ids.user, device_id=device.id),
        audit_values=lambda device: {"plugged_in": getattr(device, "is_plugged_in", None)},
    )
    assert isinstance(device, ElectricVehicle)
    if device.is_plugged_in is False:
        guess = _replace(device, boost_for_next_session=True)
    else:
        guess = _replace(device, boost_state=BoostState.REQUESTED)
    fresh = _fresh_or(link, EV, device, guess)
    assert isinstance(fresh, ElectricVehicle)
    return fresh


def ev_boost_cancel(*, user: Any, link: LinkLike, device_id: Any) -> ElectricVehicle:
    """Disarm a boost armed for the next plug-in (a live boost ends on its own, fact sheet §4.2)."""
    values: dict[str, Any] = {}
    device, _ = _write(
        user=user, link=link, kind=EV, device_id=device_id, action=A_BOOST_CANCEL, values=values, status=204,
        call=lambda client, ids, device: client.cancel_boost(org_id=ids.org, user_id=ids.user, device_id=device.id),
    )
    assert isinstance(device, ElectricVehicle)
    fresh = _fresh_or(link, EV, device, _replace(device, boost_for_next_session=False))
    assert isinstance(fresh, ElectricVehicle)
    return fresh


# -- EV charge deadline (daily) and weekly policy
def _ev_field_errors(exc: PoderoError) -> dict[str, str]:
    return exc.field_errors if isinstance(exc, podero.PoderoValidationError) else {}


def ev_charge_deadline_set(*, user: Any, link: LinkLike, device_id: Any, enabled: bool,
                           minimum_charge_limit: int | None = None, deadline: _time | None = None) -> ElectricVehicle:
    """Turn the daily "ready by" policy on (with a level and a time) or off (fully cost-optimized)."""
    values: dict[str, Any] = {"is_charge_policy_enabled": bool(enabled)}
    if enabled:
        if minimum_charge_limit is None or deadline is None:
            raise ValueError("enabling the charge policy needs a level and a time")
        values["minimum_charge_limit"] = int(minimum_charge_limit)
        values["charge_deadline_at"] = deadline.strftime("%H:%M")
    device, raw = _write(
        user=user, link=link, kind=EV, device_id=device_id, action=A_DEADLINE, values=values, status=200,
        field_errors=_ev_field_errors,
        call=lambda client, ids, device: client.update_device(org_id=ids.org, user_id=ids.user, kind=EV,
                                                              device_id=device.id, fields=values),
    )
    assert isinstance(device, ElectricVehicle)
    invalidate_policy(link, device.id)  # the daily fields also fill the weekly policy (§8 #21)
    guess = _replace(device, is_charge_policy_enabled=bool(enabled),
                     minimum_charge_limit=values.get("minimum_charge_limit", device.minimum_charge_limit),
                     charge_deadline=deadline if enabled else device.charge_deadline)
    updated = _updated(EV, raw, guess)
    assert isinstance(updated, ElectricVehicle)
    return updated


def _policy_field_errors(exc: PoderoError) -> dict[str, str]:
    """Ninja-style locs like ["body", "payload", "mon", "charge_percentage"] to "mon.charge_percentage"."""
    out: dict[str, str] = {}
    detail = exc.detail if isinstance(exc, podero.PoderoAPIError) else None
    if not isinstance(detail, list):
        return out
    for item in detail:
        if not isinstance(item, dict):
            continue
        loc = [str(part) for part in item.get("loc") or [] if isinstance(part, str | int)]
        msg = str(item.get("msg") or "invalid")
        day = next((part for part in loc if part in WEEKDAYS), None)
        name = loc[-1] if loc else "__all__"
        if day and name != day:
            out[f"{day}.{name}"] = msg
        elif day:
            out[f"{day}.charge_percentage"] = msg
        else:
            out[name] = msg
    return out


def ev_charge_policy_set(*, user: Any, link: LinkLike, device_id: Any, policy: ChargePolicy) -> ChargePolicy:
    """Replace the weekly policy (all seven days and the time zone)."""
    values = policy.to_api()
    device, raw = _write(
        user=user, link=link, kind=EV, device_id=device_id, action=A_POLICY, values=values, status=200,
        field_errors=_policy_field_errors,
        call=lambda client, ids, device: client.put_charge_policy(org_id=ids.org, user_id=ids.user,
                                                                  device_id=device.id, policy=values),
    )
    invalidate_policy(link, device.id)
    saved = parse_charge_policy(raw)
    return saved if len(saved.days) == len(WEEKDAYS) else policy

