"""EV charging sessions: synthesised before the device was registered, live after."""


from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from .. import clock, physics
from .constants import AWAY_CHANCE, DAY, MIN_SOC, PLUG_CHANCE, SESSION_GAP_DAYS, SLOT, SLOT_H
from .prices import ceil_slot, floor_slot, price_at
from .spec import Spec


# --- EV sessions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    id: str
    plug_in: datetime
    unplug: datetime | None
    deadline: datetime | None
    target_soc: float
    initial_soc: float
    final_soc: float | None
    energy_kwh: float
    power_w: int
    is_at_home: bool
    outcome: str | None
    charged: dict[datetime, float]  # slot start -> kWh, as it ran
    immediate: dict[datetime, float]  # slot start -> kWh, had it charged at once (the baseline)
    cost_eur: float
    baseline_cost_eur: float
    expected_savings_eur: float

    @property
    def charging_hours(self) -> float:
        return sum(kwh for kwh in self.charged.values()) / (self.power_w / 1000) if self.power_w else 0.0


def _ev_target(spec: Spec) -> float:
    cap = spec.attr.get("charge_target_max") or 100
    return float(min(cap, spec.attr.get("minimum_charge_limit") or 80))


def _ev_capacity(spec: Spec) -> float:
    return float(spec.attr.get("battery_capacity_kwh") or 60.0)


def _ev_power(spec: Spec) -> int:
    return int(spec.fact.get("charger_power_w") or 11000)


def _deadline_time(spec: Spec) -> time:
    text = str(spec.attr.get("charge_deadline_at") or "07:00")
    try:
        return time.fromisoformat(text[:5])
    except ValueError:
        return time(7, 0)


def _has_session(seed: str, day: date) -> bool:
    if day.toordinal() % SESSION_GAP_DAYS == int(physics.unit_hash(seed, "gap") * SESSION_GAP_DAYS):
        return True
    return physics.unit_hash(seed, day, "plug") < PLUG_CHANCE


def _local(spec: Spec, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=physics._zone(spec.tz)).astimezone(UTC)


def plug_in_time(spec: Spec, day: date) -> datetime:
    """The car comes home between 17:00 and 19:45 local time (cheap: no session is built)."""
    quarter = int(physics.unit_hash(spec.seed, day, "home") * 12)
    return _local(spec, day, time(17 + quarter // 4, quarter % 4 * 15))


def plan_charge(
    zone: str, start: datetime, end: datetime, energy_kwh: float, power_w: int, optimize: bool
) -> dict[datetime, float]:
    """kWh per slot: the cheapest slots in [start, end) when optimizing, else at once from `start`."""
    slots: list[datetime] = []
    at = ceil_slot(start)
    while at + SLOT <= end:
        slots.append(at)
        at += SLOT
    if not slots or energy_kwh <= 0 or power_w <= 0:
        return {}
    per_slot = power_w / 1000 * SLOT_H
    order = sorted(slots, key=lambda s: (price_at(zone, s), s)) if optimize else slots
    plan: dict[datetime, float] = {}
    left = energy_kwh
    for slot in order:
        if left <= 1e-9:
            break
        plan[slot] = min(per_slot, left)
        left -= plan[slot]
    return dict(sorted(plan.items()))


def _cost(zone: str, plan: dict[datetime, float]) -> float:
    return sum(kwh * price_at(zone, slot) / 1000 for slot, kwh in plan.items())  # €/MWh × kWh / 1000


@functools.lru_cache(maxsize=8192)
def _history_session(spec_key: tuple[Any, ...], spec: Spec, day: date) -> Session | None:
    """The synthesised session that starts on the evening of local `day`, or None."""
    if not _has_session(spec.seed, day):
        return None
    previous = next(
        (
            day - timedelta(days=k)
            for k in range(1, SESSION_GAP_DAYS + 1)
            if _has_session(spec.seed, day - timedelta(days=k))
        ),
        day - timedelta(days=SESSION_GAP_DAYS),
    )
    capacity, target, power = _ev_capacity(spec), _ev_target(spec), _ev_power(spec)
    driven_kwh = sum(
        physics.ev_kwh_on(spec.seed, previous + timedelta(days=k))
        for k in range(1, (day - previous).days + 1)
    )
    initial = max(MIN_SOC, target - driven_kwh / capacity * 100) if target > MIN_SOC else target
    energy = round((target - initial) / 100 * capacity, 3)
    plug_in = plug_in_time(spec, day)
    deadline = _local(spec, day + DAY, _deadline_time(spec))
    unplug = deadline + SLOT * int(physics.unit_hash(spec.seed, day, "leave") * 6)
    at_home = physics.unit_hash(spec.seed, day, "away") >= AWAY_CHANCE
    optimize = at_home and bool(spec.attr.get("is_smart_optimization_active", True))
    charged = plan_charge(spec.zone, plug_in, deadline, energy, power, optimize)
    immediate = plan_charge(spec.zone, plug_in, deadline, energy, power, False)
    delivered = sum(charged.values())
    cost, baseline = _cost(spec.zone, charged), _cost(spec.zone, immediate)
    return Session(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"podero-sim:{spec.seed}:session:{day.isoformat()}")),
        plug_in=plug_in,
        unplug=unplug,
        deadline=deadline if at_home else None,
        target_soc=target,
        initial_soc=initial,
        final_soc=initial + delivered / capacity * 100,
        energy_kwh=delivered,
        power_w=power,
        is_at_home=at_home,
        outcome="completed" if at_home else "not_at_home",
        charged=charged,
        immediate=immediate,
        cost_eur=cost,
        baseline_cost_eur=baseline,
        expected_savings_eur=baseline - cost,
    )


