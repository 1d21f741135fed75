"""HTTP plumbing under the client: one total deadline per call, a decoded-size cap, Retry-After, bodies."""

from __future__ import annotations

import logging
import socket
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .. import payload
from .constants import CHUNK_BYTES

log = logging.getLogger("devices.podero")

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




def _body(resp: requests.Response) -> Any:
    try:
        return payload.loads(resp.content or b"")
    except payload.PayloadError:
        return None



def _maybe_sent(exc: requests.RequestException) -> bool:
    """Whether a failed write may have reached Podero. A refused or timed-out connect never sent it."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc)
        return not any(sign in text for sign in ("NewConnectionError", "Connection refused", "NameResolution",
                                                 "Failed to establish"))
    return isinstance(exc, requests.Timeout | requests.exceptions.ChunkedEncodingError)

