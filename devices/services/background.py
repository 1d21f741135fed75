"""The small interface through which the services enqueue background work.

The services name a Celery task (`devices.tasks.…`) and never import `devices.tasks`: the tasks import
the services, not the other way round. The task is looked up in the Celery app's registry, so
anything that configures the task (its queue, a test's patch of `delay`) applies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache

from .cache import LOCK_TTL

log = logging.getLogger("devices.services")

REFRESH_DEVICE_LIST = "devices.tasks.refresh_device_list"
REFRESH_CHARGE_POLICY = "devices.tasks.refresh_charge_policy"


def enqueue(task_name: str, *args: Any) -> None:
    """Send a task by name; raises what the broker raises."""
    current_app.tasks[task_name].delay(*args)


def run_once(guard_key: str, body: Callable[..., Any], task_name: str, *args: str) -> None:
    """Run `body(*args)` once in the background: the Celery task `task_name`, or a daemon thread
    without a broker. The guard key (held LOCK_TTL, deleted by the body) stops duplicates while one
    run is queued or under way."""
    if not cache.add(guard_key, 1, LOCK_TTL):
        return
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        # No broker (make run without Redis): a daemon thread keeps the page fast all the same.
        threading.Thread(target=body, args=args, daemon=True, name=f"background:{guard_key}").start()
        return
    try:
        enqueue(task_name, *args)
    except Exception:  # noqa: BLE001 - a broker outage must not break the page
        log.warning("refresh_enqueue_failed", extra={"task": task_name}, exc_info=True)
        cache.delete(guard_key)