def _session_key(spec: Spec) -> tuple[Any, ...]:
    """The part of the spec a synthesised session depends on (the live facts do not move history)."""
    return (
        spec.seed,
        spec.tz,
        spec.zone,
        _ev_capacity(spec),
        _ev_target(spec),
        _ev_power(spec),
        _deadline_time(spec),
        bool(spec.attr.get("is_smart_optimization_active", True)),
    )


def history_session(spec: Spec, day: date) -> Session | None:
    """The session of local `day` if it belongs to the history (ended before the live facts took over)."""
    base = Spec(
        spec.seed,
        spec.kind,
        spec.tz,
        spec.zone,
        spec.attrs,
        (("charger_power_w", _ev_power(spec)),),
        None,
        spec.created_at,
    )
    session = _history_session(_session_key(spec), base, day)
    if session is None or session.unplug is None or session.unplug > spec.created_at:
        return None
    if spec.first_data_at is None or session.plug_in < spec.first_data_at:
        return None
    return session


def _local_day(spec: Spec, at: datetime) -> date:
    return at.astimezone(physics._zone(spec.tz)).date()


def history_sessions(spec: Spec, lo: datetime, hi: datetime) -> list[Session]:
    """Completed synthesised sessions plugged in within [lo, hi), oldest first."""
    hi = min(hi, spec.created_at + DAY)
    if spec.first_data_at is not None:
        lo = max(lo, spec.first_data_at)
    out = []
    day = _local_day(spec, lo) - DAY
    last = _local_day(spec, hi) + DAY
    while day <= last:
        if _has_session(spec.seed, day) and lo <= plug_in_time(spec, day) < hi:
            session = history_session(spec, day)
            if session is not None:
                out.append(session)
        day += DAY
    return out


def _live_plugged_since(spec: Spec) -> datetime:
    return clock.parse_iso(spec.fact.get("plugged_at")) or spec.created_at


def live_level(spec: Spec, at: datetime) -> physics.EvReading:
    return physics.ev_reading(at, spec.fact, spec.attr, authenticated=True)


