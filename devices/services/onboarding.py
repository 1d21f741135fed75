"""Adding a device (Podero's device onboarding, addendum §1b) and removing one (soft delete, fact sheet §2).

Adding: `onboarding_start` opens a Podero onboarding session for the homeowner's own Podero user (the
ids come from their link, never from the request) and remembers it as a DeviceOnboarding row under a
`ref` of ours; the return page polls `onboarding_status(ref)`, which finds the row only together with
the homeowner, so nobody can poll another's session, and a refusal makes no upstream call. When Podero
reports `object_id`, the device lists are invalidated and the new device is looked up in them.

Removing: `device_remove` is a write like every other (`writes._write`: rate limit, ownership, one PUT
of `deleted_at`, never retried, invalidation, audit); an unanswered PUT is re-read with
`include_deleted=true` (`confirm`).

Every attempt writes an AuditEntry row. Messages here are for logs and the audit log; the views say it
to people in their language.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import podero
from ..models import AuditEntry, DeviceOnboarding
from ..podero import PoderoError
from ..schemas import Device
from .audit import (
    A_DEVICE_ADDED,
    A_DEVICE_REMOVE,
    A_ONBOARDING_CANCEL,
    A_ONBOARDING_START,
    WRITE_LIMIT,
    WRITE_WINDOW_S,
    WriteFailed,
    WriteRateLimited,
    WriteUnknown,
    audit,
    take_write_slot,
)
from .cache import Ids
from .errors import LinkLike, describe_failure
from .reads import cached_overview, device_overview, invalidate
from .writes import _write

log = logging.getLogger("devices.services")

ONBOARDING_KIND = "device-onboarding"  # the audit row's "kind" until the device (and so its kind) is known
PODERO_LANGUAGES = ("sv", "de", "en", "hu", "it", "et", "pl", "ro")  # the body's language enum (§3.10)
# A device added from the dashboard is optimized from the start: that is why the homeowner adds it. They
# can pause it on its card like any other.
OPTIMIZE_BY_DEFAULT = True

State = DeviceOnboarding.State


class OnboardingNotFound(Http404):
    """No such onboarding of this homeowner's (another's ref, or made up): a 404, nothing sent."""


@dataclass(frozen=True)
class OnboardingStarted:
    ref: uuid.UUID
    authentication_url: str


@dataclass(frozen=True)
class OnboardingStatus:
    """Where an onboarding stands: `state` is a DeviceOnboarding.State value; `device` once it is listed;
    `problem` when Podero could not be asked just now (the page keeps polling)."""

    ref: uuid.UUID
    state: str
    device: Device | None = None
    problem: str | None = None
    started_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state != State.WAITING


def podero_language(code: str | None) -> str:
    """Our request's language ("de", "de-at", "en-us") as the onboarding body's enum; English otherwise."""
    base = (code or "").lower().replace("_", "-").split("-", 1)[0]
    return base if base in PODERO_LANGUAGES else "en"


def _price_zone(link: LinkLike) -> str:
    """The zone the home's devices already use (from the cache, never a call), else the partner default."""
    overview = cached_overview(link=link)
    for device in overview.devices if overview else ():
        zone = device.extra.get("price_zone")
        if isinstance(zone, str) and zone:
            return zone
    return settings.PODERO_PRICE_ZONE_DEFAULT


def _today(user: Any) -> date:
    """"Valid until the end of the next day": days as the homeowner counts them."""
    try:
        zone = ZoneInfo(getattr(user, "timezone", "") or settings.TIME_ZONE)
    except (ValueError, KeyError):
        zone = ZoneInfo(settings.TIME_ZONE)
    return timezone.now().astimezone(zone).date()


def _parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _audit(user: Any, link: LinkLike, action: str, *, outcome: str, kind: str = ONBOARDING_KIND,
           device_id: Any = "", values: dict[str, Any] | None = None, status: int | None = None,
           error: str = "") -> AuditEntry:
    return audit(user=user, link=link, kind=kind, device_id=device_id, action=action, values=values or {},
                 outcome=outcome, upstream_status=status, error=error)


