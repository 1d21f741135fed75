"""What every homeowner change shares: the audit row, the per-homeowner write limit, the errors.

Each write (see `writes.py`) writes one AuditEntry row whatever happens, and reaches the caller as a
WriteError with a sentence for people when it did not happen.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext_lazy

from ..models import AuditEntry
from .errors import LinkLike

log = logging.getLogger("devices.services")

WRITE_LIMIT = 10  # writes per homeowner ...
WRITE_WINDOW_S = 60  # ... per minute, counted in the shared cache

A_OPTIMIZATION = "optimization_set"
A_BOOST_START = "boost_start"
A_BOOST_CANCEL = "boost_cancel"
A_DEADLINE = "charge_deadline_set"
A_POLICY = "charge_policy_set"
A_RECONNECT = "reconnect"
A_ONBOARDING_START = "device_onboarding_start"
A_ONBOARDING_CANCEL = "device_onboarding_cancel"
A_DEVICE_ADDED = "device_added"
A_DEVICE_REMOVE = "device_remove"
A_VIEW_AS = "view_as_homeowner"  # partner staff opened the read-only "view as homeowner" page

# Lazy: translated when used, in the language of the request they answer. `NOT_SAVED.format(reason=…)`.
NOT_SAVED = gettext_lazy("Your change was not saved: {reason} Please try again.")
CONFLICT_MESSAGES = {
    "already_charging": gettext_lazy("Already charging or full — nothing to do."),
    "fully_charged": gettext_lazy("Already charging or full — nothing to do."),
    "no_active_session": gettext_lazy("The car has no active charging session — check that it is plugged in "
                                      "and connected."),
}


class WriteError(Exception):
    """A change that did not happen. `message` is for the homeowner; `field_errors` maps field names
    (as the API calls them, e.g. "minimum_charge_limit" or "mon.charge_percentage") to messages."""

    outcome = AuditEntry.Outcome.FAILED

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)  # a lazy sentence, translated now
        self.field_errors = field_errors or {}


class WriteRateLimited(WriteError):
    outcome = AuditEntry.Outcome.RATE_LIMITED


class WriteConflict(WriteError):
    """409: nothing to do (already charging, full). Not an error for the homeowner."""

    outcome = AuditEntry.Outcome.CONFLICT


class WriteInvalid(WriteError):
    """Podero refused the values (400/422)."""

    outcome = AuditEntry.Outcome.INVALID


class WriteFailed(WriteError):
    """Podero could not be reached, or answered with an error: nothing was saved."""


class WriteUnknown(WriteError):
    """The write was sent, no answer came back, and a re-read could not tell whether it was applied.
    The card checks again by itself (`confirm.check_pending`)."""

    outcome = AuditEntry.Outcome.UNKNOWN


# One sentence per kind of device (German needs the noun's gender): `UNCHANGED.get(kind, UNCHANGED[""])`.
UNCHANGED = {
    "heat-pumps": gettext_lazy("Not saved — nothing changed: Podero did not answer in time, and your heat pump "
                               "still shows the previous setting. Please try again."),
    "inverters": gettext_lazy("Not saved — nothing changed: Podero did not answer in time, and your solar "
                              "inverter still shows the previous setting. Please try again."),
    "electric-vehicles": gettext_lazy("Not saved — nothing changed: Podero did not answer in time, and your "
                                      "electric vehicle still shows the previous setting. Please try again."),
    "": gettext_lazy("Not saved — nothing changed: Podero did not answer in time, and your device still shows "
                     "the previous setting. Please try again."),
}
CHECKING = gettext_lazy("We could not confirm yet whether your change was saved — checking…")


def storable(text: str) -> str:
    """Text PostgreSQL can store (no NUL, which text and jsonb refuse) and UTF-8 can encode (no lone
    surrogates): typed input is shown as typed, with such characters made visible."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _clip(values: dict[str, Any]) -> dict[str, Any]:
    """Values for the audit log: JSON-safe, storable and short (typed input can be anything)."""
    out: dict[str, Any] = {}
    for key, value in list(values.items())[:40]:
        name = storable(str(key))[:64]
        if isinstance(value, bool | int | float) or value is None:
            out[name] = value
        elif isinstance(value, dict):
            out[name] = _clip(value)
        else:
            out[name] = storable(str(value))[:200]
    return out


def audit(*, user: Any, link: LinkLike | None, kind: str, device_id: Any, action: str, values: dict[str, Any],
          outcome: str, upstream_status: int | None = None, error: str = "", device_name: str = "") -> AuditEntry:
    """One row. `user` is the person who acted (the homeowner, a member of their household, or staff); the
    row's `user` is whose home it is (the link's owner) and `actor` who acted."""
    podero_user_id = getattr(link, "podero_user_id", None) if link is not None else None
    actor = user if getattr(user, "pk", None) else None
    owner = getattr(link, "user", None) if link is not None else None  # a PoderoLink knows its owner
    owner = owner if getattr(owner, "pk", None) else actor
    entry = AuditEntry.objects.create(
        user=owner,
        user_email=storable(getattr(owner, "email", "") or getattr(user, "email", "") or ""),
        actor=actor,
        actor_email=storable(getattr(user, "email", "") or ""),
        podero_user_id=podero_user_id,
        device_kind=storable(kind)[:32],
        device_id=storable(str(device_id))[:64],
        device_name=storable(device_name)[:200],
        action=action,
        values=_clip(values),
        upstream_status=upstream_status,
        outcome=outcome,
        error=storable(error)[:2000],
    )
    log.info("device_write", extra={"action": action, "kind": kind, "outcome": outcome,
                                    "upstream_status": upstream_status})
    return entry


def _rate_key(user: Any) -> str:
    return f"writes:v1:{getattr(user, 'pk', None) or 'anon'}"


def take_write_slot(user: Any) -> bool:
    """Count one write; False when this is more than WRITE_LIMIT within the window.

    The window starts at the first write and lasts WRITE_WINDOW_S (incr keeps the key's expiry).
    """
    key = _rate_key(user)
    if cache.add(key, 1, WRITE_WINDOW_S):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WRITE_WINDOW_S)
        return True
    return count <= WRITE_LIMIT
