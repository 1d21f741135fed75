"""PoderoClient: the one place that sends HTTP to Podero (see the package docstring for the rules)."""

from __future__ import annotations

import logging
import random
import re
import time
import uuid
from typing import Any

import requests

from .. import budget, payload
from .breaker import CircuitBreaker
from .constants import (
    API_PREFIX,
    BACKOFF_BASE_S,
    GET_RETRIES,
    KINDS,
    MAX_BODY_BYTES,
    MAX_INLINE_RETRY_AFTER_S,
    RETRY_STATUSES,
    TOTAL_TIMEOUT_S,
)
from .errors import (
    PoderoBadResponse,
    PoderoBudgetExhausted,
    PoderoConfigError,
    PoderoOutcomeUnknown,
    PoderoRateLimited,
    PoderoTimeout,
    PoderoUnavailable,
    PoderoWriteTimeout,
    _error_for,
)
from .history import HistoryEndpoints
from .metrics import CallRecord, _record_metrics
from .onboarding import OnboardingEndpoints
from .tokens import TokenProvider
from .transport import (
    _body,
    _BodyTooLarge,
    _Deadline,
    _DeadlineAdapter,
    _maybe_sent,
    _read_body,
    _retry_after_seconds,
)

log = logging.getLogger("devices.podero")

class PoderoClient(HistoryEndpoints, OnboardingEndpoints):
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

    def resolve_action(self, *, url: str, success_url: str, cancel_url: str, language: str | None = None) -> str:
        """Start a pending action (fact sheet §5): POST its resolution link, get where to send the homeowner.

        The link carries a signed secret and needs our Bearer token, so it is called here, server-side,
        and only when it points at the Podero API we are configured for (the token never goes elsewhere).
        `language` (an IETF tag such as "de") localises the reauthentication UI (addendum §(c)).
        """
        if not url.startswith(self.base_url + "/"):
            raise PoderoBadResponse("resolution link is not on the configured Podero host")
        body = {"successUrl": success_url, "cancelUrl": cancel_url}
        if language:
            body["language"] = language
        data = self._call("POST", url[len(self.base_url):], json=body)
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


def _user_facing_url(data: Any, field: str) -> str:
    url = data.get(field) if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        raise PoderoBadResponse(f"answer has no usable {field}")
    return url



_USER_IN_PATH = re.compile(r"/users/([0-9a-fA-F-]{36})")


def _scope_of(path: str) -> str | None:
    """What a 429 on `path` pauses: that homeowner's calls; None (everything) for org-wide calls."""
    match = _USER_IN_PATH.search(path)
    return f"user:{match.group(1).lower()}" if match else None

