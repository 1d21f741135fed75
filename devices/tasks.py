"""Celery entry points. A task takes primitives, calls one service, and owns its retry policy.

No task wraps a write (boost, schedule): a repeated POST could boost twice.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from . import services
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


# --- Periodic jobs (celery beat; the schedule is in dashboard/celery.py) ---------------------------
log = logging.getLogger("devices.tasks")

WARM_EVERY_S = 10  # how often the warming job looks at the active dashboards
WARM_AHEAD_S = 25  # it refetches lists at least this old, just before their 30 s freshness ends
WARM_BUDGET_S = 8  # one warm run stops starting new homeowners after this; the next run is 10 s later
WARM_PARALLEL = 4  # homeowners warmed at once (each fans out over its device kinds)
NOTICE_MAX_AGE_S = 15 * 60  # attention checks trust cached lists up to this age, else fetch


def _linked_homeowners() -> Any:
    return get_user_model().objects.filter(is_active=True, podero__isnull=False).select_related("podero")


@shared_task(ignore_result=True)
def warm_active_dashboards() -> int:
    """Keep the device lists of homeowners with an open dashboard fresh, so what they see is never stale.

    "Active" = their dashboard asked within services.SEEN_FOR. Every WARM_EVERY_S this refetches their lists
    that are at least WARM_AHEAD_S old (so about one call per kind per 25–35 s, only while someone looks),
    through the same one-call-per-key lock as the dashboard. Returns how many homeowners were warmed.
    """
    started = time.monotonic()
    recent = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)  # no session is older
    links = services.recently_seen(links=[u.podero for u in _linked_homeowners().filter(last_login__gte=recent)])

    def warm(link: Any) -> bool:
        if time.monotonic() - started > WARM_BUDGET_S:
            return False
        services.device_overview(link=link, refresh_older_than=WARM_AHEAD_S)
        return True

    with ThreadPoolExecutor(max_workers=WARM_PARALLEL, thread_name_prefix="warm") as pool:
        warmed = sum(pool.map(warm, links))
    if warmed < len(links):
        log.warning("warm_budget_exceeded", extra={"warmed": warmed, "active": len(links)})
    return warmed


@shared_task(ignore_result=True)
def snapshot_consumption() -> int:
    """Store each linked homeowner's devices' consumption figures for today (one row per device and day)."""
    today = timezone.localdate()
    written = 0
    for user in _linked_homeowners().iterator():
        link = user.podero
        overview = services.device_overview(link=link, force=True)
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


def incident_of(device: Device) -> str:
    """What is wrong with a device, as a stable string: the same problem gives the same incident."""
    parts = []
    if device.is_authenticated is False:
        parts.append("auth=lapsed")
    codes = sorted({action.code for action in device.actions})
    if codes:
        parts.append("actions=" + ",".join(codes))
    return ";".join(parts)[:200] or "action_needed"


@shared_task(ignore_result=True)
def notify_attention() -> int:
    """Email a homeowner once per incident (a device needing attention for one reason).

    Homeowners who opted out (`notify_attention` off) are skipped. A notice closes when the device no
    longer needs attention (or is gone); the same problem later is a new incident. Returns emails sent.
    """
    sent = 0
    for user in _linked_homeowners().filter(notify_attention=True).exclude(email="").iterator():
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
    context = {"user": user, "device": device, "incident": incident, "dashboard_url": settings.DASHBOARD_URL,
               "lapsed": device.is_authenticated is False,
               "codes": sorted({action.code for action in device.actions})}
    subject = " ".join(render_to_string("accounts/email/attention_subject.txt", context).split())
    body = render_to_string("accounts/email/attention_message.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # noqa: BLE001 - the mail server refused: forget the notice so the next run retries
        notice.delete()
        log.warning("attention_email_failed", extra={"user_id": user.pk, "device_id": device.id})
        return 0
    log.info("attention_email_sent", extra={"user_id": user.pk, "device_id": device.id, "incident": incident})
    return 1
