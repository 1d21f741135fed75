"""Celery entry points. A task takes primitives, calls one service, and owns its retry policy.

No task wraps a write (boost, schedule): a repeated POST could boost twice.
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def refresh_device_list(org_id: str, user_id: str, kind: str) -> bool:
    """Stale-while-revalidate: refetch one cached device list in the background."""
    return services.refresh_kind(org_id, user_id, kind)
