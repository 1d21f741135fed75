#!/usr/bin/env python
"""Benchmark of issue 3: is the dashboard fresh, fast and calm toward Podero?

    .venv/bin/python bench/run.py            # full run: 5 minutes of polling (~6 minutes in all)
    .venv/bin/python bench/run.py --quick    # ~1 minute of polling (~1.5 minutes in all)
    .venv/bin/python bench/run.py --minutes 2 --latency-ms 100

It starts, on 127.0.0.1 only and on free ports:
  * the simulator alone (`manage.py runsimulator PORT --latency-ms 100`),
  * the app under gunicorn (gthread, gunicorn.conf.py) with PODERO_SIMULATOR=0, DJANGO_DEBUG=0,
    REDIS_URL=redis://127.0.0.1:6379/13 with a key prefix of this run, and a SQLite file database
    in a temporary directory (migrated and seeded with `seed_demo`),
  * one Celery worker on a queue of this run (stale-while-revalidate refreshes need it),
logs in as the demo homeowner and prints:
  1. warm-cache dashboard p50/p95 and requests/s against a bare Django page of about the same size
     behind the same middleware and login (`/_bench/bare`, served by the same processes through
     bench/bare_urls.py; see bench/README.md for why this baseline), and the ratio;
  2. cold-cache dashboard latency (device lists, and device lists + charge policies) against
     3 x latency (the three kinds one after another) and 1 x latency (the limit);
  3. upstream calls per user per minute and per 30 s with a dashboard open in 3 tabs that poll
     `GET /` with `HX-Request` every 30 s, counted by the simulator (`/_sim/stats`).
Figures are printed next to their targets; nothing is asserted. Every loop is bounded, the run stops
by itself, and its processes, Redis keys and temporary files are removed at the end.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    clone,
    delete_keys,
    demo_stack,
    load,
    login,
    mark,
    sim_stats,
    timed_get,
)

TABS = 3
POLL_S = 30.0


# --- the run -----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 minute of polling and shorter load phases")
    parser.add_argument("--minutes", type=float, default=None, help="minutes of dashboard polling (default 5)")
    parser.add_argument("--latency-ms", type=int, default=100, help="simulator latency per API request")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients in the warm phase")
    args = parser.parse_args()
    minutes = args.minutes if args.minutes is not None else (1.0 if args.quick else 5.0)
    minutes = max(0.5, min(minutes, 60.0))
    load_s = 5.0 if args.quick else 15.0

    with demo_stack(args.latency_ms) as demo:
        if demo is None:
            return 2
        base, sim, run = demo.base, demo.sim, demo.run
        started = time.monotonic()
        session = login(base)
        results = measure(args, session, base, sim, run.rc, run.prefix, minutes, load_s)
        report(results, args.latency_ms, minutes)
        print(f"\nTotal run time {time.monotonic() - started:.0f} s.")
        return 0


def single_call_ms(sim: str, repeats: int = 5) -> float:
    """One upstream GET of a device list, as the app's client would make it (median of a few)."""
    demo = requests.get(f"{sim}/_sim/demo", timeout=10).json()  # the demo org, user and OAuth client
    token = requests.post(f"{sim}/oauth2/token/", auth=(demo["client_id"], demo["client_secret"]),
                          json={"grant_type": "client_credentials"}, timeout=10).json()["access_token"]
    org, user = demo["org_id"], demo["user_id"]
    s = requests.Session()
    times = []
    for _ in range(repeats):
        ms, status, _ = timed_get(s, f"{sim}/api/partners/v2.0/org/{org}/users/{user}/electric-vehicles",
                                  headers={"Authorization": f"Bearer {token}"})
        if status == 200:
            times.append(ms)
    return statistics.median(times) if times else float("nan")


