"""Device history generated on the fly: prices, consumption, savings and EV charging sessions.

Nothing here is stored row by row. Every value is a pure function of the device's stored facts, its
owner's time zone and the UTC instant, built from the same `physics` as the live readings:
* a day-ahead-like price curve in €/MWh per price zone (cheap at night and around solar noon,
  expensive in the morning and evening peaks), constant per 15 minutes (per hour in hourly zones);
* the heat pump's unoptimized baseline (no optimization mode) and its optimized consumption
  (`physics.HP_MODES_BY_HOUR` shifts it into the cheap hours);
* the inverter's grid exchange with the battery Podero steers versus without it;
* EV charging sessions: the car drives the cards' daily `ev_kwh_on`, plugs in some evenings, and
  Podero charges it in the cheapest slots before the deadline; energy = battery rise × capacity.

Time follows the docs: every timestamp is UTC (fact sheet §6), session days are UTC days (addendum
§1a), and buckets (1DAY…1YEAR) are UTC calendar buckets. A local day in Europe/Vienna asked as
[local midnight, next local midnight) therefore holds 23 or 25 hourly points on DST days.
Data exist from the device's `first_data_at` up to the last complete 15-minute slot. Synthesised EV
sessions end before the device was registered here (`created_at`); from then on the live facts
(`physics.ev_reading`) drive the battery, and a plugged-in car is the current session.
Money is summed in integer units of 1e-4 € per UTC day, so buckets add up exact

Modules: `constants`, `prices` (the price curve and the bucket grid), `spec` (a device's facts),
`series` (15-minute day series per kind), `sessions` (EV charging sessions) and `aggregate` (/data,
/savings, /statistics). Import from `simulator.history`.
"""

from __future__ import annotations

from .aggregate import (  # noqa: F401
    Totals,
    _aggregate,
    _full_day_totals,
    _part_totals,
    _sum_slots,
    data_points,
    range_totals,
    savings_item,
    savings_items,
)
from .constants import (  # noqa: F401
    AWAY_CHANCE,
    BOOL_FIELDS,
    DATA_RESOLUTIONS,
    DATA_UNITS,
    DAY,
    EV_KEYWORDS,
    FIELDS,
    HP_EXTRA_FIELDS,
    HP_KEYWORDS,
    INVERTER_EXTRA_FIELDS,
    INVERTER_KEYWORDS,
    KEYWORDS,
    MIN_SOC,
    MONEY_UNIT,
    PLUG_CHANCE,
    ROUNDING,
    SAVINGS_RESOLUTIONS,
    SAVINGS_UNITS,
    SESSION_GAP_DAYS,
    SLOT,
    SLOT_H,
    SLOTS_PER_DAY,
    SUM_FIELDS,
)
from .prices import (  # noqa: F401
    HOURLY_ZONES,
    ZONE_LEVEL,
    ZONE_TZ,
    _price,
    _slot_index,
    _zone_level,
    _zone_tz,
    bucket_count,
    bucket_end,
    bucket_start,
    buckets,
    ceil_slot,
    day_prices,
    floor_slot,
    price_at,
)
from .series import (  # noqa: F401
    _DAY_BUILDERS,
    _ev_day,
    _ev_slot,
    _heat_pump_day,
    _inverter_day,
    clip,
    day_parts,
    day_series,
)
from .sessions import (  # noqa: F401
    Session,
    _cost,
    _deadline_time,
    _ev_capacity,
    _ev_power,
    _ev_target,
    _has_session,
    _history_session,
    _live_charged,
    _live_plugged_since,
    _local,
    _local_day,
    _session_key,
    current_session,
    history_session,
    history_sessions,
    live_level,
    plan_charge,
    plug_in_time,
    session_payload,
)
from .spec import (  # noqa: F401
    _EV_ATTRS,
    _EV_FACTS,
    _HP_ATTRS,
    _IV_ATTRS,
    DaySeries,
    Spec,
    _hashable,
    _slot_times,
    data_window,
    spec_of,
)
