"""Reconnect a device whose manufacturer login lapsed: our server starts the flow, the homeowner signs in
at the manufacturer (the simulator's Connect UI) and comes back to a device that works again."""

from __future__ import annotations

import html
import logging
import re
import uuid

import pytest
import requests
from django.urls import reverse

from devices.models import AuditEntry
from simulator import factories, stats
from simulator.models import Device, Organization

pytestmark = pytest.mark.django_db(transaction=True)


def _reconnect_url(kind: str, device_id: str) -> str:
    return reverse("dashboard:device-reconnect", kwargs={"kind": kind, "device_id": device_id})


def _handover_target(response) -> str:
    match = re.search(r'<meta http-equiv="refresh" content="1;url=([^"]+)">', response.content.decode())
    assert match, response.content.decode()[:500]
    return html.unescape(match.group(1))


def test_a_pending_reauthentication_is_resolved_through_our_server(sim, demo_homeowner, client, caplog):
    factories.require_reauth(Device.objects.get(id=sim.second_ev_id))
    client.force_login(demo_homeowner)
    page = client.get(reverse("dashboard:home")).content.decode()
    assert "The connection to your Volkswagen account has expired." in page
    assert _reconnect_url("electric-vehicle", sim.second_ev_id) in page

    with caplog.at_level(logging.INFO):
        response = client.post(_reconnect_url("electric-vehicle", sim.second_ev_id), {"action": "0"})
    assert response.status_code == 200
    target = _handover_target(response)
    assert f'href="{html.escape(target)}"' in response.content.decode()  # the same link, for no meta refresh
    assert stats.count(method="POST", path_contains="/resolve") == 1
    assert "secret=" not in caplog.text  # the cue's signed secret never reaches a log line
    row = AuditEntry.objects.get(action="reconnect")
    assert (row.outcome, row.values["code"], row.device_id) == ("ok", "reauthenticate", sim.second_ev_id)

    # The homeowner signs in at the manufacturer, which sends them back to our dashboard.
    connect = requests.get(target, allow_redirects=False, timeout=10)
    assert connect.status_code in (302, 303)
    back = connect.headers["Location"]
    assert back.startswith("http://testserver/?reconnected=")
    page = client.get(back.removeprefix("http://testserver")).content.decode()
    assert "Podero is checking the connection" in page
    assert "The connection to your Volkswagen account has expired." not in page


def test_a_lost_login_without_an_action_links_to_podero_or_opens_an_auth_session(sim, demo_homeowner, client):
    from django.conf import settings

    from simulator.models import PoderoUser

    lapsed = factories.create_inverter(PoderoUser.objects.get(id=sim.user_id), is_authenticated=False,
                                       manufacturer="SolarEdge", model="SE10K")
    client.force_login(demo_homeowner)
    page = client.get(reverse("dashboard:home")).content.decode()
    # The API gives an authorization_url for a lapsed device: the homeowner may open it directly.
    assert "This solar inverter is not connected to your SolarEdge account any more." in page
    assert re.search(r'href="' + re.escape(settings.PODERO_BASE_URL) + r'[^"]*" target="_blank" rel="noopener">'
                     r"Reconnect SolarEdge", page)
    # Without such a link the card posts to us, and we open an auth_session (the older reconnect path).
    response = client.post(_reconnect_url("inverter", str(lapsed.id)))
    assert response.status_code == 200
    assert _handover_target(response).startswith(settings.PODERO_BASE_URL)
    assert stats.count(method="POST", path_contains="/auth_session") == 1


def test_another_homeowners_device_is_not_found_and_nothing_is_sent(sim, demo_homeowner, client):
    org = Organization.objects.get(id=sim.org_id)
    stranger = factories.create_user(org, email="stranger@example.com")
    their_ev = factories.create_ev(stranger)
    factories.require_reauth(their_ev)
    client.force_login(demo_homeowner)
    response = client.post(_reconnect_url("electric-vehicle", str(their_ev.id)), {"action": "0"})
    assert response.status_code == 404
    assert stats.count(method="POST") == 0
    assert AuditEntry.objects.get(action="reconnect").outcome == "refused"


def test_reconnect_is_a_post_with_csrf(sim, demo_homeowner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(demo_homeowner)
    assert strict.post(_reconnect_url("electric-vehicle", sim.second_ev_id)).status_code == 403
    assert strict.get(_reconnect_url("electric-vehicle", sim.second_ev_id)).status_code == 405


def test_podero_down_says_so_and_keeps_the_homeowner_on_our_site(sim, demo_homeowner, client):
    from simulator import faults

    factories.require_reauth(Device.objects.get(id=sim.second_ev_id))
    client.force_login(demo_homeowner)
    client.get(reverse("dashboard:home"))
    faults.configure(error_count=1, error_status=503, path=r"/resolve$")
    response = client.post(_reconnect_url("electric-vehicle", sim.second_ev_id), {"action": "0"})
    assert response.status_code == 502
    assert "We could not open the manufacturer's sign-in just now" in html.unescape(response.content.decode())
    assert AuditEntry.objects.get(action="reconnect").outcome == "failed"


def test_a_resolution_link_to_another_host_is_never_called(sim, demo_homeowner, client, fake_podero):
    from tests import payloads

    ev = payloads.electric_vehicle(is_authenticated=False, action_needed=True, actions=[
        {"code": "reauthenticate", "resolution_link": {"url": "https://evil.example/steal", "required_parameters": []}}])
    fake_podero.add(demo_homeowner.podero.podero_user_id, "electric-vehicles", ev)
    from devices import podero

    real = podero.PoderoClient(base_url="https://podero.invalid", org_id=str(uuid.uuid4()), client_id="c",
                               client_secret="s")
    fake_podero.resolve_action = real.resolve_action  # the real host check, before any token is fetched
    client.force_login(demo_homeowner)
    response = client.post(_reconnect_url("electric-vehicle", ev["id"]), {"action": "0"})
    assert response.status_code == 502
    assert AuditEntry.objects.get(action="reconnect").outcome == "failed"
