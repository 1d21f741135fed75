# The dashboard image: web (gunicorn), worker and beat (celery) and the demo simulator all run it.
# Build: docker build -t podero-home-dashboard .   Settings come from the environment (see .env.example).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

# Dependencies first, so a code change does not reinstall them (psycopg[binary] needs no compiler).
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# The translations are compiled here (the .po files are committed, the .mo files are not).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext >/dev/null \
 && python manage.py compilemessages --ignore=.venv -v 0 \
 && apt-get purge -y -qq gettext >/dev/null && apt-get autoremove -y -qq >/dev/null && rm -rf /var/lib/apt/lists/*
# Static files are collected (compressed, with hashed names) at build time. The key below only lets
# settings load with DEBUG off for this one command; the running container must get its own.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-7d1e3c9a \
    PODERO_SIMULATOR=0 python manage.py collectstatic --no-input -v 0 \
 && chown -R app:app /app/staticfiles

USER app
EXPOSE 8000

# /healthz answers without the database or Podero. It is sent with an allowed Host (the first of
# DJANGO_ALLOWED_HOSTS) and as HTTPS-behind-a-proxy, as a real request would arrive.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('DJANGO_ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.*') or 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4)"]

CMD ["gunicorn", "dashboard.wsgi", "--config", "gunicorn.conf.py"]
