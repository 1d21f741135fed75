"""Celery entry points. A task takes primitives, calls one service, and owns its retry policy.

No task wraps a write (boost, schedule): a repeated POST could boost twice.
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts.emails import email_language, email_send

from . import budget, services
from .models import AttentionNotice, ConsumptionSnapshot
from .schemas import Device


@shared_task(ignore_result=True)
def refresh_device_list(org_id: str, user_id: str, kind: str) -> bool:
    """Stale-while-revalidate: refetch one cached device list in the background."""
    return services.refresh_kind(org_id, user_id, kind)


@shared_task(ignore_result=True)
def refresh_charge_policy(org_id: str, user_id: str, device_id: str) -> bool:
    """Fetch one EV's weekly charge policy into the cache (for the plan summary on its card)."""
    return services.policy_refresh(org_id, user_id, device_id)


@shared_task(ignore_result=True)
def refresh_current_session(org_id: str, user_id: str, device_id: str) -> bool:
    """Fetch one EV's current charging session into the cache (the charging plan on its card)."""
    return services.session_refresh(org_id, user_id, device_id)


# --- Periodic jobs (celery beat; the schedule is in dashboard/celery.py) ---------------------------
# Each periodic job is a small dispatcher that splits the work into chunks of homeowners and enqueues one
# task per chunk: any number of workers share them, each chunk is idempotent (a repeat does no harm) and
# has a time limit, and all their Podero calls are background work under the shared upstream budget.
log = logging.getLogger("devices.tasks")

WARM_EVERY_S = 10  # how often the warming job looks at the open dashboards
WARM_AHEAD_S = 25  # it refetches lists at least this old, just before their 30 s freshness ends
WARM_CHUNK = 25  # open dashboards per warm task
WARM_PARALLEL = 4  # homeowners of one chunk warmed at once (each fans out over its device kinds)
JOB_CHUNK = 25  # homeowners per attention or snapshot task: many more chunks than worker slots, so every
# worker added takes a share (at 200, 2,000 homeowners made 10 chunks and the 11th slot had nothing to do)
NOTICE_MAX_AGE_S = 15 * 60  # attention checks trust cached lists up to this age, else fetch
ATTENTION_EVERY_S = 10 * 60  # the beat period of notify_attention (dashboard/celery.py)
ATTENTION_CALLS_PER_HOMEOWNER = 3  # one list per device kind
ATTENTION_BUDGET_USE = 0.8  # of the background share, leaving room for warming and refreshes
ATTENTION_CURSOR_KEY = "jobs:v1:attention:cursor"


def _linked_homeowners() -> Any:
    return get_user_model().objects.filter(is_active=True, podero__isnull=False).select_related("podero")


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _enqueue(request: Any, task: Any, *args: Any) -> None:
    """Send a chunk to the queue its dispatcher came from (a deployment or a test may use its own)."""
    queue = (getattr(request, "delivery_info", None) or {}).get("routing_key")
    if queue:
        task.apply_async(args=args, queue=queue)
    else:
        task.delay(*args)


@shared_task(bind=True, ignore_result=True)
def warm_active_dashboards(self: Any) -> int:
    """Keep the device lists of homeowners with an open dashboard fresh, so what they see is never stale.

    "Open" = their dashboard polled within services.ACTIVE_FOR (found in O(open) from the sorted set, not
    from the database). Returns how many chunks were enqueued.
    """
    members = [f"{ids.org}:{ids.user}" for ids in services.active_dashboards()]
    chunks = _chunks(members, WARM_CHUNK)
    for chunk in chunks:
        _enqueue(self.request, warm_chunk, chunk)
    return len(chunks)


@shared_task(ignore_result=True, time_limit=WARM_EVERY_S * 3, soft_time_limit=WARM_EVERY_S * 2, expires=WARM_EVERY_S)
def warm_chunk(members: list[str]) -> int:
    """Refetch these homeowners' lists that are at least WARM_AHEAD_S old and may hold newer data
    (through the one-call-per-key lock, so a repeat or a racing dashboard costs nothing extra)."""
    links = []
    for member in members:
        org, _, user = member.partition(":")
        links.append(SimpleNamespace(org_id=org, podero_user_id=user))

    def warm(link: Any) -> bool:
        try:
            services.device_overview(link=link, refresh_older_than=WARM_AHEAD_S)
            return True
        except Exception:  # noqa: BLE001 - one homeowner's failure must not stop the chunk
            log.exception("warm_failed")
            return False

    with budget.background(), ThreadPoolExecutor(max_workers=WARM_PARALLEL, thread_name_prefix="warm") as pool:
        return sum(pool.map(lambda link: contextvars.copy_context().run(warm, link), links))


