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
"""

from __future__ import annotations

import logging
import random
import re
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import budget, payload

log = logging.getLogger("devices.podero")

API_PREFIX = "/api/partners/v2.0"
TOKEN_PATH = "/oauth2/token/"
KINDS = ("heat-pumps", "electric-vehicles", "inverters")

GET_RETRIES = 2  # two more tries after the first: ~0.25 s + ~0.5 s of backoff, well inside a page load
BACKOFF_BASE_S = 0.25
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_INLINE_RETRY_AFTER_S = 2.0  # a GET waits out a short Retry-After; a longer one opens the breaker
TOKEN_REFUSED_PAUSE_S = 60  # after the token endpoint refused our credentials, don't ask again for this long
TOKEN_RENEW_MARGIN_S = 300  # renew five minutes before expiry, so no call carries a dying token
BREAKER_THRESHOLD = 5  # consecutive failures that open the circuit
BREAKER_COOLDOWN_S = 30  # how long an open circuit refuses calls before one probe is let through
ORG_WIDE_SCOPES = 3  # homeowners rate-limited within the window before a 429 counts as org-wide
ORG_WIDE_WINDOW_S = 60
TOTAL_TIMEOUT_S = 10.0  # default of PODERO_TOTAL_TIMEOUT: the most one call (with its retries) may take
MAX_BODY_BYTES = 5 * 1024 * 1024  # default of PODERO_MAX_RESPONSE_BYTES, counted after decompression
CHUNK_BYTES = 64 * 1024
METRICS_BUCKET_S = 60
METRICS_KEEP_S = 2 * 60 * 60


# --- Errors -----------------------------------------------------------------------------------
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


# --- Counters (read by tests, the benchmark and the admin health page) -------------------------
@dataclass(frozen=True, slots=True)
class CallRecord:
    method: str
    path: str
    status: int  # 0 = no HTTP answer
    duration_ms: float


class _LocalStats:
    """In-process counters; `calls` counts HTTP requests sent, retries included."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.history: list[CallRecord] = []

    def record(self, rec: CallRecord) -> None:
        with self._lock:
            self.calls[rec.method] += 1
            self.calls["total"] += 1
            self.history.append(rec)
            del self.history[:-1000]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.history.clear()


local_stats = _LocalStats()


