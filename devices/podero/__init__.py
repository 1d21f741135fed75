"""PoderoClient: the only code that speaks HTTP to the Podero Partner API v2.0.

It knows requests, OAuth2 client credentials, timeouts, retries and the circuit breaker; it knows
nothing about users, templates or views. Callers get parsed JSON or a `PoderoError` subclass, never a
raw `requests` exception. Imports: requests, the stdlib, and Django's cache and settings only.

Reliability rules (see the fact sheet, ../shared/podero-api.md §6):
* every call has a connect and a read timeout, and one total deadline (connect + headers + the whole body,
  retries included) that a server trickling bytes cannot stretch; bodies over a size limit (decoded) are
  refused as bad responses, and every JSON body is cleaned (`devices.payload`: lone surrogates, depth);
* idempotent GETs are retried with backoff on connection errors and 502/503/504; writes never are;
* a 429 honours Retry-After: the calls of the homeowner it came from pause until it has passed (every
  call, when several homeowners are limited at once or the call was org-wide);
* a 401 renews the token once and repeats the call;
* after repeated failures a circuit breaker stops calling for a short cool-down.
State that must be shared between processes (the token, the breaker, the counters) lives in the
Django cache, which is Redis in production.

The package, one concern per module, imported one way (constants, errors <- metrics, transport <-
breaker, tokens <- history, onboarding <- client): `constants` (tunables), `errors` (the exception hierarchy),
`metrics` (call counters), `transport` (the total deadline, size cap and body helpers), `breaker`,
`tokens`, `history` (time series, savings, statistics, sessions), `onboarding` (device onboarding and
soft-delete) and `client` (PoderoClient and its
one `_call`). Import from `devices.podero`; `get_client()` lives here so tests can replace it.
"""

from __future__ import annotations

import threading

from django.conf import settings

from .breaker import CircuitBreaker
from .client import PoderoClient
from .constants import (
    API_PREFIX,
    BACKOFF_BASE_S,
    BREAKER_COOLDOWN_S,
    BREAKER_THRESHOLD,
    GET_RETRIES,
    KINDS,
    MAX_BODY_BYTES,
    MAX_INLINE_RETRY_AFTER_S,
    ORG_WIDE_SCOPES,
    ORG_WIDE_WINDOW_S,
    RETRY_STATUSES,
    TOKEN_PATH,
    TOKEN_REFUSED_PAUSE_S,
    TOKEN_RENEW_MARGIN_S,
    TOTAL_TIMEOUT_S,
)
from .errors import (
    PoderoAPIError,
    PoderoAuthError,
    PoderoBadResponse,
    PoderoBudgetExhausted,
    PoderoCircuitOpen,
    PoderoConfigError,
    PoderoConflict,
    PoderoError,
    PoderoNotFound,
    PoderoOutcomeUnknown,
    PoderoRateLimited,
    PoderoServerError,
    PoderoTimeout,
    PoderoUnavailable,
    PoderoValidationError,
    PoderoWriteTimeout,
)
from .metrics import CallRecord, local_stats, metrics_last_hour
from .tokens import TokenProvider

__all__ = [
    "API_PREFIX", "BACKOFF_BASE_S", "BREAKER_COOLDOWN_S", "BREAKER_THRESHOLD", "GET_RETRIES", "KINDS",
    "MAX_BODY_BYTES", "MAX_INLINE_RETRY_AFTER_S", "ORG_WIDE_SCOPES", "ORG_WIDE_WINDOW_S", "RETRY_STATUSES",
    "TOKEN_PATH", "TOKEN_REFUSED_PAUSE_S", "TOKEN_RENEW_MARGIN_S", "TOTAL_TIMEOUT_S",
    "CallRecord", "CircuitBreaker", "PoderoAPIError", "PoderoAuthError", "PoderoBadResponse",
    "PoderoBudgetExhausted", "PoderoCircuitOpen", "PoderoClient", "PoderoConfigError", "PoderoConflict",
    "PoderoError", "PoderoNotFound", "PoderoOutcomeUnknown", "PoderoRateLimited", "PoderoServerError",
    "PoderoTimeout", "PoderoUnavailable", "PoderoValidationError", "PoderoWriteTimeout", "TokenProvider",
    "get_client", "local_stats", "metrics_last_hour", "reset_client",
]

_client: PoderoClient | None = None
_client_lock = threading.Lock()


def get_client() -> PoderoClient:
    """The process-wide client (one requests.Session per process). Tests may call `reset_client()`."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = PoderoClient(
                    base_url=settings.PODERO_BASE_URL,
                    org_id=settings.PODERO_ORG_ID,
                    client_id=settings.PODERO_CLIENT_ID,
                    client_secret=settings.PODERO_CLIENT_SECRET,
                    timeout=(settings.PODERO_CONNECT_TIMEOUT, settings.PODERO_READ_TIMEOUT),
                    total_timeout=getattr(settings, "PODERO_TOTAL_TIMEOUT", TOTAL_TIMEOUT_S),
                    max_body_bytes=getattr(settings, "PODERO_MAX_RESPONSE_BYTES", MAX_BODY_BYTES),
                )
    return _client


def reset_client() -> None:
    global _client
    with _client_lock:
        if _client is not None:
            _client.session.close()
        _client = None
