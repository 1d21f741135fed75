"""Item 10: Cache-Control on personal pages, a forged Host in one log line, revoked credentials that
stop asking, no signed secret in the admin, and a /healthz that never needs the session or user."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from devices import podero
from tests import payloads

from .hostile import Hostile

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_personal_pages_and_partials_are_private_no_store(home):
    for path, extra in ((reverse("dashboard:home"), {}), (reverse("dashboard:home"), HTMX),
                        (reverse("dashboard:device_detail", args=["heat-pump", home.hp["id"]]), {}),
                        (reverse("accounts:settings"), {})):
        response = home.client.get(path, **extra)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], path


def test_a_forged_host_is_one_log_line_without_a_traceback(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    lines = [r for r in caplog.records if "evil.example" in r.getMessage() or getattr(r, "host", "") == "evil.example"]
    assert len(lines) == 1 and lines[0].exc_info is None and lines[0].reason == "disallowed_host"


def test_revoked_credentials_stop_asking_for_tokens(settings):
    with Hostile() as server:
        server.token_status = 401
        settings.PODERO_BASE_URL = server.url
        podero.reset_client()
        try:
            for _ in range(5):
                with pytest.raises(podero.PoderoAuthError):
                    podero.get_client().list_devices(user_id="11111111-1111-4111-8111-111111111111",
                                                     kind="heat-pumps")
            assert server.token_requests == 1 and server.requests == 0
        finally:
            podero.reset_client()


def test_the_admin_never_shows_a_resolution_links_secret(client, fake_podero, homeowner, django_user_model):
    link = "https://api.podero.example/api/partners/v2.0/cues/123/resolve?secret=TOPSECRET123"
    ev = payloads.electric_vehicle(action_needed=True, actions=[{
        "code": "reauthenticate", "resolution_link": {"url": link, "method": "POST",
                                                      "required_parameters": ["successUrl", "cancelUrl"]}}])
    fake_podero.add(homeowner.podero.podero_user_id, "electric-vehicles", ev)
    staff = django_user_model.objects.create_superuser(email="boss@partner.example", password="x" * 12)
    client.force_login(staff)
    html = client.get(reverse("admin:accounts_user_change", args=[homeowner.pk])).content.decode()
    assert "cues/123/resolve" in html and "TOPSECRET123" not in html and "secret=" not in html


def test_healthz_needs_neither_session_nor_database(client, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.db.utils import OperationalError

    def boom(*a, **kw):
        raise OperationalError("database is down")

    client.cookies["sessionid"] = "somesessionkey"
    monkeypatch.setattr(SessionStore, "load", boom)
    monkeypatch.setattr(connection, "cursor", boom)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down" and body["database"] == "unreachable"
    assert set(body) == {"status", "database", "redis", "broker"}


def test_healthz_reports_each_component(client):
    body = client.get("/healthz").json()
    assert body["database"] == "ok" and body["status"] in ("ok", "degraded")
    assert body["redis"] in ("ok", "not used", "unreachable") and body["broker"] in ("ok", "not used", "unreachable")
