"""Start a real Celery worker process for a test and wait until it consumes (shared by the fixtures)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 90  # generous: CI machines have two cores and the suite may be busy beside it


def start_worker(*, queue: str, node: str, env: dict[str, str], log_path: Path) -> subprocess.Popen[Any]:
    """`celery worker --pool=solo` on `queue`; returns once it says it is ready (or answers a ping)."""
    from dashboard.celery import app

    celery = Path(sys.executable).with_name("celery")
    log_file = log_path.open("wb")
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own venv
        [str(celery), "-A", "dashboard", "worker", "--pool=solo", "-Q", queue, "-l", "info",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", node],
        cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited: {log_path.read_text(errors='replace')[-2000:]}")
        if " ready." in log_path.read_text(errors="replace"):
            return proc
        try:
            if app.control.ping(destination=[node], timeout=0.5):
                return proc
        except Exception:  # noqa: BLE001 - broker not ready yet
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"celery worker not ready in {READY_TIMEOUT_S}s: {log_path.read_text(errors='replace')[-2000:]}")


def reset_publisher() -> None:
    """Forget this process's broker connections, so the next publish connects to the current broker_url.

    kombu keeps producer and connection pools in a module-level registry keyed by connection; closing one
    of them by hand leaves a closed pool that the next test's publish would acquire ("Acquire on closed
    pool"). Resetting the registry drops them all.
    """
    from kombu import pools

    from dashboard.celery import app

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def stop_worker(proc: subprocess.Popen[Any] | None, *, queue: str, broker_url: str) -> None:
    """Stop the worker and delete its queue's keys from the broker."""
    import redis

    if proc is not None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    try:
        broker = redis.Redis.from_url(broker_url, socket_connect_timeout=0.5, socket_timeout=2)
        broker.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        broker.close()
    except redis.RedisError:  # cleanup only
        pass
