"""What a card needs beside the device itself: the EV's plan and confidence, the pause, the reason line.

Never blocks on Podero: the current charging session and the weekly policy are read from the cache
(fetched in the background when missing or old, like the policy already was), the pause from our
database. The rules themselves are the pure functions of `devices.plan`, `devices.reasons` and
`devices.boost`; this module only gathers their inputs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache

from .. import podero
from ..plan import OUTCOME_FOR, Forecast, deadline_confidence, plan_line, schedule_summary
from ..plan import charge_power_w as _power
from ..podero import PoderoError
from ..reasons import Pause, Reason, reason_line
from ..schemas import ChargingSession, Device, ElectricVehicle, parse_current_session
from . import background
from .cache import Ids, as_entry, fetch_once, read_entry
from .errors import LinkLike
from .history import SESSION_FRESH_FOR, _key
from .pauses import pause_of
from .policy import WEEKDAYS, ChargePolicy, DayPlan, _policy_for_card, policy_key

log = logging.getLogger("devices.services")

REFRESH_CURRENT_SESSION = "devices.tasks.refresh_current_session"
# The card's session (its plan is set at plug-in) follows the car's syncs: it is fetched again once the car has
# synced since we fetched it (Podero's `current_state_last_updated_at`, every 5-15 minutes), not on a clock of our
# own. Without a sync time it is refetched after SESSION_CARD_MAX_AGE; with one, after SESSION_CARD_CAP at most.
SESSION_CARD_MAX_AGE = 120
SESSION_CARD_CAP = 15 * 60


@dataclass(frozen=True)
class EvPlan:
    plan: str | None  # "Charging plan: 01:00–05:30 · 80 % by 07:00"
    schedule: str | None  # "Weekdays 80 % by 07:00 · weekends 50 % by 10:00"
    forecast: Forecast | None
    forecast_text: str | None
    plan_start: datetime | None


@dataclass(frozen=True)
class CardFacts:
    reason: Reason | None
    pause: Pause | None
    ev: EvPlan | None


def _zone(*names: str | None) -> tzinfo:
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(settings.TIME_ZONE)


def session_key(ids: Ids, device_id: str) -> str:
    return _key(ids, "electric-vehicles", device_id, "sessions-current")


def session_refresh(org: str, user: str, device_id: str) -> bool:
    """Background body: fetch one EV's current charging session into the cache (the card's plan)."""
    ids = Ids(org=org, user=user)
    key = session_key(ids, device_id)
    try:
        fetch_once(key, lambda: podero.get_client().get_ev_current_session(org_id=ids.org, user_id=ids.user,
                                                                          device_id=device_id),
                   max_age=SESSION_FRESH_FOR)
        return True
    except PoderoError as exc:
        log.warning("session_refresh_failed", extra={"error": type(exc).__name__})
        return False
    finally:
        cache.delete(key + ":refreshing")


def session_due(entry: dict[str, Any] | None, synced_at: datetime | None, now: float | None = None) -> bool:
    """Whether the card's cached session may be older than what Podero has: missing or invalidated; fetched
    before the car's latest sync; or, without a sync time, older than SESSION_CARD_MAX_AGE (SESSION_CARD_CAP
    with one: a session can change between syncs, e.g. a plan set in the manufacturer's app)."""
    if entry is None or entry.get("invalidated"):
        return True
    age = (now if now is not None else time.time()) - entry["fetched_at"]
    if synced_at is None:
        return age >= SESSION_CARD_MAX_AGE
    return synced_at.timestamp() > entry["fetched_at"] or age >= SESSION_CARD_CAP


def _session_for_card(link: LinkLike, device_id: str, found: dict[str, Any] | None = None, *,
                      synced_at: datetime | None = None) -> ChargingSession | None:
    ids = Ids.of(link)
    key = session_key(ids, device_id)
    entry = as_entry(found.get(key)) if found is not None else read_entry(key)
    if session_due(entry, synced_at):
        background.run_once(key + ":refreshing", session_refresh, REFRESH_CURRENT_SESSION, ids.org, ids.user,
                            device_id)
    return parse_current_session(entry["items"]) if entry is not None else None


def _day_plan(policy: ChargePolicy, day: date, default: DayPlan) -> DayPlan:
    plan = policy.days.get(WEEKDAYS[day.weekday()])
    return plan if plan and plan.percentage is not None and plan.deadline is not None else default


