"""The OAuth2 client-credentials token: one for all processes, renewed before expiry, one renewal at a time."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

import requests
from django.core.cache import cache

from .constants import TOKEN_PATH, TOKEN_REFUSED_PAUSE_S, TOKEN_RENEW_MARGIN_S
from .errors import (
    PoderoAuthError,
    PoderoBadResponse,
    PoderoConfigError,
    PoderoTimeout,
    PoderoUnavailable,
    _error_for,
)
from .metrics import CallRecord, _record_metrics
from .transport import _Deadline

log = logging.getLogger("devices.podero")

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

