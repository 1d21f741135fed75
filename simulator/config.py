"""Runtime knobs of the simulator that are not faults: token lifetime, boost delay, state grid phase.

Defaults come from optional settings (`SIMULATOR_TOKEN_TTL_S`, `SIMULATOR_BOOST_DELAY_S`,
`SIMULATOR_STATE_OFFSET_S`, `SIMULATOR_STATE_SPREAD_S`); tests and
`runsimulator --token-ttl/--boost-delay/--state-offset-s/--state-spread-s` override them in-process
with `configure()`.

The state offset moves the phase of the 5-minute grid on which device state is refreshed: with 120,
states change at :02, :07, :12 ... instead of :00, :05, :10. The clock itself stays real time (real
devices sync at any phase); a load test uses it to have a state change when it wants one.

The state spread gives each device a phase of its own on top of the offset, stable and derived from
its id, between 0 and the spread: real devices sync at different times, so with a spread of 300 their
state changes are spread over the whole grid instead of all falling due at one instant. The default,
0, keeps every device on the same instant (reproducible timestamps for tests).
"""

from __future__ import annotations

import hashlib
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


def state_spread_s() -> int:
    """Each device's own phase lies in 0..spread-1 seconds past the grid's (0: no own phase)."""
    spread = int(_overrides.get("state_spread_s", getattr(settings, "SIMULATOR_STATE_SPREAD_S", 0)))
    return max(0, min(spread, GRID_S))


def device_phase_s(device_id: object) -> int:
    """A device's own sync phase (seconds past the grid's phase), the same for the same id every time."""
    spread = state_spread_s()
    if spread <= 1:
        return 0
    digest = hashlib.blake2b(str(device_id).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % spread


def configure(*, token_ttl_s: float | None = None, boost_delay_s: float | None = None,
              state_offset_s: float | None = None, state_spread_s: float | None = None) -> None:
    """Override knobs for this process; `None` leaves a knob as it is."""
    with _lock:
        if token_ttl_s is not None:
            _overrides["token_ttl_s"] = float(token_ttl_s)
        if boost_delay_s is not None:
            _overrides["boost_delay_s"] = float(boost_delay_s)
        if state_offset_s is not None:
            _overrides["state_offset_s"] = float(int(state_offset_s) % GRID_S)
        if state_spread_s is not None:
            spread = int(state_spread_s)
            if not 0 <= spread <= GRID_S:
                raise ValueError(f"state_spread_s must be between 0 and {GRID_S}")
            _overrides["state_spread_s"] = float(spread)


def reset() -> None:
    with _lock:
        _overrides.clear()


def snapshot() -> dict[str, Any]:
    return {"token_ttl_s": token_ttl_s(), "boost_delay_s": boost_delay_s(), "state_offset_s": state_offset_s(),
            "state_spread_s": state_spread_s()}
