"""Runtime knobs of the simulator that are not faults: token lifetime, boost delay, state grid phase.

Defaults come from optional settings (`SIMULATOR_TOKEN_TTL_S`, `SIMULATOR_BOOST_DELAY_S`,
`SIMULATOR_STATE_OFFSET_S`); tests and `runsimulator --token-ttl/--boost-delay/--state-offset-s`
override them in-process with `configure()`.

The state offset moves the phase of the 5-minute grid on which device state is refreshed: with 120,
states change at :02, :07, :12 ... instead of :00, :05, :10. The clock itself stays real time (real
devices sync at any phase); a load test uses it to have a state change when it wants one.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings

DEFAULT_TOKEN_TTL_S = 36000  # Podero's documented "typical" lifetime: 10 hours
DEFAULT_BOOST_DELAY_S = 5.0  # fact sheet §8 #15: `requested` for ~5 s before `ongoing`
GRID_S = 300  # the state grid: every 5 minutes

_lock = threading.Lock()
_overrides: dict[str, float] = {}


def token_ttl_s() -> int:
    return int(_overrides.get("token_ttl_s", getattr(settings, "SIMULATOR_TOKEN_TTL_S", DEFAULT_TOKEN_TTL_S)))


def boost_delay_s() -> float:
    return float(
        _overrides.get("boost_delay_s", getattr(settings, "SIMULATOR_BOOST_DELAY_S", DEFAULT_BOOST_DELAY_S))
    )


def state_offset_s() -> int:
    """Seconds past each 5-minute mark at which device states change (0..299)."""
    return int(_overrides.get("state_offset_s", getattr(settings, "SIMULATOR_STATE_OFFSET_S", 0))) % GRID_S


def configure(*, token_ttl_s: float | None = None, boost_delay_s: float | None = None,
              state_offset_s: float | None = None) -> None:
    """Override knobs for this process; `None` leaves a knob as it is."""
    with _lock:
        if token_ttl_s is not None:
            _overrides["token_ttl_s"] = float(token_ttl_s)
        if boost_delay_s is not None:
            _overrides["boost_delay_s"] = float(boost_delay_s)
        if state_offset_s is not None:
            _overrides["state_offset_s"] = float(int(state_offset_s) % GRID_S)


def reset() -> None:
    with _lock:
        _overrides.clear()


def snapshot() -> dict[str, Any]:
    return {"token_ttl_s": token_ttl_s(), "boost_delay_s": boost_delay_s(), "state_offset_s": state_offset_s()}