def _bucket(ts: float) -> int:
    return int(ts // METRICS_BUCKET_S)


def _record_metrics(rec: CallRecord) -> None:
    """Per-minute shared counters in the cache: calls, errors, total latency."""
    local_stats.record(rec)
    b = _bucket(time.time())
    failed = rec.status == 0 or rec.status >= 500 or rec.status == 429
    for name, amount in (("calls", 1), ("errors", 1 if failed else 0), ("ms", int(rec.duration_ms))):
        if not amount:
            continue
        key = f"podero:metrics:v1:{b}:{name}"
        try:
            if not cache.add(key, amount, METRICS_KEEP_S):
                cache.incr(key, amount)
        except ValueError:  # expired between add and incr
            cache.set(key, amount, METRICS_KEEP_S)


def metrics_last_hour() -> dict[str, float]:
    """Calls, error rate and mean latency over the last 60 minutes, from the shared counters."""
    now_b = _bucket(time.time())
    keys = [f"podero:metrics:v1:{b}:{n}" for b in range(now_b - 59, now_b + 1) for n in ("calls", "errors", "ms")]
    values = cache.get_many(keys)
    total = {n: sum(v for k, v in values.items() if k.endswith(":" + n)) for n in ("calls", "errors", "ms")}
    calls = total["calls"]
    return {
        "calls": calls,
        "errors": total["errors"],
        "error_rate": (total["errors"] / calls) if calls else 0.0,
        "mean_latency_ms": (total["ms"] / calls) if calls else 0.0,
    }


# --- Circuit breaker (shared through the cache) ------------------------------------------------
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


# --- Token (one for all processes, renewed before expiry, one renewal at a time) ---------------
class TokenProvider:
    def __init__(self, *, base_url: str, client_id: str, client_secret: str, session: requests.Session,
                 timeout: tuple[float, float]) -> None:
        if not client_id or not client_secret:
            raise PoderoConfigError("PODERO_CLIENT_ID and PODERO_CLIENT_SECRET must be set")
        self._url = base_url + TOKEN_PATH
        self._auth = (client_id, client_secret)
        self._session, self._timeout = session, timeout
        tag = uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url}|{client_id}").hex[:12]  # not the secret
        self.cache_key = f"podero:token:v1:{tag}"
        self._lock_key = self.cache_key + ":renewing"
        self._refused_key = self.cache_key + ":refused"
        self._local: tuple[str, float] | None = None
        self._local_lock = threading.Lock()

    @staticmethod
    def _renew_at(entry: dict[str, Any]) -> float:
        return entry.get("renew_at") or entry["expires_at"] - TOKEN_RENEW_MARGIN_S

    def _good(self, entry: Any, *, other_than: str | None = None) -> bool:
        return (isinstance(entry, dict) and entry.get("token") != other_than
                and self._renew_at(entry) > time.time())

    def get(self) -> str:
        local = self._local
        if local and local[1] > time.time():
            return local[0]
        refused = cache.get(self._refused_key)
        if refused:
            # Our credentials were refused moments ago: fail fast instead of a token request per call.
            raise PoderoAuthError(status=int(refused), method="POST", path=TOKEN_PATH, body=None)
        shared = cache.get(self.cache_key)
        if self._good(shared):
            self._local = (shared["token"], self._renew_at(shared))
            return shared["token"]
        return self._renew(stale=shared["token"] if isinstance(shared, dict) else None)

    def invalidate(self, token: str) -> None:
        """Forget `token` (after a 401), but not a newer one another process already fetched."""
        with self._local_lock:
            if self._local and self._local[0] == token:
                self._local = None
        shared = cache.get(self.cache_key)
        if isinstance(shared, dict) and shared.get("token") == token:
            cache.delete(self.cache_key)

    def expires_at(self) -> float | None:
        shared = cache.get(self.cache_key)
        return shared["expires_at"] if isinstance(shared, dict) else None

    def _renew(self, *, stale: str | None) -> str:
        deadline = time.time() + sum(self._timeout) + 1
        owner = uuid.uuid4().hex
        locked = False
        while not (locked := cache.add(self._lock_key, owner, int(sum(self._timeout)) + 2)):
            # Someone else is renewing: wait for their token rather than asking Podero twice.
            time.sleep(0.05)
            shared = cache.get(self.cache_key)
            if self._good(shared, other_than=stale):
                self._local = (shared["token"], self._renew_at(shared))
                return shared["token"]
            if time.time() > deadline:
                break
        try:
            # Double-check under the lock: the previous holder may have stored a token between our
            # last look and our `add` (without this, a waiter could fetch a second token).
            shared = cache.get(self.cache_key)
            if self._good(shared, other_than=stale):
                self._local = (shared["token"], self._renew_at(shared))
                return shared["token"]
            return self._fetch()
        finally:
            if locked and cache.get(self._lock_key) == owner:
                cache.delete(self._lock_key)

    def _fetch(self) -> str:
        started = time.perf_counter()
        status = 0
        try:
            with _Deadline(sum(self._timeout)) as watch:  # a trickling token answer cannot hold a page
                try:
                    resp = self._session.post(
                        self._url,
                        auth=self._auth,
                        json={"grant_type": "client_credentials"},
                        headers={"Cache-Control": "no-cache"},
                        timeout=self._timeout,
                    )
                    status = resp.status_code
                except requests.RequestException:
                    if watch.fired:
                        raise requests.Timeout("token deadline passed") from None
                    raise
        except requests.Timeout as exc:
            raise PoderoTimeout("token request timed out") from exc
        except requests.RequestException as exc:
            raise PoderoUnavailable(f"token request failed: {type(exc).__name__}") from exc
        finally:
            rec = CallRecord("POST", TOKEN_PATH, status, (time.perf_counter() - started) * 1000)
            _record_metrics(rec)
            level = logging.WARNING if status == 0 or status >= 500 else logging.INFO
            log.log(level, "podero_call", extra={"method": "POST", "path": TOKEN_PATH, "status": status,
                                                 "duration_ms": round(rec.duration_ms, 1)})
        if status in (400, 401, 403):
            # Revoked or wrong credentials: every process stops asking for TOKEN_REFUSED_PAUSE_S (the
            # token endpoint's own breaker); the admin's health page shows why.
            cache.set(self._refused_key, status, TOKEN_REFUSED_PAUSE_S)
            log.warning("podero_credentials_refused", extra={"status": status, "pause_s": TOKEN_REFUSED_PAUSE_S})
            raise PoderoAuthError(status=status, method="POST", path=TOKEN_PATH, body=None)
        if status >= 400:
            raise _error_for(status=status, method="POST", path=TOKEN_PATH, body=None)
        try:
            data = resp.json()
            token = str(data["access_token"])
            expires_in = float(data.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as exc:
            raise PoderoBadResponse("token response did not parse") from exc
        now = time.time()
        expires_at = now + expires_in
        # Renew TOKEN_RENEW_MARGIN_S before expiry, or halfway through a lifetime shorter than twice that
        # (a 60 s token must not be "due for renewal" from the moment it is issued).
        renew_at = expires_at - min(TOKEN_RENEW_MARGIN_S, expires_in / 2)
        cache.set(self.cache_key, {"token": token, "expires_at": expires_at, "renew_at": renew_at},
                  max(1, int(expires_in)))
        self._local = (token, renew_at)
        return token


# --- One total deadline per call ----------------------------------------------------------------
# requests' timeouts bound each socket operation, not the call: a server sending one byte a second keeps
# every recv short and the call alive for ever. A watchdog timer shuts the call's socket down at the
# deadline, which wakes the blocked read wherever it is (connect, headers or body).
_watched = threading.local()


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._conn: Any = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        _watched.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._timer.cancel()
        _watched.deadline = None

    def attach(self, conn: Any) -> None:
        with self._lock:
            self._conn = conn
            fired = self.fired
        if fired:
            self._shut(conn)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            conn = self._conn
        if conn is not None:
            self._shut(conn)

    @staticmethod
    def _shut(conn: Any) -> None:
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _WatchedConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = getattr(_watched, "deadline", None)
        if deadline is not None:
            deadline.attach(self)
        return super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = getattr(_watched, "deadline", None)
        if deadline is not None:
            deadline.attach(self)
        return super().request(*args, **kwargs)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}


