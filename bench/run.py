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
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
REDIS_URL = "redis://127.0.0.1:6379/13"
DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "demo-energy-2026"  # accounts seed_demo
TABS = 3
POLL_S = 30.0


# --- processes ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The processes of one run; `close()` stops every one it started."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def run(self, *args: str, timeout: float = 120) -> None:
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        proc = subprocess.Popen(argv, cwd=ROOT, env={**self.env, **(extra_env or {})}, stdout=log,  # noqa: S603
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc))

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                tail = (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def close(self) -> None:
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # its own session: gunicorn's workers go with it
        for _, proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def wait_http(url: str, stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def wait_worker(stack: Stack, node: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        out = subprocess.run([str(Path(PY).with_name("celery")), "-A", "dashboard", "inspect", "ping", "-d", node,
                              "-t", "1"], cwd=ROOT, env=stack.env, capture_output=True, timeout=30)
        if b"pong" in out.stdout:
            return
        time.sleep(0.5)
    raise RuntimeError("celery worker not ready")


# --- http helpers ------------------------------------------------------------------------------
def login(base: str) -> requests.Session:
    s = requests.Session()
    s.get(f"{base}/accounts/login/", timeout=10).raise_for_status()
    r = s.post(f"{base}/accounts/login/", timeout=10, allow_redirects=False,
               data={"login": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": s.cookies["csrftoken"]},
               headers={"Referer": f"{base}/accounts/login/"})
    if r.status_code != 302:
        raise RuntimeError(f"login failed: HTTP {r.status_code}")
    return s


def clone(session: requests.Session) -> requests.Session:
    s = requests.Session()
    s.cookies.update(session.cookies)
    return s


def timed_get(s: requests.Session, url: str, **kw: Any) -> tuple[float, int, int]:
    started = time.perf_counter()
    r = s.get(url, timeout=30, allow_redirects=False, **kw)
    return (time.perf_counter() - started) * 1000, r.status_code, len(r.content)


def load(session: requests.Session, url: str, *, seconds: float, threads: int) -> dict[str, float]:
    """`threads` clients request `url` back to back for `seconds`; latency percentiles and throughput."""
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        s = clone(session)
        while time.monotonic() < stop_at:
            ms, status, _ = timed_get(s, url)
            with lock:
                samples.append(ms)
                errors[0] += status != 200

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 60)
    elapsed = time.monotonic() - started
    samples.sort()
    return {"n": len(samples), "errors": errors[0], "rps": len(samples) / elapsed,
            "p50": statistics.median(samples), "p95": samples[max(0, int(len(samples) * 0.95) - 1)]}


def delete_keys(redis_client: Any, pattern: str, keep: Callable[[str], bool] = lambda k: False) -> int:
    n = 0
    for key in redis_client.scan_iter(pattern, count=500):
        if not keep(key.decode()):
            n += redis_client.delete(key)
    return n


# --- the stack ---------------------------------------------------------------------------------
class Running:
    """A started stack: the web's and the simulator's addresses, Redis, the run's key prefix."""

    def __init__(self, base: str, sim: str, rc: Any, prefix: str) -> None:
        self.base, self.sim, self.rc, self.prefix = base, sim, rc, prefix


class RedisDown(RuntimeError):
    pass


@contextmanager
def running_stack(latency_ms: int) -> Iterator[Running]:
    """Start the simulator, gunicorn and a worker on free ports (bench/README.md); stop them, delete the
    run's Redis keys and its temporary directory on the way out, however it ends."""
    import redis

    rc = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        rc.ping()
    except redis.RedisError as exc:
        raise RedisDown(f"Redis is not reachable at {REDIS_URL} ({exc}); start it (make services) and try again.") \
            from exc

    run_id = uuid.uuid4().hex[:8]
    prefix, queue = f"bench-{run_id}", f"bench-{run_id}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    web_port, sim_port = free_port(), free_port()
    base, sim = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{sim_port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PODERO_", "CELERY_", "GUNICORN_"))},
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_CACHE_PREFIX": prefix,
        "BENCH_QUEUE": queue,
        # The simulator runs as its own process; "1" here is the explicit demo switch that allows its
        # public demo credentials with DJANGO_DEBUG=0 (the web's own /simulator/ mount is not used).
        "PODERO_SIMULATOR": "1",
        "PODERO_CLIENT_ID": "demo-dashboard",
        "PODERO_CLIENT_SECRET": "demo-dashboard-secret",
        "PODERO_BASE_URL": sim,
        "GUNICORN_BIND": f"127.0.0.1:{web_port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "8",
        "GUNICORN_LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    }
    stack = Stack(workdir, env)
    try:
        print(f"Setting up in {workdir} (web :{web_port}, simulator :{sim_port}, Redis db 13 prefix {prefix})")
        stack.run("migrate", "--no-input", "-v", "0")
        stack.run("seed_demo")
        stack.start("simulator", [PY, "manage.py", "runsimulator", f"127.0.0.1:{sim_port}",
                                  "--latency-ms", str(latency_ms)])
        stack.start("web", [str(Path(PY).with_name("gunicorn")), "dashboard.wsgi", "-c", "gunicorn.conf.py"])
        node = f"{queue}@127.0.0.1"
        stack.start("worker", [str(Path(PY).with_name("celery")), "-A", "dashboard", "worker", "--pool=threads",
                               "--concurrency=4", "-Q", queue, "-n", node, "-l", "warning", "--without-gossip",
                               "--without-mingle"])
        wait_http(f"{sim}/_sim/stats", stack)
        wait_http(f"{base}/healthz", stack)
        wait_worker(stack, node)
        yield Running(base, sim, rc, prefix)
    finally:
        stack.close()
        delete_keys(rc, f"{prefix}:*")
        for key in (queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"):
            rc.delete(key)
        shutil.rmtree(workdir, ignore_errors=True)


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

    started = time.monotonic()
    try:
        with running_stack(args.latency_ms) as run:
            session = login(run.base)
            results = measure(args, session, run.base, run.sim, run.rc, run.prefix, minutes, load_s)
            report(results, args.latency_ms, minutes)
            print(f"\nTotal run time {time.monotonic() - started:.0f} s.")
            return 0
    except RedisDown as exc:
        print(exc)
        return 2


def sim_stats(sim: str) -> dict[str, Any]:
    return requests.get(f"{sim}/_sim/stats", timeout=10).json()


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
    print(f"   throughput ratio dashboard/bare = {ratio:.2f}   target >= 0.5   "
          f"{'MET' if ratio >= 0.5 else 'NOT MET'}")

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