def _dispatch(request: Any, chunk_task: Any, queryset: Any) -> int:
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    chunks = _chunks(ids, JOB_CHUNK)
    for chunk in chunks:
        _enqueue(request, chunk_task, chunk)
    return len(chunks)


@shared_task(bind=True, ignore_result=True)
def snapshot_consumption(self: Any) -> int:
    """Daily: enqueue one snapshot task per chunk of linked homeowners. Returns the number of chunks."""
    return _dispatch(self.request, snapshot_chunk, _linked_homeowners())


@shared_task(ignore_result=True, time_limit=15 * 60, soft_time_limit=14 * 60)
def snapshot_chunk(user_ids: list[int]) -> int:
    """Store these homeowners' devices' consumption figures for today (one row per device and day; a
    repeat updates the same rows)."""
    today = timezone.localdate()
    written = 0
    with budget.background():
        for user in _linked_homeowners().filter(pk__in=user_ids).iterator():
            try:
                written += _snapshot_user(user, today)
            except Exception:  # noqa: BLE001 - one homeowner's failure must not stop the others
                log.exception("snapshot_failed", extra={"user_id": user.pk})
    return written


def _snapshot_user(user: Any, today: Any) -> int:
    link = user.podero
    overview = services.device_overview(link=link, force=True)
    written = 0
    for result in overview.kinds.values():
        if result.error or result.fetched_at is None:
            continue  # only figures fetched today; last-known data could be yesterday's
        for device in result.devices:
            if device.id is None or not device.has_consumption:
                continue
            ConsumptionSnapshot.objects.update_or_create(
                day=today, device_id=device.id,
                defaults={
                    "user": user, "podero_user_id": link.podero_user_id, "device_kind": device.kind,
                    "device_name": device.name[:200], "last_day_kwh": device.consumption_day_kwh,
                    "last_week_kwh": device.consumption_week_kwh,
                    "last_month_kwh": device.consumption_month_kwh,
                },
            )
            written += 1
    return written


RESUME_EVERY_S = 30  # how often the timed resumes are looked at: a pause ends at most this late


@shared_task(bind=True, ignore_result=True, time_limit=5 * 60, soft_time_limit=4 * 60, expires=RESUME_EVERY_S,
             autoretry_for=(DatabaseError,), retry_backoff=5, max_retries=3)
def resume_due_pauses(self: Any) -> int:
    """Every 30 s: turn optimization back on for each device whose "Pause until…" has ended, once.

    Safe to run in parallel and to repeat: each row is taken under SELECT … FOR UPDATE SKIP LOCKED and
    marked done in the same transaction. An upstream failure stays pending and is retried by a later run
    (services.pauses.retry_delay); a database failure retries this task. Returns devices resumed.
    """
    # Not background work under the budget's share: it is a change the homeowner asked for, like a write.
    return services.resume_due()


def incident_of(device: Device) -> str:
    """What is wrong with a device, as a stable string: the same problem gives the same incident."""
    parts = []
    if device.is_authenticated is False:
        parts.append("auth=lapsed")
    codes = sorted({action.code for action in device.actions})
    if codes:
        parts.append("actions=" + ",".join(codes))
    return ";".join(parts)[:200] or "action_needed"


def attention_per_run() -> int:
    """How many homeowners one attention run can check inside its period on the background budget."""
    background_rps = float(getattr(settings, "PODERO_MAX_RPS", 20)) * budget.BACKGROUND_SHARE
    fits = background_rps * ATTENTION_EVERY_S * ATTENTION_BUDGET_USE / ATTENTION_CALLS_PER_HOMEOWNER
    return max(JOB_CHUNK, int(fits))


