"""The circuit breaker, shared by every process through the cache."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import cache

from .constants import BREAKER_COOLDOWN_S, BREAKER_THRESHOLD, ORG_WIDE_SCOPES, ORG_WIDE_WINDOW_S
from .errors import PoderoCircuitOpen

log = logging.getLogger("devices.podero")

class CircuitBreaker:
    """Opens after BREAKER_THRESHOLD consecutive failures, or at once on a 429 for its Retry-After.

    While open, calls fail fast with PoderoCircuitOpen and the services serve last-known data.
    After the cool-down one probe goes through; success closes the circuit.
    """

    OPEN_KEY = "podero:breaker:v1:open_until"
    FAIL_KEY = "podero:breaker:v1:failures"
    PROBE_KEY = "podero:breaker:v1:probe"
    REASON_KEY = "podero:breaker:v1:reason"

    RL_KEY = "podero:breaker:v1:rl:{scope}"
    RL_RECENT_KEY = "podero:breaker:v1:rl-recent"

    def check(self, scope: str | None = None) -> None:
        keys = [self.OPEN_KEY, self.REASON_KEY] + ([self.RL_KEY.format(scope=scope)] if scope else [])
        found = cache.get_many(keys)  # one round trip on every call
        scoped_until = found.get(self.RL_KEY.format(scope=scope)) if scope else None
        if scoped_until and float(scoped_until) - time.time() > 0:
            raise PoderoCircuitOpen("Podero asked us to slow down for this homeowner",
                                    retry_in=float(scoped_until) - time.time(), rate_limited=True)
        open_until = found.get(self.OPEN_KEY)
        if not open_until:
            return
        rate_limited = found.get(self.REASON_KEY) == "rate_limited"
        remaining = float(open_until) - time.time()
        if remaining > 0:
            raise PoderoCircuitOpen("Podero calls paused after repeated failures", retry_in=remaining,
                                    rate_limited=rate_limited)
        # Cool-down over: let exactly one probe through, the others keep failing fast briefly.
        if not cache.add(self.PROBE_KEY, 1, 10):
            raise PoderoCircuitOpen("Podero is being probed after an outage", retry_in=1.0,
                                    rate_limited=rate_limited)

    def success(self) -> None:
        if any(cache.get_many([self.FAIL_KEY, self.OPEN_KEY]).values()):
            cache.delete_many([self.FAIL_KEY, self.OPEN_KEY, self.PROBE_KEY, self.REASON_KEY])

    def failure(self) -> None:
        if not cache.add(self.FAIL_KEY, 1, BREAKER_COOLDOWN_S * 4):
            try:
                failures = cache.incr(self.FAIL_KEY)
            except ValueError:
                failures = 1
                cache.set(self.FAIL_KEY, 1, BREAKER_COOLDOWN_S * 4)
        else:
            failures = 1
        if failures >= BREAKER_THRESHOLD or cache.get(self.OPEN_KEY):
            self.open_for(BREAKER_COOLDOWN_S)

    def rate_limited(self, scope: str | None, seconds: float) -> None:
        """A 429 pauses what caused it: that homeowner's calls (`scope`), for Retry-After. Only when
        ORG_WIDE_SCOPES different homeowners are limited within ORG_WIDE_WINDOW_S (or the 429 came
        from an org-wide call) is it Podero's limit for the whole organization: then every call pauses."""
        if scope is None:
            self.open_for(seconds, rate_limited=True)
            return
        now = time.time()
        cache.set(self.RL_KEY.format(scope=scope), now + seconds, int(seconds) + 1)
        recent = cache.get(self.RL_RECENT_KEY)
        recent = {s: t for s, t in (recent if isinstance(recent, dict) else {}).items()
                  if now - t < ORG_WIDE_WINDOW_S}
        recent[scope] = now
        cache.set(self.RL_RECENT_KEY, recent, ORG_WIDE_WINDOW_S)
        if len(recent) >= ORG_WIDE_SCOPES:
            log.warning("podero_rate_limit_org_wide", extra={"scopes": len(recent), "retry_in_s": seconds})
            self.open_for(seconds, rate_limited=True)

    def open_for(self, seconds: float, *, rate_limited: bool = False) -> None:
        ttl = int(seconds) + 60
        cache.set_many({self.OPEN_KEY: time.time() + seconds,
                        self.REASON_KEY: "rate_limited" if rate_limited else "failures"}, ttl)
        cache.delete(self.PROBE_KEY)

    def state(self) -> dict[str, Any]:
        open_until = cache.get(self.OPEN_KEY)
        remaining = (float(open_until) - time.time()) if open_until else 0.0
        return {
            "state": "open" if remaining > 0 else ("half-open" if open_until else "closed"),
            "retry_in_s": max(0.0, remaining),
            "consecutive_failures": cache.get(self.FAIL_KEY) or 0,
        }