# --- Adding a device --------------------------------------------------------------------------------
def onboarding_start(*, user: Any, link: LinkLike, language: str,
                     return_urls: Callable[[uuid.UUID], tuple[str, str]]) -> OnboardingStarted:
    """Open an onboarding session; `return_urls(ref)` gives the absolute (success_url, cancel_url).

    Raises WriteRateLimited, WriteFailed (Podero refused or could not be reached: no session) or
    WriteUnknown (sent, no answer: a session Podero may have opened expires by itself and adds nothing).
    """
    values: dict[str, Any] = {"language": podero_language(language), "price_zone_default": _price_zone(link),
                              "is_smart_optimization_active_default": OPTIMIZE_BY_DEFAULT}
    if not take_write_slot(user):
        _audit(user, link, A_ONBOARDING_START, outcome=AuditEntry.Outcome.RATE_LIMITED, values=values,
               error=f"more than {WRITE_LIMIT} writes in {WRITE_WINDOW_S} s")
        raise WriteRateLimited(_("Too many changes in the last minute."))
    ids = Ids.of(link)
    row = DeviceOnboarding.objects.create(user=user, podero_user_id=ids.user)
    success_url, cancel_url = return_urls(row.ref)
    try:
        session = podero.get_client().create_onboarding(user_id=ids.user, success_url=success_url,
                                                        cancel_url=cancel_url, **values)
        if str(session.get("user") or ids.user) != ids.user:
            raise podero.PoderoBadResponse("onboarding session is for another user")
    except podero.PoderoOutcomeUnknown as exc:
        _finish_row(row, State.FAILED)
        _audit(user, link, A_ONBOARDING_START, outcome=AuditEntry.Outcome.UNKNOWN, values=values,
               status=getattr(exc, "status", None),
               error=f"no answer from Podero: {exc}; a session it may have opened adds no device and expires")
        raise WriteUnknown(_("Podero did not answer in time.")) from exc
    except PoderoError as exc:
        _finish_row(row, State.FAILED)
        outcome = (AuditEntry.Outcome.RATE_LIMITED if isinstance(exc, podero.PoderoRateLimited)
                   else AuditEntry.Outcome.INVALID if isinstance(exc, podero.PoderoValidationError)
                   else AuditEntry.Outcome.FAILED)
        _audit(user, link, A_ONBOARDING_START, outcome=outcome, values=values, status=getattr(exc, "status", None),
               error=f"{type(exc).__name__}: {exc}")
        raise WriteFailed(describe_failure(exc)) from exc
    row.onboarding_id = uuid.UUID(str(session["id"]))
    row.expires_on = _parse_date(session.get("expiration_date"))
    row.state = State.WAITING
    row.save(update_fields=["onboarding_id", "expires_on", "state"])
    _audit(user, link, A_ONBOARDING_START, outcome=AuditEntry.Outcome.OK, device_id=row.onboarding_id,
           values=values, status=200)
    return OnboardingStarted(ref=row.ref, authentication_url=session["authentication_url"])


def _finish_row(row: DeviceOnboarding, state: str, **fields: Any) -> bool:
    """Move the row out of STARTING/WAITING once (True for the one caller that did it)."""
    moved = DeviceOnboarding.objects.filter(pk=row.pk, state__in=(State.STARTING, State.WAITING)).update(
        state=state, finished_at=timezone.now(), **fields)
    row.refresh_from_db()
    return bool(moved)


def _own(user: Any, link: LinkLike, ref: Any) -> DeviceOnboarding:
    try:
        ref = uuid.UUID(str(ref))
    except ValueError:
        raise OnboardingNotFound(ref) from None
    row = DeviceOnboarding.objects.filter(ref=ref, user=user, podero_user_id=Ids.of(link).user).first()
    if row is None:
        raise OnboardingNotFound(ref)
    return row


