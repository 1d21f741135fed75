# The README's two commands are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dashboard


.PHONY: run test install messages services screenshots worker simulator bench bench-scale bench-history check clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@python=$$(scripts/find-python) || exit 1; \
	  [ -x $(PY) ] || { echo "Creating $(VENV) with $$python"; $$python -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

## axe-core for the accessibility tests (package.json, pinned by package-lock.json); Node.js from ensure-services
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## The translations: compile locale*/*/LC_MESSAGES/django.po (committed) into .mo (not committed)
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po locale-overrides/*/LC_MESSAGES/django.po))
%/LC_MESSAGES/django.mo: %/LC_MESSAGES/django.po | install
	@command -v msgfmt >/dev/null || scripts/ensure-services.sh
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=staticfiles -v 0

messages: $(MESSAGES)

## make run: the product on its embedded default (SQLite, in-process cache, the built-in simulator)
run: export PODERO_BASE_URL ?= http://127.0.0.1:$(PORT)/simulator
run: install messages
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo
	@echo "Open http://127.0.0.1:$(PORT)/ and log in with the homeowner above."
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## make test: install what the tests need (Python packages, Redis, PostgreSQL, Chromium) and run them all
test: install services messages node_modules/.installed
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

services:
	@scripts/ensure-services.sh

## make screenshots: refresh the README's docs/screenshot-*.png (tests write only to artifacts/)
SCREENSHOTS := artifacts/screenshot-phone.png artifacts/screenshot-desktop.png
screenshots: install services
	rm -f $(SCREENSHOTS)
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest -q tests/dashboard/test_browser_dashboard.py -k test_dashboard_in_the_browser
	cp $(SCREENSHOTS) docs/
	@echo "docs/screenshot-*.png refreshed: review them, then commit."

## Beside `make run` with REDIS_URL set: a Celery worker and beat in one process
worker: install
	$(VENV)/bin/celery -A dashboard worker -B -l info

## The simulator alone on its own port (as docker compose's demo profile runs it)
simulator: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py runsimulator 127.0.0.1:9000

bench: install services
	$(PY) bench/run.py

## Issue 14 at scale: N = 10,000 homeowners, M = 1,000 open dashboards (bench/scale.py --quick: 2,000 / 200)
bench-scale: install services
	$(PY) bench/scale.py $(BENCH_ARGS)

## The history pages: warm throughput against a bare page, the cold dashboard with its savings region
bench-history: install services
	$(PY) bench/history.py

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles artifacts db.sqlite3
