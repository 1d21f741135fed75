"""The client's exception hierarchy: callers never see a raw `requests` exception."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("devices.podero")

class PoderoError(Exception):
    """Root of everything the client raises. Messages never carry a token or a secret."""


class PoderoConfigError(PoderoError):
    """Credentials or base URL missing."""


class PoderoUnavailable(PoderoError):
    """Podero could not be reached or answered with a server error: show last-known data."""


class PoderoTimeout(PoderoUnavailable):
    pass


class PoderoOutcomeUnknown(PoderoUnavailable):
    """A write was sent but no answer came back (timed out, connection dropped, gateway timeout): Podero
    may or may not have applied it. Never retried; the services re-read and tell the homeowner."""


class PoderoWriteTimeout(PoderoTimeout, PoderoOutcomeUnknown):
    pass


class PoderoCircuitOpen(PoderoUnavailable):
    """We stopped calling for a short cool-down after repeated failures or a 429."""

    def __init__(self, message: str, *, retry_in: float, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.retry_in = retry_in
        self.rate_limited = rate_limited  # opened by a 429 (Podero busy), not by failures (Podero down)


class PoderoBudgetExhausted(PoderoCircuitOpen):
    """Our own upstream budget (PODERO_MAX_RPS across all processes) had no slot in time: no call was made."""

    def __init__(self, message: str = "upstream budget exhausted") -> None:
        super().__init__(message, retry_in=1.0, rate_limited=True)


class PoderoBadResponse(PoderoError):
    """A 2xx whose body is not the JSON we expect (truncated, not JSON, wrong shape)."""


class PoderoAPIError(PoderoError):
    """An HTTP answer with status >= 400."""

    def __init__(self, *, status: int, method: str, path: str, body: Any) -> None:
        super().__init__(f"{method} {path} returned HTTP {status}")
        self.status, self.method, self.path, self.body = status, method, path, body

    @property
    def detail(self) -> Any:
        return self.body.get("detail") if isinstance(self.body, dict) else None


class PoderoAuthError(PoderoAPIError):
    """401/403 that a fresh token did not cure: our credentials are wrong or revoked."""


class PoderoNotFound(PoderoAPIError):
    pass


class PoderoConflict(PoderoAPIError):
    """409, e.g. a boost refused: the body is {state, reason}."""

    @property
    def reason(self) -> str | None:
        return self.body.get("reason") if isinstance(self.body, dict) else None

    @property
    def state(self) -> str | None:
        return self.body.get("state") if isinstance(self.body, dict) else None


class PoderoValidationError(PoderoAPIError):
    """400/422: Podero refused the values we sent."""

    @property
    def field_errors(self) -> dict[str, str]:
        """Ninja-style `{"detail": [{"loc": [..., field], "msg": ...}]}` turned into {field: message}."""
        out: dict[str, str] = {}
        detail = self.detail
        if isinstance(detail, list):
            for item in detail:
                if isinstance(item, dict):
                    loc = item.get("loc") or []
                    field = str(loc[-1]) if isinstance(loc, list) and loc else "__all__"
                    out[field] = str(item.get("msg") or "invalid")
        return out


class PoderoRateLimited(PoderoAPIError):
    def __init__(self, *, retry_after: float, **kw: Any) -> None:
        super().__init__(**kw)
        self.retry_after = retry_after


class PoderoServerError(PoderoAPIError, PoderoUnavailable):
    pass


_BY_STATUS: dict[int, type[PoderoAPIError]] = {
    400: PoderoValidationError,
    401: PoderoAuthError,
    403: PoderoAuthError,
    404: PoderoNotFound,
    409: PoderoConflict,
    422: PoderoValidationError,
}


def _error_for(*, status: int, method: str, path: str, body: Any) -> PoderoAPIError:
    fallback = PoderoServerError if status >= 500 else PoderoAPIError
    return _BY_STATUS.get(status, fallback)(status=status, method=method, path=path, body=body)

