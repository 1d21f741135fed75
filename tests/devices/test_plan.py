"""The deadline confidence rule, the plan line and the weekly summary (devices/plan.py): pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from devices.plan import (
    Confidence,
    charge_power_w,
    deadline_confidence,
    last_deadline,
    next_deadline,
    plan_line,
    schedule_summary,
)

VIENNA = ZoneInfo("Europe/Vienna")


def at(day: int, hour: int, minute: int = 0, *, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VIENNA)


def forecast(**kw):
    base = {"level": 40, "capacity": 60, "power_w": 3600, "target": 80, "deadline": at(4, 7), "now": at(3, 22)}
    return deadline_confidence(**{**base, **kw})


def test_on_track_when_the_charge_fits_before_the_deadline():
    # 40 -> 80 % of 60 kWh = 24 kWh at 3.6 kW = 6 h 40 min; 22:00 + 6:40 = 04:40 < 07:00.
    result = forecast()
    assert result.status is Confidence.ON_TRACK
    assert result.sentence(VIENNA) == "On track."  # the plan line beside it says "80 % by 07:00"


def test_on_track_when_the_target_is_already_reached_even_without_capacity():
    assert forecast(level=85, capacity=None, power_w=None).status is Confidence.ON_TRACK


def test_at_risk_says_by_how_much_and_at_which_power():
    # 24 kWh at 3.6 kW = 6 h 40 min from 01:00 = 07:40: 40 min late.
    result = forecast(now=at(4, 1))
    assert result.status is Confidence.AT_RISK
    assert result.minutes_late == 40
    assert result.sentence(VIENNA) == "At risk: at 3.6 kW the car reaches 80 % about 40 min after 07:00."
    assert result.helps == "charge_now"
    assert forecast(now=at(4, 1), plugged_in=False).helps == "plug_in"


def test_an_overrun_under_five_minutes_is_not_flagged():
    # 6 h 40 min before 07:00 is 00:20; starting at 00:24 ends 4 min late.
    assert forecast(now=at(4, 0, 24)).status is Confidence.ON_TRACK
    late = forecast(now=at(4, 0, 26))
    assert late.status is Confidence.AT_RISK and late.minutes_late == 5  # 6 min, said as "about 5"


@pytest.mark.parametrize("capacity", [None, 0, "0", "", "unknown", -5])
def test_unknown_capacity_says_cant_tell(capacity):
    result = forecast(capacity=capacity, now=at(4, 1))
    assert result.status is Confidence.UNKNOWN
    assert result.sentence(VIENNA).startswith("Can't tell yet whether the car will be ready in time")


def test_unknown_power_says_cant_tell():
    assert forecast(power_w=None, now=at(4, 1)).status is Confidence.UNKNOWN
    assert forecast(power_w=0, now=at(4, 1)).status is Confidence.UNKNOWN


def test_a_capacity_sent_as_a_string_is_used():
    assert forecast(capacity="60", now=at(4, 1)).minutes_late == 40
    assert forecast(capacity="60.0").status is Confidence.ON_TRACK


def test_charge_power_prefers_the_live_rate_then_the_expected_maximum():
    assert charge_power_w(7400, 11) == 7400
    assert charge_power_w(0, 11) == 11000  # kW
    assert charge_power_w(None, "3700") == 3700  # W, as a string
    assert charge_power_w(0, None) is None
    assert charge_power_w("n/a", 0) is None


def test_missed_after_the_deadline_with_the_unplug_time():
    result = forecast(level=62, now=at(4, 7, 30), unplugged_at=at(4, 2, 10))
    assert result.status is Confidence.MISSED
    assert result.sentence(VIENNA) == "Missed: 62 % at 07:00 — unplugged at 02:10."
    # An unplug after the deadline is not why it was missed.
    assert forecast(level=62, now=at(4, 8), unplugged_at=at(4, 7, 30)).sentence(VIENNA) == "Missed: 62 % at 07:00."


def test_ready_after_the_deadline_says_when():
    result = forecast(level=80, now=at(4, 7, 30), reached_at=at(4, 5, 40))
    assert result.status is Confidence.READY
    assert result.sentence(VIENNA) == "Ready: 80 % at 05:40."


def test_dst_night_is_an_hour_longer():
    # 25 Oct 2026: clocks go back at 03:00 in Vienna, so 22:00 -> 07:00 is 10 real hours, not 9.
    now, deadline = at(24, 22, month=10), at(25, 7, month=10)
    assert deadline - now == timedelta(hours=9)  # same tzinfo: wall-clock difference (the trap)
    assert deadline.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=10)
    # 36 kWh at 3.6 kW = 10 h exactly: on track only if the extra hour is counted.
    result = deadline_confidence(level=20, capacity=60, power_w=3600, target=80, deadline=deadline, now=now)
    assert result.status is Confidence.ON_TRACK
    # ... and the spring night (29 Mar 2026) is an hour shorter: 9 h 40 min needed in 8 real hours.
    spring = deadline_confidence(level=22, capacity=60, power_w=3600, target=80, deadline=at(29, 7, month=3),
                                 now=at(28, 22, month=3))
    assert spring.status is Confidence.AT_RISK and spring.minutes_late == 100


def test_next_and_last_deadline_across_midnight_and_dst():
    assert next_deadline(at(3, 22), time(7), VIENNA) == at(4, 7)
    assert next_deadline(at(4, 6, 59), time(7), VIENNA) == at(4, 7)
    assert next_deadline(at(4, 7), time(7), VIENNA) == at(5, 7)
    assert last_deadline(at(4, 8), time(7), VIENNA) == at(4, 7)
    assert next_deadline(at(24, 22, month=10), time(7), VIENNA).utcoffset() == timedelta(hours=1)


def test_plan_line():
    window = (at(4, 1), at(4, 5, 30))
    assert plan_line(policy_enabled=True, plugged_in=True, window=window, target=80, deadline=at(4, 7),
                     tz=VIENNA) == "Charging plan: 01:00–05:30 · 80 % by 07:00"
    assert plan_line(policy_enabled=True, plugged_in=False, window=None, target=80, deadline=at(4, 7),
                     tz=VIENNA) == "No plan yet: Podero plans when the car is plugged in · 80 % by 07:00"
    assert plan_line(policy_enabled=False, plugged_in=True, window=None, target=None, deadline=None,
                     tz=VIENNA) == "No plan yet: Podero is planning the cheapest hours · no deadline, fully cost-optimized"


def test_schedule_summary():
    weekday, weekend = (80, time(7)), (50, time(10))
    days = {d: weekday for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": weekend, "sun": weekend}
    assert schedule_summary(days) == "Weekdays 80 % by 07:00 · weekends 50 % by 10:00"
    assert schedule_summary({d: weekday for d in days}) is None  # every day the same: nothing to add
    assert schedule_summary({**days, "fri": (60, time(8))}) == (
        "Mon–Thu 80 % by 07:00 · Fri 60 % by 08:00 · Sat–Sun 50 % by 10:00")
    assert schedule_summary({**days, "sun": (None, None)}) is None
