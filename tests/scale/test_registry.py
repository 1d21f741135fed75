"""A web process (no worker autodiscovery) knows the tasks the services enqueue by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import django
django.setup()
from celery import current_app
from devices.services import background, evplan
missing = [n for n in (background.REFRESH_DEVICE_LIST, background.REFRESH_CHARGE_POLICY,
                       evplan.REFRESH_CURRENT_SESSION) if n not in current_app.tasks]
print("missing:", missing)
raise SystemExit(1 if missing else 0)
"""


def test_a_web_process_has_the_background_tasks_registered() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings", "REDIS_URL": "redis://127.0.0.1:6379/15"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
