#!/usr/bin/env python
"""Benchmark of issue 10: do the history pages stay fast, and does history leave the dashboard alone?

    .venv/bin/python bench/history.py            # ~1.5 minutes (15 s load phases)
    .venv/bin/python bench/history.py --quick    # ~40 s (5 s load phases)
    make bench-history

Starts the same stack as bench/run.py (simulator with 100 ms added latency, gunicorn with DEBUG off,
Redis, a Celery worker; see bench/README.md), logs in as the demo homeowner and prints:
  1. warm cache: a device's history page (the heat pump's day, and its week) against the bare page of
     the same size (`/_bench/bare`), each client alternating the two so both see the same machine:
     p50, p95, requests/s (clients / mean latency) and the ratio;
  2. cold cache: the dashboard (`GET /`, whose savings region loads after it) against the slowest
     single upstream call, then the savings region it loads, and both one after the other; the device
     history page's shell and its history region the same way; upstream calls of each;
  3. the slowest single upstream call, measured directly (a device list, a month of savings, a day of
     15-minute data), as the app's client makes them.
Nothing is asserted; figures are printed beside their targets. Processes, Redis keys and temporary files
are removed at the end, however the run ends.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402 - the repository root is on the path only now
    delete_keys,
    demo_stack,
    load_pair,
    login,
    sim_stats,
    timed_get,
)

SAMPLES = 5
HX = {"HX-Request": "true"}
WARM_TARGET = 0.5  # as the dashboard's: at least half the bare page's throughput
COLD_TARGET = 1.2  # the dashboard with its history parts: within 1.2 x the slowest single call


def single_calls(sim: str, hp: str, repeats: int = 5) -> dict[str, float]:
    """Median time of one upstream GET of each kind the pages make, with a token of the demo client."""
    demo = requests.get(f"{sim}/_sim/demo", timeout=10).json()
    token = requests.post(f"{sim}/oauth2/token/", auth=(demo["client_id"], demo["client_secret"]),
                          json={"grant_type": "client_credentials"}, timeout=10).json()["access_token"]
    user = f"{sim}/api/partners/v2.0/org/{demo['org_id']}/users/{demo['user_id']}"
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    day = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), now.strftime("%Y-%m-%dT%H:%M:%SZ")
    month = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), day[1]
    urls = {
        "device list": f"{user}/electric-vehicles",
        "savings, a month": f"{user}/heat-pumps/{hp}/savings?from={month[0]}&to={month[1]}&resolution=1MONTH",
        "data, a day of 15 min": f"{user}/heat-pumps/{hp}/data?from_datetime={day[0]}&to_datetime={day[1]}"
                                 "&resolution=15MIN",
    }
    s = requests.Session()
    out = {}
    for name, url in urls.items():
        times = []
        for _ in range(repeats):
            ms, status, _ = timed_get(s, url, headers={"Authorization": f"Bearer {token}"})
            if status == 200:
                times.append(ms)
        out[name] = statistics.median(times) if times else float("nan")
    return out


def cold(run: Any, session: requests.Session, first: str, then: str | None) -> dict[str, Any]:
    """`first` (a page) and then `then` (the region it loads after itself, with HX-Request), on a cache
    emptied of this homeowner's data each time (the shared token stays). Times in ms; upstream calls."""
    pattern = f"{run.prefix}:*devices:v1:*"
    page, region, total, calls_page, calls_region = [], [], [], [], []
    for _ in range(SAMPLES):
        delete_keys(run.rc, pattern)
        # Let the previous sample's background work land, and its calls leave the upstream budget's
        # one-second window (PODERO_MAX_RPS): one homeowner does not open five cold dashboards a second.
        time.sleep(1.2)
        requests.post(f"{run.sim}/_sim/stats/reset", timeout=10)
        started = time.perf_counter()
        ms, status, _ = timed_get(session, first)
        calls_page.append(sim_stats(run.sim).get("total", 0))
        if status != 200:
            continue
        page.append(ms)
        if then is not None:
            ms, status, _ = timed_get(session, then, headers=HX)
            if status == 200:
                region.append(ms)
                total.append((time.perf_counter() - started) * 1000)
            calls_region.append(sim_stats(run.sim).get("total", 0) - calls_page[-1])
    return {"page": page, "region": region, "total": total, "calls_page": calls_page, "calls_region": calls_region}


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s load phases instead of 15 s")
    parser.add_argument("--latency-ms", type=int, default=100, help="simulator latency per API request")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients in the warm phase")
    args = parser.parse_args()
    load_s = 5.0 if args.quick else 15.0
    started = time.monotonic()
    with demo_stack(args.latency_ms) as run:
        if run is None:
            return 2
        session = login(run.base)
        demo = requests.get(f"{run.sim}/_sim/demo", timeout=10).json()
        hp = demo["heat_pump_id"]
        yesterday = (datetime.now(ZoneInfo("Europe/Vienna")) - timedelta(days=1)).date().isoformat()
        device = f"{run.base}/devices/heat-pump/{hp}/"
        pages = {"day": f"{device}?range=day&date={yesterday}&load=1",
                 "week": f"{device}?range=week&date={yesterday}&load=1"}

        singles = single_calls(run.sim, hp)
        dashboard = cold(run, session, f"{run.base}/", f"{run.base}/savings/")
        history = cold(run, session, device, pages["day"])

        warm: dict[str, Any] = {}
        for name, url in pages.items():
            _, _, size = timed_get(session, url)  # fills the cache
            for _ in range(3):
                timed_get(session, url)
                timed_get(session, f"{run.base}/_bench/bare?bytes={size}")
            pair = load_pair(session, url, f"{run.base}/_bench/bare?bytes={size}", seconds=load_s,
                             threads=args.threads)
            warm[name] = (size, pair["page"], pair["bare"])
        report(args.latency_ms, singles, dashboard, history, warm)
        print(f"\nTotal run time {time.monotonic() - started:.0f} s.")
        return 0


