"""What the benchmarks share: their processes, their environment, HTTP helpers and the clean-up.

Every process runs on 127.0.0.1 on a free port, in its own session (so its children stop with it);
a run has an id, and its Redis keys (db 13), its Celery queue, its temporary directory and, for
`bench/scale.py`, its PostgreSQL database are named after it and removed at the end.
"""

from __future__ import annotations

import contextlib
import os
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
REDIS_URL = "redis://127.0.0.1:6379/13"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "demo-energy-2026"  # accounts seed_demo


def tool(name: str) -> str:
    """A console script of this virtualenv (gunicorn, celery)."""
    return str(Path(PY).with_name(name))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes ---------------------------------------------------------------------------------
class Stack:
    """The processes of one run; `close()` stops every one it started, `stop(name)` one of them."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def run(self, *args: str, timeout: float = 120) -> None:
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env={**self.env, **(extra_env or {})}, stdout=log,  # noqa: S603
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each named group of processes has used so far, children included."""
        import psutil

        out: dict[str, float] = {}
        for name, proc in self.procs:
            try:
                top = psutil.Process(proc.pid)
                group = [top, *top.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for p in group:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    t = p.cpu_times()
                    out[name] = out.get(name, 0.0) + t.user + t.system
        return out

    def log_tail(self, name: str, chars: int = 3000) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")[-chars:]

    def stop(self, name: str) -> None:
        """Stop the named processes (SIGTERM to their process group: a Celery worker finishes its tasks)."""
        mine = [(n, p) for n, p in self.procs if n == name]
        _stop([p for _, p in mine])
        self.procs = [(n, p) for n, p in self.procs if n != name]

    def close(self) -> None:
        _stop([p for _, p in reversed(self.procs)])
        self.procs = []


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # its own session: gunicorn's workers go with it
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
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
        out = subprocess.run([tool("celery"), "-A", "dashboard", "inspect", "ping", "-d", node, "-t", "1"],
                             cwd=ROOT, env=stack.env, capture_output=True, timeout=30)
        if b"pong" in out.stdout:
            return
        time.sleep(0.5)
    raise RuntimeError(f"celery worker {node} not ready:\n{stack.log_tail(node.split('@')[0])}")


def worker_argv(queue: str, node: str, *, pool: str = "threads", concurrency: int = 4) -> list[str]:
    return [tool("celery"), "-A", "dashboard", "worker", f"--pool={pool}", f"--concurrency={concurrency}",
            "-Q", queue, "-n", node, "-l", "warning", "--without-gossip", "--without-mingle"]


# --- one run: id, environment, clean-up --------------------------------------------------------
@dataclass
class Run:
    """A run's names and processes. `env` is what every process of the run gets."""

    rc: Any  # redis.Redis on REDIS_URL
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))
    database: str | None = None  # a PostgreSQL database of this run, dropped at the end
    env: dict[str, str] = field(default_factory=dict)
    stack: Stack | None = None

    @property
    def prefix(self) -> str:
        return f"bench-{self.run_id}"

    @property
    def queue(self) -> str:
        return f"bench-{self.run_id}"

    def configure(self, *, web_port: int, sim: str, database_url: str, extra: dict[str, str] | None = None) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PODERO_", "CELERY_", "GUNICORN_"))},
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "CELERY_BROKER_URL": REDIS_URL,
            "DJANGO_CACHE_PREFIX": self.prefix,
            "BENCH_QUEUE": self.queue,
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
            **(extra or {}),
        }
        self.stack = Stack(self.workdir, self.env)

    def sqlite_url(self) -> str:
        return f"sqlite:///{self.workdir / 'bench.sqlite3'}"

    def postgres_url(self) -> str:
        """Create this run's PostgreSQL database and return its URL."""
        import psycopg

        self.database = f"bench_{self.run_id}"
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        return f"{POSTGRES_URL}/{self.database}"

    def cleanup(self) -> None:
        if self.stack is not None:
            self.stack.close()
        keep = os.environ.get("BENCH_KEEP_LOGS")  # a folder: the run's process logs are copied there first
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            for log in self.workdir.glob("*.log"):
                shutil.copy(log, Path(keep) / log.name)
        delete_keys(self.rc, f"{self.prefix}:*")
        for key in (self.queue, f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}"):
            self.rc.delete(key)
        if self.database:
            import psycopg

            with contextlib.suppress(psycopg.Error), psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True,
                                                                     connect_timeout=3) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def bench_run() -> Iterator[Run | None]:
    """A Run, cleaned up whatever happens; None (with a message) when Redis is not reachable."""
    import redis

    rc = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        rc.ping()
    except redis.RedisError as exc:
        print(f"Redis is not reachable at {REDIS_URL} ({exc}); start it (make services) and try again.")
        yield None
        return
    run = Run(rc=rc)
    try:
        yield run
    finally:
        run.cleanup()


