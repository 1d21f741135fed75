"""Simulated open dashboards for bench/scale.py: Locust in library mode, in a process of its own.

    python -m bench.scale_load --host http://127.0.0.1:8000 --sessions s.json --users 200 --ramp-s 40 \
        --close 50 --close-at-s 15 --duration-s 150 --out load.json

Each Locust user is one browser tab of one homeowner (a signed-in session from bench/seed.py). Like the
page does (templates/dashboard/home.html, static/js/dashboard.js), it loads `GET /` once, then every
30 s asks `GET /?v=<version>` with htmx's headers (HX-Request, HX-Current-URL, HX-Target, HX-Trigger):
204 means nothing changed (nothing swapped, the version stays), 200 brings the cards region with a
new `?v=`. The first `--close` users close their tab `--close-at-s` after the run starts. Each tab
notes, per device card, when the "Last sync" time it shows changes, so the caller can tell how long
after each new simulator state a dashboard showed it.

Locust (gevent) patches the standard library when imported, so it never runs inside the caller's
process: this module writes its records to `--out` and exits after `--duration-s`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, constant, events, task
from locust.env import Environment

POLL_S = 30.0
VERSION_RE = re.compile(r'id="device-cards"[^>]*hx-get="/\?v=([0-9a-f]+)"')
STAMP_RE = re.compile(r'Last sync <time datetime="([^"]+)"')
CARD_RE = re.compile(r'<article class="card[^"]*"\s+id="device-([0-9a-f-]+)"')

CONFIG: dict[str, Any] = {}
RECORDS: list[list[Any]] = []  # [wall time at the answer, name, status, body bytes, ms, tab]
SEEN: dict[int, list[list[Any]]] = {}  # tab -> [[wall time shown, device id, its "Last sync" epoch], ...]
CLOSED: dict[int, float] = {}  # tab -> wall time it closed
OPENED: dict[int, float] = {}
SLOTS = itertools.count()


def card_stamps(html: str) -> dict[str, float]:
    """{device id: the epoch of the "Last sync" its card shows} for every card in `html`."""
    cards = list(CARD_RE.finditer(html))
    out: dict[str, float] = {}
    for i, card in enumerate(cards):
        end = cards[i + 1].start() if i + 1 < len(cards) else len(html)
        stamp = STAMP_RE.search(html, card.end(), end)
        if stamp:
            out[card.group(1)] = datetime.fromisoformat(stamp.group(1)).timestamp()
    return out


class Dashboard(HttpUser):
    wait_time = constant(0)  # the task sleeps to its own 30 s schedule, like htmx's "every 30s"

    def on_start(self) -> None:
        self.tab = next(SLOTS)
        sessions = CONFIG["sessions"]
        self.session = sessions[self.tab]  # one tab per homeowner; the runner never starts more than --users
        self.client.cookies.set("sessionid", self.session["sessionid"], domain="127.0.0.1")
        self.version: str | None = None
        self.shown: dict[str, float] = {}  # device id -> the newest "Last sync" this tab has shown
        self.closes_at = CONFIG["started"] + CONFIG["close_at_s"] if self.tab < CONFIG["close"] else None
        self._get("open", "/", {})
        OPENED[self.tab] = time.time()
        self.next_at = time.monotonic() + POLL_S

    def _get(self, name: str, path: str, headers: dict[str, str]) -> None:
        started = time.perf_counter()
        with self.client.get(path, headers=headers, name=name, allow_redirects=False, catch_response=True) as r:
            ms = (time.perf_counter() - started) * 1000
            RECORDS.append([time.time(), name, r.status_code, len(r.content or b""), round(ms, 2), self.tab])
            if r.status_code == 204:
                r.success()
                return
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
                return
            html = r.text
            found = VERSION_RE.search(html)
            if found:
                self.version = found.group(1)
            now = time.time()
            for device, stamp in card_stamps(html).items():
                if stamp > self.shown.get(device, float("-inf")):
                    self.shown[device] = stamp
                    SEEN.setdefault(self.tab, []).append([now, device, stamp])
            r.success()

    @task
    def poll(self) -> None:
        if self.closes_at is not None and time.time() >= self.closes_at:
            # The tab is closed: it asks nothing more. (Not StopUser: Locust would start a new user, a new tab.)
            CLOSED.setdefault(self.tab, time.time())
            gevent.sleep(3600)
            return
        wait = self.next_at - time.monotonic()
        if self.closes_at is not None:
            wait = min(wait, self.closes_at - time.time())
        if wait > 0:
            gevent.sleep(wait)
            return  # look at the clock (and the close time) again
        self.next_at += POLL_S
        host = CONFIG["host"]
        self._get("poll", f"/?v={self.version or ''}", {
            "HX-Request": "true", "HX-Current-URL": f"{host}/", "HX-Target": "device-cards",
            "HX-Trigger": "device-cards"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--sessions", type=Path, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--ramp-s", type=float, required=True)
    parser.add_argument("--close", type=int, default=0)
    parser.add_argument("--close-at-s", type=float, default=0)
    parser.add_argument("--duration-s", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    CONFIG.update(host=args.host, sessions=json.loads(args.sessions.read_text()), close=args.close,
                  close_at_s=args.close_at_s, started=time.time())
    env = Environment(user_classes=[Dashboard], host=args.host, events=events)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=max(0.1, args.users / max(args.ramp_s, 0.1)))
    deadline = time.monotonic() + args.duration_s
    while time.monotonic() < deadline:
        gevent.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    runner.quit()
    stats = env.stats.total
    out = {
        "started": CONFIG["started"], "ended": time.time(), "records": RECORDS,
        "seen": {str(k): v for k, v in SEEN.items()}, "closed": {str(k): v for k, v in CLOSED.items()},
        "opened": {str(k): v for k, v in OPENED.items()},
        "tabs": {str(i): CONFIG["sessions"][i]["user"] for i in OPENED},
        "locust": {"requests": stats.num_requests, "failures": stats.num_failures,
                   "p50_ms": stats.get_response_time_percentile(0.5),
                   "p95_ms": stats.get_response_time_percentile(0.95)},
    }
    args.out.write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