def report(latency_ms: int, singles: dict[str, float], dashboard: dict[str, Any], history: dict[str, Any],
           warm: dict[str, Any]) -> None:
    slowest_name = max(singles, key=lambda k: singles[k])
    slowest = singles[slowest_name]
    print(f"\n== Single upstream calls (simulator latency {latency_ms} ms), median of 5")
    for name, ms in singles.items():
        print(f"   {name:<24} {ms:6.1f} ms")
    print(f"   slowest: {slowest_name}, {slowest:.0f} ms; target for the cold dashboard < {COLD_TARGET} x = "
          f"{COLD_TARGET * slowest:.0f} ms")

    print(f"\n== Cold cache, {SAMPLES} samples (this homeowner's lists, policies and history deleted each time)")
    page = med(dashboard["page"])
    print(f"   dashboard GET /                 median {page:6.1f} ms  ({page / slowest:.2f} x the slowest call)"
          f"   upstream calls {med(dashboard['calls_page']):.0f}   target < {COLD_TARGET} x  "
          f"{'MET' if page < COLD_TARGET * slowest else 'NOT MET'}")
    print(f"   then its savings region          median {med(dashboard['region']):6.1f} ms"
          f"   upstream calls {med(dashboard['calls_region']):.0f} (3 months x 4 devices, in parallel)")
    print(f"   page + savings, one after other  median {med(dashboard['total']):6.1f} ms")
    print(f"   device page (shell)              median {med(history['page']):6.1f} ms"
          f"   upstream calls {med(history['calls_page']):.0f}")
    print(f"   then its history region (day)    median {med(history['region']):6.1f} ms"
          f"   upstream calls {med(history['calls_region']):.0f} (/data and /savings, in parallel)")

    print("\n== Warm cache: the device history page vs a bare page of the same size (requests alternate)")
    for name, (size, page_m, bare_m) in warm.items():
        ratio = page_m["rps"] / bare_m["rps"] if bare_m["rps"] else float("nan")
        for label, m in ((f"history {name}", page_m), ("bare page", bare_m)):
            print(f"   {label:<13} p50 {m['p50']:6.1f} ms   p95 {m['p95']:6.1f} ms   {m['rps']:6.1f} req/s"
                  f"   ({m['n']} requests, {m['errors']} not 200)")
        print(f"   {size} B; throughput ratio history/bare = {ratio:.2f}   target >= {WARM_TARGET}   "
              f"{'MET' if ratio >= WARM_TARGET else 'NOT MET'}")


if __name__ == "__main__":
    sys.exit(main())
