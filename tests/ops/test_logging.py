"""Structured logs: one line per request, and the request id on upstream-call lines, also from the
services' fan-out threads."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from tests import payloads
from tests.fakes import FakePodero

pytestmark = pytest.mark.django_db


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        from dashboard.middleware import RequestIdFilter

        self.addFilter(RequestIdFilter())  # as the console handler has it
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records():
    handler = _Records()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.records
    root.removeHandler(handler)
    root.setLevel(old)


def test_one_request_line_with_method_path_status_duration_and_user(client, homeowner, fake_podero, records):
    client.force_login(homeowner)
    response = client.get(reverse("dashboard:home") + "?refresh=1&token=abc123")
    lines = [r for r in records if r.name == "dashboard.request" and r.getMessage() == "request"]
    assert len(lines) == 1
    line = lines[0]
    assert (line.method, line.path, line.status, line.user_id) == ("GET", "/", 200, homeowner.pk)
    assert isinstance(line.duration_ms, float)
    assert line.request_id == response["X-Request-ID"]
    from dashboard.logging import KeyValueFormatter

    text = KeyValueFormatter().format(line)
    assert "abc123" not in text and "owner@example.com" not in text
    assert f"request_id={response['X-Request-ID']}" in text


def test_anonymous_and_errors_are_logged(client, records):
    client.get("/accounts/login/")
    client.get("/no-such-page/")
    lines = [r for r in records if r.name == "dashboard.request"]
    assert [(r.path, r.status, r.user_id) for r in lines] == [("/accounts/login/", 200, "-"), ("/no-such-page/", 404, "-")]


def test_healthz_logs_at_debug(client, records):
    client.get("/healthz")
    (line,) = [r for r in records if r.name == "dashboard.request"]
    assert line.levelno == logging.DEBUG


class _LoggingFake(FakePodero):
    """Logs like the real client does, from whatever thread the services call it in."""

    def list_devices(self, **kw):
        logging.getLogger("devices.podero").info("podero_call", extra={"method": "GET", "path": kw["kind"]})
        return super().list_devices(**kw)


def test_request_id_reaches_upstream_lines_from_the_fan_out_threads(client, homeowner, monkeypatch, records):
    from devices import podero

    fake = _LoggingFake()
    fake.add(homeowner.podero.podero_user_id, "heat-pumps", payloads.heat_pump())
    monkeypatch.setattr(podero, "get_client", lambda: fake)
    client.force_login(homeowner)
    response = client.get(reverse("dashboard:home"), HTTP_X_REQUEST_ID="trace-42")
    assert response["X-Request-ID"] == "trace-42"
    calls = [r for r in records if r.getMessage() == "podero_call"]
    assert len(calls) == 3  # three kinds, fetched in parallel on the pool's threads
    assert {r.threadName.split("_")[0] for r in calls} == {"podero-fetch"}
    assert {r.request_id for r in calls} == {"trace-42"}