def current_session(spec: Spec, now: datetime) -> dict[str, Any] | None:
    """The live session of a plugged-in car (`sessions/current`), or None."""
    if not spec.fact.get("plugged_in"):
        return None
    capacity, target, power = _ev_capacity(spec), _ev_target(spec), _ev_power(spec)
    plug_in = _live_plugged_since(spec)
    initial = float(
        spec.fact.get("plug_level")
        if spec.fact.get("plug_level") is not None
        else live_level(spec, plug_in).level
    )
    reading = live_level(spec, now)
    charged = _live_charged(spec, plug_in, now)
    energy = sum(charged.values())
    local_now = now.astimezone(physics._zone(spec.tz))
    deadline = datetime.combine(local_now.date(), _deadline_time(spec), tzinfo=local_now.tzinfo)
    if deadline <= local_now:
        deadline += DAY
    deadline = deadline.astimezone(UTC)
    remaining = max(0.0, (target - reading.level) / 100 * capacity)
    optimize = bool(spec.attr.get("is_smart_optimization_active", True))
    plan = plan_charge(spec.zone, now, deadline, remaining, power, optimize)
    baseline = plan_charge(spec.zone, now, deadline, remaining, power, False)
    cost = _cost(spec.zone, charged)
    rates = [kwh / SLOT_H for kwh in charged.values()]
    hours = energy / (power / 1000) if power else 0
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"podero-sim:{spec.seed}:live:{plug_in.isoformat()}")),
        "plug_in_time": clock.iso(plug_in),
        "unplug_time": None,
        "inferred_session_end": None,
        "desired_charging_start_time": clock.iso(min(plan)) if plan else None,
        "desired_charging_end_time": clock.iso(max(plan) + SLOT) if plan else None,
        "charge_deadline": clock.iso(deadline),
        "target_soc_pct": round(target, 1),
        "initial_soc_pct": round(initial, 1),
        "final_soc_pct": None,
        "energy_charged_kwh": round(energy, 3),
        "avg_charge_power_kw": round(energy / hours, 2) if hours else None,
        "peak_charge_power_kw": round(max(rates), 2) if rates else None,
        "actual_cost_eur": round(cost, 4),
        "expected_savings_eur": round(_cost(spec.zone, baseline) - _cost(spec.zone, plan), 4),
        "actual_savings_eur": None,
        "is_at_home": True,
        "session_outcome": "in_progress",
    }


def _live_charged(spec: Spec, lo: datetime, hi: datetime) -> dict[datetime, float]:
    """kWh per slot from the live battery level (rise × capacity) over [lo, hi)."""
    capacity = _ev_capacity(spec)
    out: dict[datetime, float] = {}
    at = floor_slot(lo)
    while at < hi:
        end = min(at + SLOT, hi)
        rise = live_level(spec, end).level - live_level(spec, max(at, lo)).level
        if rise > 0:
            out[at] = rise / 100 * capacity
        at += SLOT
    return out


def session_payload(session: Session) -> dict[str, Any]:
    """A SessionItem with every documented field (addendum §1a)."""
    charged = sorted(session.charged)
    hours = session.charging_hours
    return {
        "id": session.id,
        "plug_in_time": clock.iso(session.plug_in),
        "unplug_time": clock.iso(session.unplug),
        "inferred_session_end": clock.iso(session.unplug),
        "desired_charging_start_time": clock.iso(charged[0]) if charged else None,
        "desired_charging_end_time": clock.iso(charged[-1] + SLOT) if charged else None,
        "charge_deadline": clock.iso(session.deadline),
        "target_soc_pct": round(session.target_soc, 1),
        "initial_soc_pct": round(session.initial_soc, 1),
        "final_soc_pct": None if session.final_soc is None else round(session.final_soc, 1),
        "energy_charged_kwh": round(session.energy_kwh, 3),
        "avg_charge_power_kw": round(session.energy_kwh / hours, 2) if hours else None,
        "peak_charge_power_kw": round(max(session.charged.values()) / SLOT_H, 2) if charged else None,
        "actual_cost_eur": round(session.cost_eur, 4),
        "expected_savings_eur": round(session.expected_savings_eur, 4),
        "actual_savings_eur": round(session.baseline_cost_eur - session.cost_eur, 4),
        "is_at_home": session.is_at_home,
        "session_outcome": session.outcome,
    }


