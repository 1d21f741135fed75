"""Settings for benchmark processes only: the product's settings plus a bare baseline page.

`bench/run.py` starts the web server and the Celery worker with DJANGO_SETTINGS_MODULE=bench.settings.
Nothing here is used by the product.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from dashboard.settings import *  # noqa: F403
from dashboard.settings import TEMPLATES as _TEMPLATES

# The product's URLs plus `/_bench/bare` (a separate URLconf: the product's urls stay untouched).
ROOT_URLCONF = "bench.bare_urls"
TEMPLATES = copy.deepcopy(_TEMPLATES)
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]

# Production-like (DEBUG off) but over plain http on 127.0.0.1: cookies without the Secure flag, and
# static files referenced by plain names (the benchmark never fetches them; no collectstatic needed).
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The worker of this run consumes its own queue, so two runs (or a developer's worker) never mix.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_QUEUE", "celery")

# bench/apps.py: with BENCH_TASK_LOG=1 the workers note every task they run (bench/scale.py times the jobs).
INSTALLED_APPS = [*INSTALLED_APPS, "bench.apps.BenchConfig"]  # noqa: F405

# BENCH_DB_POOL=N (bench/scale.py gives it to the simulator only): at most N PostgreSQL connections from this
# process. The simulator answers each request in a thread of its own, so under a lifted upstream budget it
# would otherwise open one connection per request in flight and run PostgreSQL out of connections.
if os.environ.get("BENCH_DB_POOL") and DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405 - Django's pool replaces persistent connections
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        "pool": {"min_size": 2, "max_size": int(os.environ["BENCH_DB_POOL"]), "timeout": 30}}
