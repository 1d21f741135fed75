"""The one door the views use to reach Podero devices.

Modules, each doing one thing, with imports pointing one way (top to bottom may import what is above):
* `errors`     what the services raise; how a failure reads to people
* `cache`      the cache envelope and single-flight: the one mechanism every upstream read goes through
* `background` the small interface to enqueue work (tasks are named, never imported: tasks -> services)
* `reads`      device lists, one device, the admin's cache-only views
* `policy`     an EV's weekly charge policy and the plan line on its card
* `activity`   who is looking (open dashboards)
* `audit`      the audit row, the per-homeowner write limit, the write errors
* `confirm`    writes whose outcome is unknown: re-read, compare, resolve the audit row
* `writes`     every homeowner change: ownership -> client -> invalidate -> audit
* `onboarding` adding a device (Podero's device onboarding) and removing one (soft delete)
* `pauses`     "Pause until…": the timed resume we carry out (beat job, row locks)
* `evplan`     what a card needs beside the device: the EV's plan, the pause, the reason line
* `history`    time series, savings, EV sessions and the household's savings summary
Callers use the names re-exported here.
"""

from __future__ import annotations

import time  # noqa: F401 - tests freeze `services.time.time`

from .activity import ACTIVE_FOR, SEEN_FOR, SEEN_KEY, active_dashboards, dashboard_seen, recently_seen
from .audit import (
    A_BOOST_CANCEL,
    A_BOOST_START,
    A_DEADLINE,
    A_DEVICE_ADDED,
    A_DEVICE_REMOVE,
    A_ONBOARDING_CANCEL,
    A_ONBOARDING_START,
    A_OPTIMIZATION,
    A_POLICY,
    A_RECONNECT,
    CHECKING,
    CONFLICT_MESSAGES,
    NOT_SAVED,
    WRITE_LIMIT,
    WRITE_WINDOW_S,
    WriteConflict,
    WriteError,
    WriteFailed,
    WriteInvalid,
    WriteRateLimited,
    WriteUnknown,
)
from .cache import ERROR_MEMO_S, FRESH_FOR, KEEP_FOR, LOCK_TTL, Ids, read_entry
from .confirm import check_pending
from .errors import DeviceNotFound, LinkLike, RecentFailure, describe_failure
from .evplan import CardFacts, EvPlan, card_facts, ev_plan, session_refresh
from .history import (
    CLOSED_FRESH_FOR,
    CURRENT_FRESH_FOR,
    SESSION_FRESH_FOR,
    DeviceSavings,
    HistoryRangeInvalid,
    HistoryResult,
    PeriodSavings,
    SavingsSummary,
    device_data,
    device_savings,
    ev_current_session,
    ev_sessions,
    heat_pump_statistics,
    household_savings_summary,
    summary_periods,
)
from .onboarding import (
    OnboardingNotFound,
    OnboardingStarted,
    OnboardingStatus,
    device_remove,
    onboarding_cancelled,
    onboarding_start,
    onboarding_status,
    podero_language,
)
from .pauses import (
    A_TIMED_RESUME,
    PauseChoiceInvalid,
    optimization_pause,
    optimization_resume,
    pause_end,
    pause_of,
    resume_due,
)
from .policy import (
    POLICY_CARD_MAX_AGE,
    POLICY_FRESH_FOR,
    WEEKDAYS,
    ChargePolicy,
    DayPlan,
    ev_charge_plan,
    ev_charge_policy_get,
    parse_charge_policy,
    policy_key,
    policy_refresh,
)
from .reads import (
    MIN_FORCE_INTERVAL,
    DeviceOverview,
    KindResult,
    cached_overview,
    cached_overviews,
    device_fetch_fresh,
    device_get,
    device_list,
    device_overview,
    ev_get,
    invalidate,
    refresh_kind,
)
from .writes import (
    device_get_for_write,
    device_reconnect_start,
    ev_boost_cancel,
    ev_boost_start,
    ev_charge_deadline_set,
    ev_charge_policy_set,
    optimization_set,
    write_invalid,
)

__all__ = [
    "CLOSED_FRESH_FOR", "CURRENT_FRESH_FOR", "SESSION_FRESH_FOR", "DeviceSavings", "HistoryRangeInvalid",
    "HistoryResult", "PeriodSavings", "SavingsSummary", "device_data", "device_savings", "ev_current_session",
    "ev_sessions", "heat_pump_statistics", "household_savings_summary", "summary_periods",
    "ACTIVE_FOR", "active_dashboards", "A_BOOST_CANCEL", "A_BOOST_START", "A_DEADLINE", "A_OPTIMIZATION", "A_POLICY", "A_RECONNECT",
    "CHECKING", "CONFLICT_MESSAGES", "ERROR_MEMO_S", "FRESH_FOR", "KEEP_FOR", "LOCK_TTL", "MIN_FORCE_INTERVAL", "NOT_SAVED",
    "POLICY_CARD_MAX_AGE", "POLICY_FRESH_FOR", "SEEN_FOR", "SEEN_KEY", "WEEKDAYS", "WRITE_LIMIT",
    "WRITE_WINDOW_S", "ChargePolicy", "DayPlan", "DeviceNotFound", "DeviceOverview", "Ids", "KindResult",
    "LinkLike", "RecentFailure", "WriteConflict", "WriteError", "WriteFailed", "WriteInvalid",
    "WriteRateLimited", "WriteUnknown", "cached_overview", "check_pending", "cached_overviews", "dashboard_seen", "describe_failure",
    "device_fetch_fresh", "device_get", "device_get_for_write", "device_list", "device_overview",
    "device_reconnect_start", "ev_boost_cancel", "ev_boost_start", "ev_charge_deadline_set", "ev_charge_plan",
    "ev_charge_policy_get", "ev_charge_policy_set", "ev_get", "invalidate", "optimization_set",
    "parse_charge_policy", "policy_key", "policy_refresh", "read_entry", "recently_seen", "refresh_kind",
    "write_invalid",
    "A_DEVICE_ADDED", "A_DEVICE_REMOVE", "A_ONBOARDING_CANCEL", "A_ONBOARDING_START", "OnboardingNotFound",
    "OnboardingStarted", "OnboardingStatus", "device_remove", "onboarding_cancelled", "onboarding_start",
    "onboarding_status", "podero_language",
    "A_TIMED_RESUME", "PauseChoiceInvalid", "optimization_pause", "optimization_resume",
    "pause_end", "pause_of", "resume_due", "CardFacts", "EvPlan", "card_facts", "ev_plan", "session_refresh",
]