def measure(args: argparse.Namespace, session: requests.Session, base: str, sim: str, rc: Any, prefix: str,
            minutes: float, load_s: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    dev_pattern = f"{prefix}:*devices:v1:*"
    is_policy = re.compile(r"charge-policy").search

    # 1. cold: nothing cached for this homeowner (the token stays: it is shared and long-lived)
    cold_all, cold_lists = [], []
    for _ in range(5):
        delete_keys(rc, dev_pattern)
        ms, status, _ = timed_get(session, f"{base}/")
        if status == 200:
            cold_all.append(ms)
        delete_keys(rc, dev_pattern, keep=lambda k: bool(is_policy(k)))  # lists only; policies still cached
        ms, status, _ = timed_get(session, f"{base}/")
        if status == 200:
            cold_lists.append(ms)
    out["cold_all"], out["cold_lists"] = cold_all, cold_lists
    out["single_call_ms"] = single_call_ms(sim)

    # 2. warm: the cache is filled; the dashboard against the bare page of the same size
    _, _, size = timed_get(session, f"{base}/")
    for _ in range(3):
        timed_get(session, f"{base}/")
        timed_get(session, f"{base}/_bench/bare?bytes={size}")
    _, _, bare_size = timed_get(session, f"{base}/_bench/bare?bytes={size}")
    out["sizes"] = (size, bare_size)
    out["warm"] = load(session, f"{base}/", seconds=load_s, threads=args.threads)
    out["bare"] = load(session, f"{base}/_bench/bare?bytes={size}", seconds=load_s, threads=args.threads)

    # 3. calm: the homeowner opens the dashboard (cold), then 3 tabs poll the cards every 30 s for
    # `minutes`; the simulator counts what reached it, the first load included
    delete_keys(rc, dev_pattern)
    requests.post(f"{sim}/_sim/stats/reset", timeout=10)
    timed_get(session, f"{base}/")  # the homeowner opens the dashboard: the cold first load
    time.sleep(1.0)  # and the charge policy its cards asked for in the background
    out["first_load_calls"] = sim_stats(sim).get("total", 0)
    poll_start = time.monotonic()
    end = poll_start + minutes * 60
    polls = [0]
    lock = threading.Lock()

    def tab(offset: float) -> None:
        s = clone(session)
        next_at = poll_start + offset
        while next_at < end:
            time.sleep(max(0.0, next_at - time.monotonic()))
            _, status, _ = timed_get(s, f"{base}/", headers={"HX-Request": "true"})
            with lock:
                polls[0] += status == 200
            next_at += POLL_S

    tabs = [threading.Thread(target=tab, args=(i * POLL_S / TABS,)) for i in range(TABS)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join(minutes * 60 + 120)
    time.sleep(1.0)  # let the last background refresh land in the counts
    out["poll_stats"] = sim_stats(sim)
    out["polls"] = polls[0]
    out["poll_seconds"] = minutes * 60  # the window the tabs had the page open
    return out


def report(r: dict[str, Any], latency_ms: int, minutes: float) -> None:
    warm, bare = r["warm"], r["bare"]
    single = r["single_call_ms"]
    print("\n== Warm cache: dashboard vs a bare page of the same size (same middleware, login, base template)")
    print(f"   page sizes: dashboard {r['sizes'][0]} B, bare {r['sizes'][1]} B")
    for name, m in (("dashboard", warm), ("bare page", bare)):
        print(f"   {name:<10} p50 {m['p50']:6.1f} ms   p95 {m['p95']:6.1f} ms   {m['rps']:6.1f} req/s"
              f"   ({m['n']} requests, {m['errors']} not 200)")
    ratio = warm["rps"] / bare["rps"] if bare["rps"] else float("nan")
    print(f"   throughput ratio dashboard/bare = {ratio:.2f}   target >= 0.5   {mark(ratio >= 0.5)}")

    print(f"\n== Cold cache (simulator latency {latency_ms} ms; one upstream GET measured at {single:.0f} ms)")
    limit = 1.5 * single
    for name, values in (("device lists only", r["cold_lists"]), ("lists + charge policies", r["cold_all"])):
        if not values:
            print(f"   {name}: no successful sample")
            continue
        med = statistics.median(values)
        print(f"   {name:<24} median {med:6.1f} ms  (min {min(values):.0f}, max {max(values):.0f})"
              f"   vs sequential 3x{latency_ms} = {3 * latency_ms} ms, limit {latency_ms} ms;"
              f" target < 1.5 x slowest call = {limit:.0f} ms  {'MET' if med < limit else 'NOT MET'}")

    stats = r["poll_stats"]
    seconds = r["poll_seconds"]
    calls = stats.get("total", 0)
    per_min = calls / (seconds / 60)
    per_30 = calls / (seconds / 30)
    print(f"\n== Calm: 1 user opens the dashboard (cold), {TABS} tabs poll every {POLL_S:.0f} s for "
          f"{seconds / 60:.1f} min ({r['polls']} polls answered)")
    print(f"   upstream API calls {calls} (+{stats.get('token_requests', 0)} token requests): "
          f"{per_min:.1f} per minute, {per_30:.2f} per 30 s   target <= 3 per 30 s   "
          f"{'MET' if per_30 <= 3 else 'NOT MET'}")
    first = r["first_load_calls"]
    steady_30 = (calls - first) / (seconds / 30)
    print(f"   of which the first (cold) load {first}; afterwards {calls - first} calls = {steady_30:.2f} per 30 s"
          f" with the page open   target <= 3 per 30 s   {'MET' if steady_30 <= 3 else 'NOT MET'}")
    for path, n in sorted(stats.get("by_path", {}).items(), key=lambda kv: -kv[1]):
        print(f"     {n:4d}  {path}")


if __name__ == "__main__":
    sys.exit(main())