def _deadlines(policy: ChargePolicy, default: DayPlan, now: datetime, tz: tzinfo) -> tuple[
        tuple[int, datetime] | None, tuple[int, datetime] | None]:
    """(the deadline that passed within OUTCOME_FOR, the next one), each as (target, aware moment)."""
    today = now.astimezone(tz).date()
    past = upcoming = None
    for offset in (-1, 0, 1, 2):
        plan = _day_plan(policy, today + timedelta(days=offset), default)
        if plan.deadline is None or plan.percentage is None:
            continue
        moment = datetime.combine(today + timedelta(days=offset), plan.deadline, tzinfo=tz)
        if moment.astimezone(UTC) <= now.astimezone(UTC):
            if now - moment < OUTCOME_FOR:
                past = (plan.percentage, moment)
        elif upcoming is None:
            upcoming = (plan.percentage, moment)
    return past, upcoming


def ev_plan(*, link: LinkLike, device: ElectricVehicle, now: datetime | None = None) -> EvPlan:
    now = now or datetime.now(UTC)
    enabled = device.is_charge_policy_enabled
    want = {"session": bool(device.id) and device.is_plugged_in is not False, "policy": bool(enabled and device.id)}
    found = None
    if all(want.values()):  # both cache entries in one round trip: on a busy machine a page pays per round trip
        found = cache.get_many([session_key(Ids.of(link), device.id), policy_key(Ids.of(link), device.id)])
    session = _session_for_card(link, device.id, found, synced_at=device.state_updated_at) if want["session"] else None
    policy = (_policy_for_card(link, device.id, found) if want["policy"] else None) or ChargePolicy({}, None)
    tz = _zone(policy.timezone, getattr(getattr(link, "user", None), "timezone", None))
    default = DayPlan(percentage=device.minimum_charge_limit, deadline=device.charge_deadline)
    window = None
    if session is not None and session.desired_start and session.desired_end:
        window = (session.desired_start, session.desired_end)
    forecast = None
    target, deadline, past = None, None, None
    if enabled:
        past, upcoming = _deadlines(policy, default, now, tz)
        if upcoming is not None:
            target, deadline = upcoming
        level = device.battery_level
        if past is not None:
            final = session.final_soc if session is not None and session.final_soc is not None else level
            forecast = deadline_confidence(
                level=final, capacity=device.battery_capacity_kwh, power_w=None, target=past[0], deadline=past[1],
                now=now, reached_at=session.desired_end if session is not None else None,
                unplugged_at=session.unplug if session is not None else None)
        elif upcoming is not None:
            forecast = deadline_confidence(
                level=level, capacity=device.battery_capacity_kwh,
                power_w=_power(device.charge_rate_w, device.extra.get("expected_max_charge_power")),
                target=target, deadline=deadline, now=now, plugged_in=device.is_plugged_in)
    line = plan_line(policy_enabled=enabled, plugged_in=device.is_plugged_in, window=window, target=target,
                     deadline=deadline, tz=tz, say_tomorrow=past is not None and deadline is not None
                     and deadline.astimezone(tz).date() > now.astimezone(tz).date()) if enabled is not None else None
    summary = schedule_summary({d: (p.percentage, p.deadline) for d, p in policy.days.items()}) if enabled else None
    return EvPlan(plan=line, schedule=summary, forecast=forecast,
                  forecast_text=forecast.sentence(tz) if forecast is not None else None,
                  plan_start=window[0] if window else None)


def card_facts(*, link: Any, device: Device, now: datetime | None = None) -> CardFacts:
    """The reason line, the timed pause and (EVs) the plan of one card. Never raises for bad data."""
    now = now or datetime.now(UTC)
    tz = _zone(getattr(getattr(link, "user", None), "timezone", None))
    pause = pause_of(device_id=device.id) if device.is_smart_optimization_active is False else None
    plan = None
    if isinstance(device, ElectricVehicle) and link is not None and device.id is not None:
        try:
            plan = ev_plan(link=link, device=device, now=now)
        except (PoderoError, ValueError, TypeError) as exc:
            log.warning("ev_plan_failed", extra={"error": type(exc).__name__})
    reason = reason_line(device, now=now, tz=tz, pause=pause, plan_start=plan.plan_start if plan else None)
    return CardFacts(reason=reason, pause=pause, ev=plan)