def delete_keys(redis_client: Any, pattern: str, keep: Callable[[str], bool] = lambda k: False) -> int:
    n = 0
    for key in redis_client.scan_iter(pattern, count=500):
        if not keep(key.decode()):
            n += redis_client.delete(key)
    return n


# --- http helpers ------------------------------------------------------------------------------
def login(base: str, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> requests.Session:
    s = requests.Session()
    s.get(f"{base}/accounts/login/", timeout=10).raise_for_status()
    r = s.post(f"{base}/accounts/login/", timeout=10, allow_redirects=False,
               data={"login": email, "password": password, "csrfmiddlewaretoken": s.cookies["csrftoken"]},
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


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * len(ordered))) - 1))]


def load(session: requests.Session, url: str, *, seconds: float, threads: int,
         headers: dict[str, str] | None = None, ok: int = 200) -> dict[str, float]:
    """`threads` clients request `url` back to back for `seconds`; latency percentiles and throughput."""
    samples: list[float] = []
    sizes: list[int] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        s = clone(session)
        while time.monotonic() < stop_at:
            ms, status, size = timed_get(s, url, headers=headers or {})
            with lock:
                samples.append(ms)
                sizes.append(size)
                errors[0] += status != ok

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 60)
    elapsed = time.monotonic() - started
    return {"n": len(samples), "errors": errors[0], "rps": len(samples) / elapsed,
            "p50": statistics.median(samples) if samples else float("nan"), "p95": percentile(samples, 0.95),
            "max_bytes": max(sizes, default=0)}


def load_pair(session: requests.Session, url: str, bare: str, *, seconds: float, threads: int) -> dict[str, Any]:
    """`threads` clients each alternate `url` and `bare` back to back for `seconds`, so both pages see the
    same machine (other work on it slows both alike). Throughput of a page = clients / its mean latency."""
    samples: dict[str, list[float]] = {"page": [], "bare": []}
    errors = {"page": 0, "bare": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(offset: int) -> None:
        s = clone(session)
        order = [("page", url), ("bare", bare)]
        if offset % 2:
            order.reverse()
        while time.monotonic() < stop_at:
            for name, target in order:
                ms, status, _ = timed_get(s, target)
                with lock:
                    samples[name].append(ms)
                    errors[name] += status != 200

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 60)
    out = {}
    for name, values in samples.items():
        values.sort()
        out[name] = {"n": len(values), "errors": errors[name], "rps": threads / (statistics.fmean(values) / 1000),
                     "p50": statistics.median(values), "p95": values[max(0, int(len(values) * 0.95) - 1)]}
    return out


def sim_stats(sim: str, *, detail: bool = False) -> dict[str, Any]:
    return requests.get(f"{sim}/_sim/stats" + ("?detail=1" if detail else ""), timeout=30).json()


def mark(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


@dataclass
class DemoStack:
    """The demo stack of one run: its Run (keys, processes), the web's and the simulator's base URLs."""

    run: Run
    base: str
    sim: str

    @property
    def rc(self) -> Any:
        return self.run.rc

    @property
    def prefix(self) -> str:
        return self.run.prefix


@contextlib.contextmanager
def demo_stack(latency_ms: int) -> Iterator[DemoStack | None]:
    """Migrate and seed a SQLite database, start the simulator (with `latency_ms` per request), gunicorn
    and a Celery worker on free ports, and wait until all three answer. None when Redis is down; every
    process, key and temporary file is removed on the way out, however it ends."""
    with bench_run() as run:
        if run is None:
            yield None
            return
        web_port, sim_port = free_port(), free_port()
        base, sim = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{sim_port}"
        run.configure(web_port=web_port, sim=sim, database_url=run.sqlite_url())
        stack = run.stack
        assert stack is not None
        print(f"Setting up in {run.workdir} (web :{web_port}, simulator :{sim_port}, Redis db 13 prefix {run.prefix})")
        stack.run("migrate", "--no-input", "-v", "0")
        stack.run("seed_demo")
        stack.start("simulator", [PY, "manage.py", "runsimulator", f"127.0.0.1:{sim_port}",
                                  "--latency-ms", str(latency_ms)])
        stack.start("web", [tool("gunicorn"), "dashboard.wsgi", "-c", "gunicorn.conf.py"])
        node = f"{run.queue}@127.0.0.1"
        stack.start("worker", worker_argv(run.queue, node))
        wait_http(f"{sim}/_sim/stats", stack)
        wait_http(f"{base}/healthz", stack)
        wait_worker(stack, node)
        yield DemoStack(run=run, base=base, sim=sim)

