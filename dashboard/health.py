"""The checks behind /healthz: each answers within about a second and never raises."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection

log = logging.getLogger("dashboard.health")


def database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means "unreachable"
        connection.close()  # a broken connection must not be reused by the next request
        return "unreachable"


def redis() -> str:
    if not getattr(settings, "REDIS_URL", ""):
        return "not used"
    try:
        from django_redis import get_redis_connection

        get_redis_connection("default").ping()
        return "ok"
    except Exception:  # noqa: BLE001
        return "unreachable"


def broker() -> str:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return "not used"
    try:
        from .celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
        return "ok"
    except Exception:  # noqa: BLE001
        return "unreachable"


def check_all() -> dict[str, str]:
    report = {"database": database(), "redis": redis(), "broker": broker()}
    if any(v == "unreachable" for v in report.values()):
        log.warning("health_degraded", extra=report)
    return report
