"""Adding and removing a device end to end against the simulator over real HTTP (no browser): our POST opens
the session, the homeowner goes through the simulator's Connect UI (a separate HTTP client, as a browser
tab at Podero would be), comes back to our return page and finds the new device; a removal whose answer
is lost is confirmed by re-reading the device with include_deleted."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse

from devices import podero
from devices.models import AuditEntry, DeviceOnboarding
from simulator import faults, stats
from simulator.models import Device
from tests.conftest import settle_background
from tests.resilience.helpers import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _handover_target(response) -> str:
    match = re.search(r'<meta http-equiv="refresh" content="1;url=([^"]+)">', response.content.decode())
    assert match, response.content.decode()[:500]
    return html.unescape(match.group(1))


def connect_ui(url: str, *, kind: str, manufacturer: str, password: str = "pw", action: str = "connect") -> str:
    """Walk the Connect UI like a browser (its own cookies and CSRF token); return where it redirects."""
    with requests.Session() as browser:
        step = browser.get(url + f"&kind={kind}", timeout=10)
        assert step.status_code == 200, step.text[:300]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', step.text).group(1)
        session_id = re.search(r'name="onboarding_session_id" value="([^"]+)"', step.text).group(1)
        answer = browser.post(url.split("?", 1)[0], timeout=10, allow_redirects=False, data={
            "csrfmiddlewaretoken": token, "onboarding_session_id": session_id, "kind": kind,
            "manufacturer": manufacturer, "email": "me@example.com", "password": password, "action": action},
            headers={"Referer": url})
    assert answer.status_code == 303, answer.text[:300]
    return answer.headers["Location"]


def test_a_device_added_through_the_connect_ui_appears_on_the_dashboard(sim, demo_homeowner, client):
    client.force_login(demo_homeowner)
    client.get(reverse("dashboard:home"))
    target = _handover_target(client.post(reverse("dashboard:device-add")))
    assert target.startswith(podero.get_client().base_url + "/_sim/connect?onboarding_session_id=")
    assert stats.count(method="POST", path_contains="/device-onboarding") == 1

    back = connect_ui(target, kind="inverter", manufacturer="SolarEdge")
    row = DeviceOnboarding.objects.get()
    assert back == "http://testserver" + reverse("dashboard:device-add-status", args=[row.ref])
    done = client.get(urlsplit(back).path)
    created = Device.objects.get(owner_id=sim.user_id, kind="inverter", attrs__device_model__manufacturer="SolarEdge")
    assert done.status_code == 302 and done["Location"].endswith(f"#device-{created.id}")
    page = html.unescape(client.get(done["Location"]).content.decode())
    assert "SolarEdge SE10K was added to your home." in page and f'id="device-{created.id}"' in page
    assert AuditEntry.objects.get(action="device_added").device_kind == "inverters"


def test_a_refused_sign_in_comes_back_through_the_cancel_url(sim, demo_homeowner, client):
    client.force_login(demo_homeowner)
    target = _handover_target(client.post(reverse("dashboard:device-add")))
    back = connect_ui(target, kind="heat_pump", manufacturer="Daikin", password="wrong")
    assert back.endswith("/cancelled")
    page = html.unescape(client.get(urlsplit(back).path).content.decode())
    assert "No device was added." in page
    assert not Device.objects.filter(owner_id=sim.user_id, attrs__device_model__manufacturer="Daikin").exists()


@pytest.fixture
def slow(sim, settings) -> Iterator[None]:
    settings.PODERO_READ_TIMEOUT = 0.4
    settings.PODERO_TOTAL_TIMEOUT = 1.2
    podero.reset_client()
    yield
    faults.reset()


def _stalled_removal(client, sim, phase: str):
    client.get(reverse("dashboard:home"))
    settle_background()
    faults.configure(timeout_count=1, timeout_s=3, timeout_phase=phase, path=rf"inverters/{sim.inverter_id}$")
    response = client.post(reverse("dashboard:device-remove", args=["inverter", sim.inverter_id]))
    faults.reset()
    wait_until(lambda: stats.count(method="PUT", path_contains=sim.inverter_id) >= 1, timeout=10)
    assert stats.count(method="PUT", path_contains=sim.inverter_id) == 1  # never sent again
    assert stats.count(method="GET", path_contains=f"inverters/{sim.inverter_id}") == 1  # the one re-read
    return response


def test_a_removal_applied_but_unanswered_reads_as_removed(slow, sim, demo_homeowner, client):
    client.force_login(demo_homeowner)
    response = _stalled_removal(client, sim, "after")
    assert response.status_code == 302
    assert "was removed from your home" in html.unescape(client.get(response["Location"]).content.decode())
    entry = AuditEntry.objects.get(action="device_remove")
    assert entry.outcome == "ok" and entry.resolved_at is not None
    assert Device.objects.get(id=sim.inverter_id).deleted_at is not None


def test_a_removal_never_applied_reads_as_not_removed(slow, sim, demo_homeowner, client):
    client.force_login(demo_homeowner)
    response = _stalled_removal(client, sim, "drop")
    assert response.status_code == 502
    assert "The device was not removed." in html.unescape(response.content.decode())
    assert AuditEntry.objects.get(action="device_remove").outcome == "failed"
    assert Device.objects.get(id=sim.inverter_id).deleted_at is None