class _BodyTooLarge(Exception):
    pass


def _read_body(resp: requests.Response, limit: int) -> bytes:
    """The decoded body, at most `limit` bytes (a small gzip can expand to gigabytes)."""
    declared = resp.headers.get("Content-Length")
    if declared and declared.isdigit() and "Content-Encoding" not in resp.headers and int(declared) > limit:
        raise _BodyTooLarge
    parts: list[bytes] = []
    total = 0
    for chunk in resp.iter_content(CHUNK_BYTES):
        total += len(chunk)
        if total > limit:
            raise _BodyTooLarge
        parts.append(chunk)
    return b"".join(parts)


# --- The client -------------------------------------------------------------------------------
def _retry_after_seconds(value: str | None) -> float:
    if not value:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return 1.0


class PoderoClient:
    """One per process (see `get_client`). Paths are built only from ids given by the caller."""

    def __init__(self, *, base_url: str, org_id: str, client_id: str, client_secret: str,
                 timeout: tuple[float, float] = (3.05, 8.0), session: requests.Session | None = None,
                 total_timeout: float = TOTAL_TIMEOUT_S, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        if not base_url:
            raise PoderoConfigError("PODERO_BASE_URL must be set")
        self.base_url = base_url.rstrip("/")
        self.org_id = str(org_id)
        self.timeout = timeout
        self.total_timeout = float(total_timeout)
        self.max_body_bytes = int(max_body_bytes)
        self.session = session or requests.Session()
        adapter = _DeadlineAdapter(pool_connections=4, pool_maxsize=32)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "podero-home-dashboard/0.1"})
        self.tokens = TokenProvider(base_url=self.base_url, client_id=client_id, client_secret=client_secret,
                                    session=self.session, timeout=timeout)
        self.breaker = CircuitBreaker()

    # -- paths
    def _user_path(self, user_id: str, org_id: str | None) -> str:
        org = uuid.UUID(str(org_id or self.org_id))
        return f"{API_PREFIX}/org/{org}/users/{uuid.UUID(str(user_id))}"

    def _device_path(self, user_id: str, kind: str, device_id: str, org_id: str | None) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown device kind {kind!r}")
        return f"{self._user_path(user_id, org_id)}/{kind}/{uuid.UUID(str(device_id))}"

    # -- reads
    def list_devices(self, *, org_id: str | None = None, user_id: str, kind: str) -> list[dict[str, Any]]:
        if kind not in KINDS:
            raise ValueError(f"unknown device kind {kind!r}")
        data = self._call("GET", f"{self._user_path(user_id, org_id)}/{kind}")
        if not isinstance(data, list):
            raise PoderoBadResponse(f"{kind} list is not a JSON array")
        return [row for row in data if isinstance(row, dict)]

    def get_device(self, *, org_id: str | None = None, user_id: str, kind: str, device_id: str) -> dict[str, Any]:
        data = self._call("GET", self._device_path(user_id, kind, device_id, org_id))
        if not isinstance(data, dict):
            raise PoderoBadResponse(f"{kind} detail is not a JSON object")
        return data

    def get_charge_policy(self, *, org_id: str | None = None, user_id: str, device_id: str) -> dict[str, Any]:
        data = self._call("GET", self._device_path(user_id, "electric-vehicles", device_id, org_id) + "/charge-policy")
        if not isinstance(data, dict):
            raise PoderoBadResponse("charge policy is not a JSON object")
        return data

    def list_users(self) -> list[dict[str, Any]]:
        data = self._call("GET", f"{API_PREFIX}/org/{self.org_id}/users")
        if not isinstance(data, list):
            raise PoderoBadResponse("user list is not a JSON array")
        return data

    def get_user(self, *, org_id: str | None = None, user_id: str) -> dict[str, Any]:
        data = self._call("GET", self._user_path(user_id, org_id))
        if not isinstance(data, dict):
            raise PoderoBadResponse("user is not a JSON object")
        return data

    # -- writes (never retried: a repeated POST could boost twice)
    def update_device(self, *, org_id: str | None = None, user_id: str, kind: str, device_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        data = self._call("PUT", self._device_path(user_id, kind, device_id, org_id), json=fields)
        return data if isinstance(data, dict) else {}

    def start_boost(self, *, org_id: str | None = None, user_id: str, device_id: str) -> None:
        self._call("POST", self._device_path(user_id, "electric-vehicles", device_id, org_id) + "/boost")

    def cancel_boost(self, *, org_id: str | None = None, user_id: str, device_id: str) -> None:
        self._call("DELETE", self._device_path(user_id, "electric-vehicles", device_id, org_id) + "/boost")

    def put_charge_policy(self, *, org_id: str | None = None, user_id: str, device_id: str, policy: dict[str, Any]) -> dict[str, Any]:
        path = self._device_path(user_id, "electric-vehicles", device_id, org_id) + "/charge-policy"
        data = self._call("PUT", path, json=policy)
        return data if isinstance(data, dict) else {}

    def resolve_action(self, *, url: str, success_url: str, cancel_url: str) -> str:
        """Start a pending action (fact sheet §5): POST its resolution link, get where to send the homeowner.

        The link carries a signed secret and needs our Bearer token, so it is called here, server-side,
        and only when it points at the Podero API we are configured for (the token never goes elsewhere).
        """
        if not url.startswith(self.base_url + "/"):
            raise PoderoBadResponse("resolution link is not on the configured Podero host")
        data = self._call("POST", url[len(self.base_url):], json={"successUrl": success_url, "cancelUrl": cancel_url})
        return _user_facing_url(data, "redirect_url")

    def start_auth_session(self, *, org_id: str | None = None, user_id: str, kind: str, device_id: str,
                           success_url: str, cancel_url: str) -> str:
        """The older reconnect path: POST …/{device}/auth_session → the manufacturer's authentication URL."""
        path = self._device_path(user_id, kind, device_id, org_id) + "/auth_session"
        data = self._call("POST", path, json={"success_url": success_url, "cancel_url": cancel_url})
        return _user_facing_url(data, "authentication_url")

    def create_user(self, *, email: str, first_name: str = "", last_name: str = "",
                    external_user_id: str | None = None) -> dict[str, Any]:
        body = {"role": "user", "email": email, "first_name": first_name, "last_name": last_name}
        if external_user_id:
            body["external_user_id"] = external_user_id
        data = self._call("POST", f"{API_PREFIX}/org/{self.org_id}/users", json=body)
        if not isinstance(data, dict) or "id" not in data:
            raise PoderoBadResponse("created user has no id")
        return data

    # -- the one place a request is sent
    def _call(self, method: str, path: str, *, json: Any = None) -> Any:
        shown = path.split("?", 1)[0]  # logs and errors never carry a query (cue links hold a secret)
        scope = _scope_of(shown)
        self.breaker.check(scope)
        idempotent = method == "GET"
        deadline_at = time.monotonic() + self.total_timeout
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            try:
                token = self.tokens.get()
            except PoderoUnavailable:
                self.breaker.failure()  # a token endpoint that is down is Podero down
                raise
            try:
                budget.acquire()  # one slot of PODERO_MAX_RPS, shared by every process
            except budget.BudgetExhausted:
                raise PoderoBudgetExhausted() from None
            started = time.perf_counter()
            status = 0
            remaining = deadline_at - time.monotonic()
            sent = False
            try:
                if remaining <= 0:
                    raise requests.Timeout("total deadline passed before the call")
                with _Deadline(remaining) as watch:
                    try:
                        resp = self.session.request(
                            method, self.base_url + path, json=json, stream=True,
                            timeout=(min(self.timeout[0], remaining), min(self.timeout[1], remaining)),
                            headers={"Authorization": f"Bearer {token}"},
                        )
                        sent = True
                        status = resp.status_code
                        try:
                            body = _read_body(resp, self.max_body_bytes)
                        finally:
                            resp.close()
                        if watch.fired:  # the shut-down socket may read as a short, "complete" body
                            raise requests.Timeout("total deadline passed")
                    except requests.RequestException:
                        if watch.fired:
                            raise requests.Timeout("total deadline passed") from None
                        raise
            except _BodyTooLarge:
                self._log(method, shown, status, started, attempt, error="BodyTooLarge")
                self.breaker.success()  # Podero answered; the answer is unusable
                raise PoderoBadResponse(f"{method} {shown} answered more than {self.max_body_bytes} bytes") from None
            except requests.RequestException as exc:
                self._log(method, shown, status, started, attempt, error=type(exc).__name__)
                if idempotent and attempt <= GET_RETRIES and deadline_at - time.monotonic() > 0.5:
                    self._sleep_backoff(attempt)
                    continue
                self.breaker.failure()
                if not idempotent and (sent or _maybe_sent(exc)):
                    # The request may have reached Podero: its outcome is unknown, not failed.
                    if isinstance(exc, requests.Timeout):
                        raise PoderoWriteTimeout(f"{method} {shown} timed out") from exc
                    raise PoderoOutcomeUnknown(f"{method} {shown} got no answer: {type(exc).__name__}") from exc
                if isinstance(exc, requests.Timeout):
                    raise PoderoTimeout(f"{method} {shown} timed out") from exc
                raise PoderoUnavailable(f"{method} {shown} failed: {type(exc).__name__}") from exc
            resp._content = body  # what _body() and error bodies read
            self._log(method, shown, status, started, attempt)

            if status == 401 and not renewed:
                self.tokens.invalidate(token)
                renewed = True
                continue
            if status == 429:
                wait = _retry_after_seconds(resp.headers.get("Retry-After"))
                if (idempotent and attempt <= GET_RETRIES and wait <= MAX_INLINE_RETRY_AFTER_S
                        and deadline_at - time.monotonic() > wait):
                    time.sleep(wait)
                    continue
                self.breaker.rate_limited(scope, max(wait, 1.0))
                raise PoderoRateLimited(retry_after=wait, status=429, method=method, path=shown, body=_body(resp))
            if status in RETRY_STATUSES and idempotent and attempt <= GET_RETRIES and \
                    deadline_at - time.monotonic() > 0.5:
                self._sleep_backoff(attempt)
                continue
            if status == 504 and not idempotent:
                # A gateway gave up waiting for Podero: the write may well have been applied.
                self.breaker.failure()
                raise PoderoOutcomeUnknown(f"{method} {shown} returned HTTP 504")
            if status >= 500:
                self.breaker.failure()
                raise _error_for(status=status, method=method, path=shown, body=_body(resp))
            if status >= 400:
                self.breaker.success()  # Podero answered sensibly; the request was the problem
                raise _error_for(status=status, method=method, path=shown, body=_body(resp))
            self.breaker.success()
            if status == 204 or not body:
                return None
            try:
                return payload.loads(body)
            except payload.PayloadError as exc:
                raise PoderoBadResponse(f"{method} {shown} returned a body that is not usable JSON") from exc

    @staticmethod
    def _sleep_backoff(attempt: int) -> None:
        time.sleep(BACKOFF_BASE_S * (2 ** (attempt - 1)) * (0.5 + random.random()))  # noqa: S311 - jitter

    @staticmethod
    def _log(method: str, path: str, status: int, started: float, attempt: int, error: str | None = None) -> None:
        rec = CallRecord(method, path, status, (time.perf_counter() - started) * 1000)
        _record_metrics(rec)
        extra: dict[str, Any] = {"method": method, "path": path, "status": status,
                                 "duration_ms": round(rec.duration_ms, 1), "attempt": attempt}
        if error:
            extra["error"] = error
        log.log(logging.WARNING if status == 0 or status >= 500 else logging.INFO, "podero_call", extra=extra)


    # -- history: time series, savings, statistics and EV sessions (fact sheet §2.1–2.2, addendum §1a)
    # Plain GETs through `_call`, so they share its timeouts, GET retries, breaker and errors. The
    # query string is built here (`_call` keeps it out of logs and errors). `fill-missing` is not
    # sent: a heat pump or inverter without data answers 400, which `get_device_data` returns as an
    # empty series marked `no_data`; gaps are drawn from the missing points instead.
    def get_device_data(self, *, org_id: str | None = None, user_id: str, kind: str, device_id: str,
                        start: datetime | None = None, end: datetime | None = None,
                        resolution: str | None = None, keywords: tuple[str, ...] = ()) -> dict[str, Any]:
        query = {"from_datetime": _iso(start), "to_datetime": _iso(end), "resolution": resolution,
                 "keywords": ",".join(keywords) or None}
        path = self._device_path(user_id, kind, device_id, org_id) + "/data"
        try:
            data = self._call("GET", _with_query(path, query))
        except PoderoAPIError as exc:
            if exc.status == 400 and kind != "electric-vehicles":  # §2.1: "no data" (HP, and the inverter)
                return {"metadata": {"error": _detail_text(exc.detail)}, "data": [], "no_data": True}
            raise
        if not isinstance(data, dict):
            raise PoderoBadResponse(f"{kind} data is not a JSON object")
        return data

    def get_device_savings(self, *, org_id: str | None = None, user_id: str, kind: str, device_id: str,
                           start: datetime, end: datetime, resolution: str | None = None) -> dict[str, Any]:
        path = self._device_path(user_id, kind, device_id, org_id) + "/savings"
        query = {"from": _iso(start), "to": _iso(end), "resolution": resolution}
        data = self._call("GET", _with_query(path, query))
        if not isinstance(data, dict):
            raise PoderoBadResponse(f"{kind} savings is not a JSON object")
        return data

    def get_heat_pump_statistics(self, *, org_id: str | None = None, user_id: str, device_id: str,
                                 resolutions: tuple[str, ...] = (),
                                 keywords: tuple[str, ...] = ()) -> dict[str, Any]:
        path = self._device_path(user_id, "heat-pumps", device_id, org_id) + "/statistics"
        query = {"resolution": ",".join(resolutions) or None, "keywords": ",".join(keywords) or None}
        data = self._call("GET", _with_query(path, query))
        if not isinstance(data, dict):
            raise PoderoBadResponse("heat pump statistics is not a JSON object")
        return data

    def list_ev_sessions(self, *, org_id: str | None = None, user_id: str, device_id: str, first_day: date,
                         last_day: date, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Completed sessions plugged in on UTC days [first_day, last_day]: `{total, items}`."""
        path = self._device_path(user_id, "electric-vehicles", device_id, org_id) + "/sessions"
        query = {"from": first_day.isoformat(), "to": last_day.isoformat(), "limit": str(int(limit)),
                 "offset": str(int(offset))}
        data = self._call("GET", _with_query(path, query))
        if not isinstance(data, dict):
            raise PoderoBadResponse("session list is not a JSON object")
        return data

    def get_ev_current_session(self, *, org_id: str | None = None, user_id: str,
                               device_id: str) -> dict[str, Any]:
        """`{"session": SessionItem}`; a 404 (no active session, as an API may answer) is no session."""
        path = self._device_path(user_id, "electric-vehicles", device_id, org_id) + "/sessions/current"
        try:
            data = self._call("GET", path)
        except PoderoNotFound:
            return {"session": None}
        if not isinstance(data, dict):
            raise PoderoBadResponse("current session is not a JSON object")
        return data


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("history ranges need aware datetimes")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_query(path: str, query: dict[str, str | None]) -> str:
    present = {key: value for key, value in query.items() if value is not None}
    return f"{path}?{urlencode(present)}" if present else path


def _detail_text(detail: Any) -> str:
    return detail if isinstance(detail, str) else "No data"

def _user_facing_url(data: Any, field: str) -> str:
    url = data.get(field) if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        raise PoderoBadResponse(f"answer has no usable {field}")
    return url


def _body(resp: requests.Response) -> Any:
    try:
        return payload.loads(resp.content or b"")
    except payload.PayloadError:
        return None


_USER_IN_PATH = re.compile(r"/users/([0-9a-fA-F-]{36})")


def _scope_of(path: str) -> str | None:
    """What a 429 on `path` pauses: that homeowner's calls; None (everything) for org-wide calls."""
    match = _USER_IN_PATH.search(path)
    return f"user:{match.group(1).lower()}" if match else None


def _maybe_sent(exc: requests.RequestException) -> bool:
    """Whether a failed write may have reached Podero. A refused or timed-out connect never sent it."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc)
        return not any(sign in text for sign in ("NewConnectionError", "Connection refused", "NameResolution",
                                                 "Failed to establish"))
    return isinstance(exc, requests.Timeout | requests.exceptions.ChunkedEncodingError)


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
