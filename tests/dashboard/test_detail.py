"""Device detail: every reading of one of the homeowner's own devices; anyone else's id is a 404."""

from __future__ import annotations

import pytest

from devices import podero
from tests import payloads

pytestmark = pytest.mark.django_db


@pytest.fixture
def ev(homeowner, fake_podero):
    payload = payloads.electric_vehicle(battery_level=64, mystery_field={"a": [1, 2]}, is_over_charge_allowed=False)
    fake_podero.add(homeowner.podero.podero_user_id, "electric-vehicles", payload)
    return payload


def test_detail_shows_readings_model_connection_and_raw_data(client, homeowner, ev):
    client.force_login(homeowner)
    response = client.get(f"/devices/electric-vehicle/{ev['id']}/")
    html = response.content.decode().replace("\u00a0", " ")
    assert response.status_code == 200
    assert "<h1>Tesla Model 3</h1>" in html
    assert f'id="device-{ev["id"]}"' in html  # the same card as on the dashboard (controls work here too)
    assert "<dt>Battery capacity</dt><dd>75.0 kWh</dd>" in html
    assert "<dt>Manufacturer</dt><dd>Tesla</dd>" in html and "<dt>Year</dt><dd>2023</dd>" in html
    assert "<li>Podero receives its readings.</li>" in html and "<li>Podero can steer it.</li>" in html
    assert "<dt>Monitoring</dt>" not in html and "<dt>Status</dt>" not in html  # no raw API words as labels
    assert "optimisation" not in html.lower()  # one spelling: optimization
    assert "<summary>All data from Podero</summary>" in html
    assert "<code>mystery_field</code></th><td>{&quot;a&quot;: [1, 2]}</td>" in html
    assert "<code>is_over_charge_allowed</code></th><td>false</td>" in html


@pytest.mark.parametrize(("kind", "builder", "text"), [
    ("heat-pump", payloads.heat_pump, "<dt>Comfort range</dt><dd>19.5 °C – 23.5 °C</dd>"),
    ("inverter", payloads.inverter, "<dt>Solar rating</dt><dd>10.2 kWp</dd>"),
])
def test_detail_for_each_kind(client, homeowner, fake_podero, kind, builder, text):
    payload = builder()
    fake_podero.add(homeowner.podero.podero_user_id, f"{kind}s", payload)
    client.force_login(homeowner)
    response = client.get(f"/devices/{kind}/{payload['id']}/")
    assert response.status_code == 200
    assert text in response.content.decode().replace("\u00a0", " ")


def test_another_homeowners_device_is_404(client, homeowner, other_homeowner, fake_podero):
    theirs = fake_podero.add(other_homeowner.podero.podero_user_id, "electric-vehicles", payloads.electric_vehicle())
    client.force_login(homeowner)
    assert client.get(f"/devices/electric-vehicle/{theirs['id']}/").status_code == 404


def test_wrong_kind_or_unknown_kind_is_404(client, homeowner, ev):
    client.force_login(homeowner)
    assert client.get(f"/devices/heat-pump/{ev['id']}/").status_code == 404
    assert client.get(f"/devices/toaster/{ev['id']}/").status_code == 404
    assert client.get("/devices/electric-vehicle/not-a-uuid/").status_code == 404


def test_anonymous_is_sent_to_login(client, ev):
    response = client.get(f"/devices/electric-vehicle/{ev['id']}/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/devices/electric-vehicle/{ev['id']}/"


def test_anonymous_htmx_gets_hx_redirect(client, ev):
    response = client.get(f"/devices/electric-vehicle/{ev['id']}/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_podero_down_before_anything_loaded_is_a_clear_message(client, homeowner, fake_podero, ev):
    fake_podero.fail_with = podero.PoderoUnavailable("down")
    client.force_login(homeowner)
    response = client.get(f"/devices/electric-vehicle/{ev['id']}/")
    assert response.status_code == 200
    assert "We could not load this device." in response.content.decode()


def test_dashboard_card_title_links_to_the_detail(client, homeowner, ev):
    client.force_login(homeowner)
    html = client.get("/").content.decode()
    assert f'<a href="/devices/electric-vehicle/{ev["id"]}/">Tesla Model 3</a>' in html
