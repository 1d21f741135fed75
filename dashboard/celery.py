"""The Celery app. Settings come from Django's `CELERY_*`; tasks are found in each app's tasks.py."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs (run `celery -A dashboard beat` once per deployment). Times are UTC (CELERY_TIMEZONE).
# `expires`: a run still queued when the next one is due is dropped, so a slow worker never builds a backlog.
app.conf.beat_schedule = {
    "warm-active-dashboards": {  # every 10 s: open dashboards' lists are refreshed before they go stale
        "task": "devices.tasks.warm_active_dashboards",
        "schedule": 10.0,
        "options": {"expires": 9},
    },
    "resume-due-pauses": {  # every 30 s: "Pause until…" ends on time, once (row locks make runs safe to race)
        "task": "devices.tasks.resume_due_pauses",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "notify-attention": {  # devices needing attention: one email per incident
        "task": "devices.tasks.notify_attention",
        "schedule": 10 * 60.0,
        "options": {"expires": 9 * 60},
    },
    "snapshot-consumption": {  # daily, late evening in Central Europe (21:30 UTC = 22:30/23:30 Vienna)
        "task": "devices.tasks.snapshot_consumption",
        "schedule": crontab(hour=21, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
}