def _attention_turn(ids: list[int]) -> list[int]:
    """This run's homeowners: all of them when they fit in one period, else the next slice after the
    last one checked (a cursor in the cache), so every run finishes within its period and everyone is
    checked in turn (at 10,000 homeowners and 20 calls/s: each about every 50 minutes)."""
    per_run = attention_per_run()
    if len(ids) <= per_run:
        return ids
    cursor = cache.get(ATTENTION_CURSOR_KEY) or 0
    turn = ([pk for pk in ids if pk > cursor] + [pk for pk in ids if pk <= cursor])[:per_run]
    cache.set(ATTENTION_CURSOR_KEY, turn[-1], None)
    log.info("attention_turn", extra={"homeowners": len(ids), "this_run": len(turn),
                                      "cycle_min": round(len(ids) / per_run * ATTENTION_EVERY_S / 60)})
    return turn


@shared_task(bind=True, ignore_result=True)
def notify_attention(self: Any) -> int:
    """Every 10 min: enqueue one attention task per chunk of this run's homeowners (who want the emails)."""
    wanted = _linked_homeowners().filter(notify_attention=True).exclude(email="")
    ids = _attention_turn(list(wanted.order_by("pk").values_list("pk", flat=True)))
    for chunk in _chunks(ids, JOB_CHUNK):
        _enqueue(self.request, notify_attention_chunk, chunk)
    return len(_chunks(ids, JOB_CHUNK))


@shared_task(ignore_result=True, time_limit=9 * 60, soft_time_limit=8 * 60)
def notify_attention_chunk(user_ids: list[int]) -> int:
    """Email each of these homeowners once per incident (a device needing attention for one reason).

    A notice closes when the device no longer needs attention (or is gone); the same problem later is a
    new incident. Idempotent: the open notice is unique per incident, so a repeat sends nothing twice.
    Returns emails sent.
    """
    sent = 0
    with budget.background():
        for user in _linked_homeowners().filter(pk__in=user_ids, notify_attention=True).exclude(email="").iterator():
            try:
                sent += _notify_user(user)
            except Exception:  # noqa: BLE001 - one homeowner's failure must not stop the others
                log.exception("attention_check_failed", extra={"user_id": user.pk})
    return sent


def _notify_user(user: Any) -> int:
    link = user.podero
    cached = services.cached_overview(link=link)
    fresh_enough = cached is not None and all(
        r.age_s is not None and r.age_s < NOTICE_MAX_AGE_S for r in cached.kinds.values())
    overview = services.device_overview(link=link, force=not fresh_enough)
    sent = 0
    now = timezone.now()
    for kind, result in overview.kinds.items():
        if result.error or result.fetched_at is None:
            continue  # judge only on data Podero just gave us
        open_notices = AttentionNotice.objects.filter(user=user, device_kind=kind, resolved_at__isnull=True)
        current: set[tuple[str, str]] = set()
        for device in result.devices:
            if device.id is not None and device.needs_attention:
                current.add((device.id, incident_of(device)))
        for notice in open_notices:
            if (notice.device_id, notice.incident) not in current:
                notice.resolved_at = now
                notice.save(update_fields=["resolved_at"])
        for device in result.devices:
            if device.id is None or (device.id, incident_of(device)) not in current:
                continue
            sent += _send_notice(user, kind, device)
    return sent


def _send_notice(user: Any, kind: str, device: Device) -> int:
    incident = incident_of(device)
    try:
        with transaction.atomic():
            notice, created = AttentionNotice.objects.get_or_create(
                user=user, device_id=device.id, incident=incident, resolved_at=None,
                defaults={"device_kind": kind},
            )
    except IntegrityError:  # another worker recorded it a moment ago: it sends the email
        return 0
    if not created:
        return 0
    language = email_language(user)
    with translation.override(language):  # the reasons are sentences in the homeowner's language
        context = {"user": user, "device": device, "incident": incident,
                   "lapsed": device.is_authenticated is False,
                   "settings_url": f"{settings.DASHBOARD_URL}{reverse('accounts:settings')}",
                   "reasons": list(dict.fromkeys(str(item.message) for item in device.attention_items))}
    try:
        email_send(template_prefix="accounts/email/attention", to=user.email, context=context, language=language)
    except Exception:  # noqa: BLE001 - the mail server refused: forget the notice so the next run retries
        notice.delete()
        log.warning("attention_email_failed", extra={"user_id": user.pk, "device_id": device.id})
        return 0
    log.info("attention_email_sent", extra={"user_id": user.pk, "device_id": device.id, "incident": incident})
    return 1
