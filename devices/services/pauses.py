""""Pause optimization until …": the pause is Podero's switch, the timed resume is ours.

* `pause_end` turns a homeowner's choice (2 hours, tonight, tomorrow morning, a date and time,
  indefinitely) into the moment to resume, in their time zone (pure).
* `optimization_pause` / `optimization_resume` are the homeowner's writes (through `writes`: rate limit,
  ownership, audit). A pause with an end stores one pending ScheduledResume; a manual resume, a new pause
  or "indefinitely" cancels the pending one.
* `resume_due` is the beat job's body: it takes each due row with SELECT … FOR UPDATE SKIP LOCKED (a
  racing run skips a row another holds, and finds it done afterwards), turns optimization back on once,
  and audits it as the system acting for the homeowner. A failure stays pending and is retried later with
  a growing delay, never dropped; the card shows it (`pause_of`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta, tzinfo
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import podero
from ..models import AuditEntry, ScheduledResume
from ..plan import next_deadline
from ..podero import PoderoError
from ..reasons import Pause
from .audit import audit
from .cache import Ids
from .errors import LinkLike, describe_failure_source
from .reads import invalidate, invalidate_device
from .writes import WriteUnknown, optimization_set

log = logging.getLogger("devices.services")

A_TIMED_RESUME = "optimization_resume_timed"
CHOICES = ("2h", "tonight", "morning", "at", "indefinitely")
TONIGHT = time(22, 0)
MORNING = time(7, 0)
MAX_AHEAD = timedelta(days=60)  # a pause longer than this is "indefinitely" in all but name
RETRY_FIRST_S = 60
RETRY_MAX_S = 15 * 60
DUE_BATCH = 200


class PauseChoiceInvalid(ValueError):
    """The chosen end is not understood, in the past or too far ahead (a message for people)."""


def pause_end(choice: str, *, now: datetime, tz: tzinfo, at: datetime | None = None) -> datetime | None:
    """When to resume for `choice` (None = indefinitely). `at` is the homeowner's date and time for "at"
    (naive = in `tz`)."""
    if choice == "2h":
        return now + timedelta(hours=2)
    if choice == "tonight":
        return next_deadline(now, TONIGHT, tz)
    if choice == "morning":
        return next_deadline(now, MORNING, tz)
    if choice == "indefinitely":
        return None
    if choice == "at":
        if at is None:
            raise PauseChoiceInvalid(_("Enter the date and time to resume."))
        when = at if at.tzinfo is not None else at.replace(tzinfo=tz)
        if when.astimezone(UTC) <= now.astimezone(UTC) + timedelta(minutes=1):
            raise PauseChoiceInvalid(_("Choose a time in the future."))
        if when - now > MAX_AHEAD:
            raise PauseChoiceInvalid(_("Choose a time within the next 60 days, or pause indefinitely."))
        return when
    raise PauseChoiceInvalid(_("Choose how long to pause."))


def _cancel_pending(device_id: Any) -> int:
    return ScheduledResume.objects.filter(device_id=str(device_id), status=ScheduledResume.Status.PENDING).update(
        status=ScheduledResume.Status.CANCELLED, finished_at=timezone.now())


def _schedule(*, user: Any, link: LinkLike, kind: str, device_id: Any, until: datetime | None) -> None:
    """The row belongs to the home's owner (the link's user), whoever in the household paused."""
    ids = Ids.of(link)
    owner = getattr(link, "user", None)
    owner = owner if getattr(owner, "pk", None) else user
    with transaction.atomic():
        _cancel_pending(device_id)
        if until is not None:
            ScheduledResume.objects.create(user=owner, org_id=ids.org, podero_user_id=ids.user, device_kind=kind,
                                           device_id=str(device_id), resume_at=until, next_attempt_at=until)


def optimization_pause(*, user: Any, link: LinkLike, kind: str, device_id: Any, until: datetime | None) -> Any:
    """Pause Podero's optimization now; resume by ourselves at `until` (None: when the homeowner says)."""
    try:
        device = optimization_set(user=user, link=link, kind=kind, device_id=device_id, active=False)
    except WriteUnknown:
        # It may have been applied: keep the promise to resume (resuming an active device changes nothing).
        _schedule(user=user, link=link, kind=kind, device_id=device_id, until=until)
        raise
    _schedule(user=user, link=link, kind=kind, device_id=device.id, until=until)
    return device


