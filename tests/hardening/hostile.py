"""A hostile fake Podero over real HTTP: it trickles, bombs and sends payloads that crash naive code."""

from __future__ import annotations

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests import payloads

_BOMB: list[bytes] = []


def _bomb() -> bytes:
    if not _BOMB:
        _BOMB.append(gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]", compresslevel=6))
    return _BOMB[0]


class Hostile:
    def __init__(self) -> None:
        self.mode = "ok"
        self.device = payloads.heat_pump()
        self.stop = threading.Event()
        self.bytes_sent = 0
        self.requests = 0  # GETs answered
        self.token_status = 200
        self.times: list[float] = []  # when each GET arrived
        self.token_requests = 0
        self.rate_limited_users: set[str] = set()  # GETs under these users' paths answer 429
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Hostile:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    def body_for(self, path: str) -> bytes:
        if path.rstrip("/").endswith("heat-pumps"):
            return json.dumps([self.device]).encode()
        if self.device["id"] in path:
            return json.dumps(self.device).encode()
        return b"[]"

    def _handler(self):
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802 - the token endpoint
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hostile.token_requests += 1
                if hostile.token_status != 200:
                    self._send(hostile.token_status, b'{"error": "invalid_client"}')
                    return
                self._send(200, json.dumps({"access_token": "hostile-token", "expires_in": 3600}).encode())

            def do_GET(self) -> None:  # noqa: N802
                hostile.requests += 1
                hostile.times.append(time.monotonic())
                if any(f"/users/{u}/" in self.path for u in hostile.rate_limited_users):
                    self._send(429, b'{"detail": "Too Many Requests"}', {"Retry-After": "30"})
                    return
                mode = hostile.mode
                body = hostile.body_for(self.path)
                if mode == "trickle":  # honest headers (100 kB), then one byte every 50 ms
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(10**5))
                    self.end_headers()
                    try:
                        while not hostile.stop.is_set():
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            hostile.bytes_sent += 1
                            time.sleep(0.05)
                    except OSError:
                        return
                    return
                if mode == "trickle-headers":  # the status line, then header bytes one at a time
                    try:
                        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                        while not hostile.stop.is_set():
                            self.wfile.write(b"X")
                            self.wfile.flush()
                            hostile.bytes_sent += 1
                            time.sleep(0.05)
                    except OSError:
                        return
                    return
                if mode == "bomb":  # 64 MB of spaces inside a 64 kB gzip
                    self._send(200, _bomb(), {"Content-Encoding": "gzip"})
                    return
                if mode == "deep":
                    self._send(200, b"[" * 200_000 + b"]" * 200_000)
                    return
                self._send(200, body)

        return Handler