def _find_device(link: LinkLike, device_id: str) -> Device | None:
    for device in device_overview(link=link).devices:
        if str(device.id) == device_id:
            return device
    return None


def onboarding_status(*, user: Any, link: LinkLike, ref: Any) -> OnboardingStatus:
    """Poll one of the homeowner's own onboardings: one GET while it is open, none once it is settled."""
    row = _own(user, link, ref)
    if row.state == State.DONE:
        return OnboardingStatus(ref=row.ref, state=row.state, device=_find_device(link, row.device_id))
    if row.state != State.WAITING:
        return OnboardingStatus(ref=row.ref, state=row.state)
    try:
        session = podero.get_client().get_onboarding(onboarding_id=str(row.onboarding_id))
    except podero.PoderoNotFound:
        _finish_row(row, State.EXPIRED)  # gone at Podero: it can no longer add a device
        return OnboardingStatus(ref=row.ref, state=State.EXPIRED)
    except PoderoError as exc:
        return OnboardingStatus(ref=row.ref, state=State.WAITING, problem=describe_failure(exc),
                                started_at=row.created_at)
    if str(session.get("user") or row.podero_user_id) != str(row.podero_user_id):
        log.warning("onboarding_user_mismatch", extra={"ref": str(row.ref)})
        raise OnboardingNotFound(ref)
    object_id = session.get("object_id")
    if object_id:
        device_id = str(object_id)
        invalidate(link=link)  # a device appeared: every list is read afresh
        device = _find_device(link, device_id)
        kind = device.api_kind if device is not None else ""
        with transaction.atomic():
            if _finish_row(row, State.DONE, device_id=device_id, device_kind=kind):
                _audit(user, link, A_DEVICE_ADDED, outcome=AuditEntry.Outcome.OK, kind=kind or ONBOARDING_KIND,
                       device_id=device_id, values={"onboarding_id": str(row.onboarding_id)}, status=200)
        return OnboardingStatus(ref=row.ref, state=State.DONE, device=device)
    expires = _parse_date(session.get("expiration_date")) or row.expires_on
    if expires is not None and _today(user) > expires:
        _finish_row(row, State.EXPIRED)
        return OnboardingStatus(ref=row.ref, state=State.EXPIRED)
    return OnboardingStatus(ref=row.ref, state=State.WAITING, started_at=row.created_at)


def onboarding_cancelled(*, user: Any, link: LinkLike, ref: Any) -> OnboardingStatus:
    """Podero's Connect UI came back through the cancel_url (cancelled, or the sign-in failed)."""
    row = _own(user, link, ref)
    if _finish_row(row, State.CANCELLED):
        _audit(user, link, A_ONBOARDING_CANCEL, outcome=AuditEntry.Outcome.OK,
               device_id=row.onboarding_id or "", values={})
    return OnboardingStatus(ref=row.ref, state=row.state)


# --- Removing a device ------------------------------------------------------------------------------
def device_remove(*, user: Any, link: LinkLike, kind: str, device_id: Any) -> Device:
    """Soft-delete one of the homeowner's devices at Podero (PUT deleted_at). Returns the device as it was.

    Raises DeviceNotFound for another's device (audited as refused, nothing sent) and the WriteErrors of
    `writes._write`; an unanswered PUT is confirmed by re-reading it with include_deleted.
    """
    values: dict[str, Any] = {}
    device, _ = _write(
        user=user, link=link, kind=kind, device_id=device_id, action=A_DEVICE_REMOVE, values=values, status=200,
        call=lambda client, ids, device: client.delete_device(org_id=ids.org, user_id=ids.user, kind=kind,
                                                              device_id=device.id),
        audit_values=lambda device: {"name": device.name},
    )
    invalidate(link=link)  # the home's totals and order change with it: every list is read afresh
    return device
