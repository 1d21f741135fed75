"""Runtime knobs of the simulator that are not faults: token lifetime and boost delay.

Defaults come from optional settings (`SIMULATOR_TOKEN_TTL_S`, `SIMULATOR_BOOST_DELAY_S`); tests and
`runsimulator --token-ttl/--boost-delay` override them in-process with `configure()`.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings

DEFAULT_TOKEN_TTL_S = 36000  # Podero's documented "typical" lifetime: 10 hours
DEFAULT_BOOST_DELAY_S = 5.0  # fact sheet §8 #15: `requested` for ~5 s before `ongoing`

_lock = threading.Lock()
_overrides: dict[str, float] = {}


def token_ttl_s() -> int:
    return int(_overrides.get("token_ttl_s", getattr(settings, "SIMULATOR_TOKEN_TTL_S", DEFAULT_TOKEN_TTL_S)))


def boost_delay_s() -> float:
    return float(
        _overrides.get("boost_delay_s", getattr(settings, "SIMULATOR_BOOST_DELAY_S", DEFAULT_BOOST_DELAY_S))
    )


def configure(*, token_ttl_s: float | None = None, boost_delay_s: float | None = None) -> None:
    """Override knobs for this process; `None` leaves a knob as it is."""
    with _lock:
        if token_ttl_s is not None:
            _overrides["token_ttl_s"] = float(token_ttl_s)
        if boost_delay_s is not None:
            _overrides["boost_delay_s"] = float(boost_delay_s)


def reset() -> None:
    with _lock:
        _overrides.clear()


def snapshot() -> dict[str, Any]:
    return {"token_ttl_s": token_ttl_s(), "boost_delay_s": boost_delay_s()}
