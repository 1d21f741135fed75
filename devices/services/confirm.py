"""Writes whose outcome is unknown: re-read, compare with what was asked, then tell the truth.

A write that timed out or lost its connection after it was sent may well have been applied by Podero.
It is never retried. Instead the device (or the weekly policy) is read once more and compared with what
the homeowner asked for: applied → "Saved"; visibly not applied → "Not saved, nothing changed"; the
re-read failed too → "We could not confirm yet" and the card checks again by itself (`check_pending`).
The audit row is written as `unknown` first and resolved to ok or failed once it is known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from .. import podero
from ..models import AuditEntry
from ..podero import PoderoError
from ..schemas import BoostState, Device, ElectricVehicle, as_time
from .audit import A_BOOST_CANCEL, A_BOOST_START, A_DEADLINE, A_DEVICE_REMOVE, A_OPTIMIZATION, A_POLICY
from .cache import Ids, read_entry
from .errors import LinkLike
from .policy import EV, WEEKDAYS, _policy_fetch, invalidate_policy, parse_charge_policy, policy_key
from .reads import device_fetch_fresh_raw, invalidate, invalidate_device

PENDING_KEY = "pending-write:v1:{user}:{device}"
PENDING_FOR_S = 10 * 60  # how long an unconfirmed write is checked again (then it stays `unknown`)
GIVE_UP_AFTER_S = 120  # the card stops checking by itself after this; a reload checks again

Verdict = tuple[bool | None, Any]  # (applied? None = cannot tell, the fresh payload for the caller)


def _device(link: LinkLike, kind: str, device_id: str) -> tuple[Device, dict[str, Any]]:
    invalidate(link=link, kinds=(kind,))
    invalidate_device(link=link, kind=kind, device_id=device_id)  # also forgets a failed re-read's memo
    return device_fetch_fresh_raw(link=link, kind=kind, device_id=device_id, max_age=0)


def _optimization(link: LinkLike, kind: str, device_id: str, values: dict[str, Any]) -> Verdict:
    device, raw = _device(link, kind, device_id)
    now = device.is_smart_optimization_active
    return (None if now is None else now == values["is_smart_optimization_active"]), raw


def _boost_start(link: LinkLike, kind: str, device_id: str, values: dict[str, Any]) -> Verdict:
    device, raw = _device(link, kind, device_id)
    assert isinstance(device, ElectricVehicle)
    if device.boost_state in (BoostState.REQUESTED, BoostState.ONGOING) or device.boost_for_next_session:
        return True, raw
    if device.boost_state is None and device.boost_for_next_session is None:
        return None, raw
    return False, raw


def _boost_cancel(link: LinkLike, kind: str, device_id: str, values: dict[str, Any]) -> Verdict:
    device, raw = _device(link, kind, device_id)
    armed = getattr(device, "boost_for_next_session", None)
    return (None if armed is None else armed is False), raw


def _deadline(link: LinkLike, kind: str, device_id: str, values: dict[str, Any]) -> Verdict:
    device, raw = _device(link, kind, device_id)
    assert isinstance(device, ElectricVehicle)
    if device.is_charge_policy_enabled is None:
        return None, raw
    if device.is_charge_policy_enabled != values["is_charge_policy_enabled"]:
        return False, raw
    if not values["is_charge_policy_enabled"]:
        return True, raw
    same = (device.minimum_charge_limit == values["minimum_charge_limit"]
            and device.charge_deadline == as_time(values["charge_deadline_at"]))
    return same, raw


def _policy(link: LinkLike, kind: str, device_id: str, values: dict[str, Any]) -> Verdict:
    invalidate_policy(link, device_id)
    ids = Ids.of(link)
    policy = _policy_fetch(ids, device_id, 0)
    entry = read_entry(policy_key(ids, device_id))
    asked = parse_charge_policy(values)
    if len(policy.days) != len(WEEKDAYS):
        return None, entry["items"] if entry else None
    return policy.days == asked.days and (policy.timezone or None) == (asked.timezone or None), (
        entry["items"] if entry else None)


def _removed(link: LinkLike, kind: str, device_id: str, values: dict[str, Any]) -> Verdict:
    """A soft delete is applied when the device, read with include_deleted, carries `deleted_at`."""
    invalidate(link=link, kinds=(kind,))
    invalidate_device(link=link, kind=kind, device_id=device_id)
    ids = Ids.of(link)
    try:
        raw = podero.get_client().get_device_including_deleted(org_id=ids.org, user_id=ids.user, kind=kind,
                                                               device_id=device_id)
    except podero.PoderoNotFound:
        return True, None  # not there even with include_deleted: gone all the same
    return bool(raw.get("deleted_at")), None


CHECKS: dict[str, Callable[[LinkLike, str, str, dict[str, Any]], Verdict]] = {
    A_OPTIMIZATION: _optimization,
    A_BOOST_START: _boost_start,
    A_BOOST_CANCEL: _boost_cancel,
    A_DEADLINE: _deadline,
    A_POLICY: _policy,
    A_DEVICE_REMOVE: _removed,
}


def verify(*, link: LinkLike, kind: str, device_id: str, action: str, values: dict[str, Any]) -> Verdict:
    """Re-read once and compare; (None, None) when the re-read fails or there is nothing to compare."""
    check = CHECKS.get(action)
    if check is None:
        return None, None
    try:
        return check(link, kind, str(device_id), values)
    except PoderoError:
        return None, None


def resolve(entry: AuditEntry, applied: bool, how: str) -> None:
    """`unknown` → ok / failed, with when and how it was established."""
    entry.outcome = AuditEntry.Outcome.OK if applied else AuditEntry.Outcome.FAILED
    entry.resolved_at = timezone.now()
    entry.error = f"{entry.error}; {how}: {'applied' if applied else 'not applied'}"[:2000]
    entry.save(update_fields=["outcome", "resolved_at", "error"])


def _key(user: Any, device_id: Any) -> str:
    return PENDING_KEY.format(user=getattr(user, "pk", None) or "anon", device=device_id)


def remember(*, user: Any, kind: str, device_id: Any, action: str, values: dict[str, Any], entry: AuditEntry) -> None:
    cache.set(_key(user, device_id), {"audit_id": entry.pk, "kind": kind, "action": action, "values": values,
                                      "since": timezone.now().timestamp()}, PENDING_FOR_S)


def pending(*, user: Any, device_id: Any) -> dict[str, Any] | None:
    found = cache.get(_key(user, device_id))
    return found if isinstance(found, dict) else None


def check_pending(*, user: Any, link: LinkLike, device_id: Any) -> tuple[str, str | None]:
    """Check an unconfirmed write of this person's on this device again.

    Returns (state, kind): "none" (nothing pending), "saved", "not_saved", "unknown" (still cannot tell)
    or "gave_up" (unknown for longer than GIVE_UP_AFTER_S; the audit row stays `unknown`).
    """
    item = pending(user=user, device_id=device_id)
    if item is None:
        return "none", None
    kind = item["kind"]
    applied, _ = verify(link=link, kind=kind, device_id=str(device_id), action=item["action"], values=item["values"])
    if applied is None:
        if timezone.now().timestamp() - float(item["since"]) > GIVE_UP_AFTER_S:
            cache.delete(_key(user, device_id))
            return "gave_up", kind
        return "unknown", kind
    cache.delete(_key(user, device_id))
    entry = AuditEntry.objects.filter(pk=item["audit_id"], outcome=AuditEntry.Outcome.UNKNOWN).first()
    if entry is not None:
        resolve(entry, applied, "checked again later")
    if kind == EV:
        invalidate_policy(link, str(device_id))
    return ("saved" if applied else "not_saved"), kind
