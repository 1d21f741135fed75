"""An EV's weekly charge policy: its model, its cached reads and the plan line on the card.

The policy is read through the same cache envelope and single-flight as the device lists. The form
wants it at most POLICY_FRESH_FOR old; the card never waits for it (a missing or old one is fetched
in the background). Writes live in `writes.py` and invalidate it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as _time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache
from django.utils import formats
from django.utils.translation import gettext as _

from .. import podero
from ..podero import PoderoError
from ..schemas import ElectricVehicle, as_percent, as_time
from . import background
from .cache import Ids, as_entry, fetch_once, invalidate_key, read_entry
from .errors import LinkLike
from .reads import device_get

log = logging.getLogger("devices.services")

EV = "electric-vehicles"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
POLICY_FRESH_FOR = 30  # seconds: the schedule form shows a policy at most this old
# The card's "Tomorrow: 80 % by 07:00" accepts an older policy (it changes only when someone edits it, and our
# own writes invalidate it) and never waits for Podero: a missing or old one is fetched in the background.
POLICY_CARD_MAX_AGE = 30 * 60
POLICY_ERROR_MEMO_S = 10  # after a failed policy read, the card does not ask again for this long


@dataclass(frozen=True, slots=True)
class DayPlan:
    percentage: int | None
    deadline: _time | None


@dataclass(frozen=True)
class ChargePolicy:
    """The weekly charge policy (fact sheet §4.3). Days missing upstream are None."""

    days: dict[str, DayPlan]
    timezone: str | None

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for day in WEEKDAYS:
            plan = self.days.get(day)
            if plan is not None and plan.percentage is not None and plan.deadline is not None:
                body[day] = {"charge_percentage": plan.percentage, "charge_deadline": plan.deadline.strftime("%H:%M")}
        body["timezone"] = self.timezone
        return body


def parse_charge_policy(raw: Any) -> ChargePolicy:
    """The GET shape `{metadata, data: {mon: {...}, ..., timezone}}` (or the bare data object); never raises."""
    data = raw.get("data") if isinstance(raw, dict) and isinstance(raw.get("data"), dict) else raw
    if not isinstance(data, dict):
        data = {}
    days: dict[str, DayPlan] = {}
    for day in WEEKDAYS:
        entry = data.get(day)
        if isinstance(entry, dict):
            days[day] = DayPlan(percentage=as_percent(entry.get("charge_percentage")),
                                deadline=as_time(entry.get("charge_deadline")))
    timezone = data.get("timezone") if isinstance(data.get("timezone"), str) else None
    return ChargePolicy(days=days, timezone=timezone)


def policy_key(link: LinkLike | Ids, device_id: str) -> str:
    return Ids.of(link).key(f"charge-policy:{device_id}")


def invalidate_policy(link: LinkLike, device_id: str) -> None:
    invalidate_key(policy_key(link, device_id))


def _policy_fetch(ids: Ids, device_id: str, max_age: float) -> ChargePolicy:
    def fetch() -> Any:
        return podero.get_client().get_charge_policy(org_id=ids.org, user_id=ids.user, device_id=device_id)

    entry = fetch_once(policy_key(ids, device_id), fetch, max_age=max_age, error_memo_s=POLICY_ERROR_MEMO_S)
    return parse_charge_policy(entry["items"])


def policy_refresh(org: str, user: str, device_id: str) -> bool:
    """Background body: fetch one EV's weekly policy into the cache."""
    ids = Ids(org=org, user=user)
    try:
        _policy_fetch(ids, device_id, POLICY_FRESH_FOR)
        return True
    except PoderoError as exc:
        log.warning("policy_refresh_failed", extra={"error": type(exc).__name__})
        return False
    finally:
        cache.delete(policy_key(ids, device_id) + ":refreshing")


def _policy_for_card(link: LinkLike, device_id: str, found: dict[str, Any] | None = None) -> ChargePolicy | None:
    """Whatever policy the cache holds, refreshed in the background when missing or old. Never blocks.
    `found`: a cache.get_many the caller already made that holds this key (or lacks it: nothing cached)."""
    ids = Ids.of(link)
    key = policy_key(ids, device_id)
    entry = as_entry(found.get(key)) if found is not None else read_entry(key)
    if entry is None or entry.get("invalidated") or time.time() - entry["fetched_at"] >= POLICY_CARD_MAX_AGE:
        background.run_once(key + ":refreshing", policy_refresh, background.REFRESH_CHARGE_POLICY,
                            ids.org, ids.user, device_id)
    return parse_charge_policy(entry["items"]) if entry is not None else None


def ev_charge_policy_get(*, link: LinkLike, device_id: Any) -> ChargePolicy:
    """The homeowner's weekly charge policy for one of their EVs (DeviceNotFound for anyone else's);
    at most POLICY_FRESH_FOR old; raises PoderoError when it cannot be read."""
    device = device_get(link=link, kind=EV, device_id=device_id)
    assert device.id is not None
    return _policy_fetch(Ids.of(link), device.id, POLICY_FRESH_FOR)


# -- the plan line on the EV card ("Tomorrow: 80 % by 07:00")
def ev_charge_plan(*, link: LinkLike, device: ElectricVehicle, now: datetime | None = None) -> str | None:
    """The next charging deadline in plain words; None when we cannot tell."""
    if device.is_charge_policy_enabled is False:
        return _("No deadline: fully cost-optimized charging.")
    if device.is_charge_policy_enabled is not True or device.id is None:
        return None
    # Until the weekly policy is in the cache, the daily default below still tells the plan.
    policy = _policy_for_card(link, device.id) or ChargePolicy(days={}, timezone=None)
    user_tz = getattr(getattr(link, "user", None), "timezone", None)
    try:
        tz = ZoneInfo(policy.timezone or user_tz or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(settings.TIME_ZONE)
    local = (now or datetime.now(UTC)).astimezone(tz)
    default = DayPlan(percentage=device.minimum_charge_limit, deadline=device.charge_deadline)

    def plan_for(day_offset: int) -> DayPlan:
        weekday = WEEKDAYS[(local.weekday() + day_offset) % 7]
        plan = policy.days.get(weekday)
        return plan if plan and plan.percentage is not None and plan.deadline is not None else default

    today = plan_for(0)
    if today.deadline is not None and today.percentage is not None and local.time() < today.deadline:
        sentence, plan = _("Today: %(level)s %% by %(time)s"), today
    else:
        sentence, plan = _("Tomorrow: %(level)s %% by %(time)s"), plan_for(1)
    if plan.percentage is None or plan.deadline is None:
        return None
    return sentence % {"level": formats.number_format(plan.percentage),
                       "time": formats.time_format(plan.deadline, "TIME_FORMAT")}
