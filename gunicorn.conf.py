"""Gunicorn settings for the web container (`gunicorn dashboard.wsgi -c gunicorn.conf.py`).

Threads, not only processes: a dashboard request mostly waits on the cache or on Podero, and the
device service fans out over threads itself. Every value can be overridden from the environment.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * (os.cpu_count() or 1) + 1, 8)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Longer than the worst upstream wait (cache lock 15 s, or connect 3 s + read 8 s with retries).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then; the jitter keeps them from restarting together
max_requests_jitter = 200
worker_tmp_dir = "/dev/shm"  # heartbeat files off the (possibly slow) container filesystem
# No runtime control socket: the container's home is read-only for the app user, and compose
# restarts/scales containers instead.
control_socket_disable = True
# The app writes one structured line per request itself (dashboard.middleware); no access log twice.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Trust X-Forwarded-* only from the reverse proxy in front (set to its address; "*" inside a private network).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