def optimization_resume(*, user: Any, link: LinkLike, kind: str, device_id: Any) -> Any:
    """The homeowner resumes by hand: that cancels the timed resume (kept if the resume did not happen)."""
    device = optimization_set(user=user, link=link, kind=kind, device_id=device_id, active=True)
    _cancel_pending(device.id)
    return device


def pause_of(*, device_id: Any) -> Pause | None:
    """The pending timed resume of one device, for its card; None when there is none."""
    if not device_id:
        return None
    row = ScheduledResume.objects.filter(device_id=str(device_id), status=ScheduledResume.Status.PENDING).only(
        "resume_at", "attempts", "last_error").first()
    if row is None:
        return None
    return Pause(until=row.resume_at, failed_attempts=row.attempts, last_error=row.last_error)


# --- The beat job ------------------------------------------------------------------------------------
def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** max(0, attempts - 1)))


def resume_due(*, now: datetime | None = None) -> int:
    """Resume every device whose pause has ended (and retry failed resumes that are due). Returns how
    many were resumed by this run."""
    now = now or timezone.now()
    due = list(ScheduledResume.objects.filter(status=ScheduledResume.Status.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:DUE_BATCH])
    return sum(1 for pk in due if _resume_one(pk, now))


def _resume_one(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        row = (ScheduledResume.objects.select_for_update(skip_locked=True, of=("self",))
               .select_related("user").filter(pk=pk, status=ScheduledResume.Status.PENDING,
                                              next_attempt_at__lte=now).first())
        if row is None:
            return False  # another run holds it, or has just finished it
        user = row.user
        link = getattr(user, "podero", None)
        # The system acts for the homeowner: the row's home is theirs, no person is the actor.
        acting = SimpleNamespace(org_id=row.org_id, podero_user_id=row.podero_user_id, user=user)
        values = {"is_smart_optimization_active": True, "actor": "system", "on_behalf_of": user.email,
                  "scheduled_for": row.resume_at.isoformat(), "attempt": row.attempts + 1}
        if link is None or str(link.podero_user_id) != str(row.podero_user_id) or not user.is_active:
            row.status, row.finished_at = ScheduledResume.Status.CANCELLED, now
            row.last_error = "the homeowner is no longer linked to this Podero user"
            row.save(update_fields=["status", "finished_at", "last_error"])
            audit(user=None, link=acting, kind=row.device_kind, device_id=row.device_id, action=A_TIMED_RESUME,
                  values=values, outcome=AuditEntry.Outcome.REFUSED, error=row.last_error)
            return False
        try:
            podero.get_client().update_device(org_id=str(row.org_id), user_id=str(row.podero_user_id),
                                              kind=row.device_kind, device_id=row.device_id,
                                              fields={"is_smart_optimization_active": True})
        except podero.PoderoNotFound as exc:
            row.status, row.finished_at = ScheduledResume.Status.CANCELLED, now
            row.last_error = "the device is no longer among the homeowner's devices"
            row.save(update_fields=["status", "finished_at", "last_error"])
            audit(user=None, link=acting, kind=row.device_kind, device_id=row.device_id, action=A_TIMED_RESUME,
                  values=values, outcome=AuditEntry.Outcome.FAILED, upstream_status=exc.status, error=row.last_error)
            return False
        except PoderoError as exc:  # incl. an unknown outcome: turning optimization on twice is harmless
            row.attempts += 1
            row.next_attempt_at = now + retry_delay(row.attempts)
            row.last_error = describe_failure_source(exc)[:300]  # English: for partner staff (admin)
            row.save(update_fields=["attempts", "next_attempt_at", "last_error"])
            audit(user=None, link=acting, kind=row.device_kind, device_id=row.device_id, action=A_TIMED_RESUME,
                  values=values, outcome=AuditEntry.Outcome.FAILED, upstream_status=getattr(exc, "status", None),
                  error=f"{type(exc).__name__}: {exc}"[:500])
            log.warning("timed_resume_failed", extra={"device_id": row.device_id, "attempts": row.attempts})
            return False
        row.status, row.finished_at = ScheduledResume.Status.DONE, now
        row.save(update_fields=["status", "finished_at"])
        audit(user=None, link=acting, kind=row.device_kind, device_id=row.device_id, action=A_TIMED_RESUME,
              values=values, outcome=AuditEntry.Outcome.OK, upstream_status=200)

        def forget() -> None:
            invalidate(link=acting, kinds=(row.device_kind,))
            invalidate_device(link=acting, kind=row.device_kind, device_id=row.device_id)

        transaction.on_commit(forget)
    return True
