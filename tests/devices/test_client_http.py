"""PoderoClient against the simulator over real HTTP (pytest-django's live_server)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import requests

from devices import podero
from devices.schemas import BoostState, parse_device
from simulator import clock, factories, stats
from simulator.models import Organization, PoderoUser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_(sim):
    return podero.get_client()


def test_token_flow_fetches_one_token_and_reuses_it(sim, client_):
    client_.list_devices(user_id=sim.user_id, kind="heat-pumps")
    client_.list_devices(user_id=sim.user_id, kind="inverters")
    assert stats.count(kind="token") == 1
    assert client_.tokens.expires_at() is not None


def test_wrong_secret_is_an_auth_error(sim, settings):
    settings.PODERO_CLIENT_SECRET = "wrong"
    podero.reset_client()
    with pytest.raises(podero.PoderoAuthError):
        podero.get_client().list_devices(user_id=sim.user_id, kind="heat-pumps")


@pytest.mark.parametrize("kind", podero.KINDS)
def test_each_list_and_detail(sim, client_, kind):
    rows = client_.list_devices(user_id=sim.user_id, kind=kind)
    assert rows, kind
    for row in rows:
        detail = client_.get_device(user_id=sim.user_id, kind=kind, device_id=row["id"])
        assert detail["id"] == row["id"]
        device = parse_device(kind, detail)
        assert device.id == row["id"] and device.manufacturer


def test_put_changes_a_writable_field_and_returns_the_device(sim, client_):
    body = client_.update_device(user_id=sim.user_id, kind="heat-pumps", device_id=sim.heat_pump_id,
                                 fields={"is_smart_optimization_active": False})
    assert body["is_smart_optimization_active"] is False
    again = client_.get_device(user_id=sim.user_id, kind="heat-pumps", device_id=sim.heat_pump_id)
    assert again["is_smart_optimization_active"] is False
    assert again["current_mode"] is None  # optimization off: no current mode (fact sheet §8 #22)


def test_put_with_a_read_only_field_is_a_validation_error(sim, client_):
    with pytest.raises(podero.PoderoValidationError) as exc:
        client_.update_device(user_id=sim.user_id, kind="heat-pumps", device_id=sim.heat_pump_id,
                              fields={"current_power_consumption_w": 1})
    assert "current_power_consumption_w" in exc.value.field_errors


def test_boost_plugged_in_idle_starts_then_becomes_ongoing(sim, client_):
    start = clock.freeze()
    client_.start_boost(user_id=sim.user_id, device_id=sim.ev_id)
    ev = parse_device("electric-vehicles", client_.get_device(user_id=sim.user_id, kind="electric-vehicles",
                                                              device_id=sim.ev_id))
    assert ev.boost_state is BoostState.REQUESTED
    clock.freeze(start + timedelta(seconds=30))
    ev = parse_device("electric-vehicles", client_.get_device(user_id=sim.user_id, kind="electric-vehicles",
                                                              device_id=sim.ev_id))
    assert ev.boost_state is BoostState.ONGOING and ev.is_charging
    with pytest.raises(podero.PoderoConflict) as exc:
        client_.start_boost(user_id=sim.user_id, device_id=sim.ev_id)
    assert exc.value.reason == "already_charging"


def test_boost_unplugged_is_armed_and_cancel_disarms(sim, client_):
    client_.start_boost(user_id=sim.user_id, device_id=sim.second_ev_id)
    raw = client_.get_device(user_id=sim.user_id, kind="electric-vehicles", device_id=sim.second_ev_id)
    assert raw["boost_for_next_session"] is True and raw["boost_state"] == "unavailable"
    client_.cancel_boost(user_id=sim.user_id, device_id=sim.second_ev_id)
    raw = client_.get_device(user_id=sim.user_id, kind="electric-vehicles", device_id=sim.second_ev_id)
    assert raw["boost_for_next_session"] is False


def test_boost_on_a_full_car_is_a_conflict(sim, client_):
    user = PoderoUser.objects.get(id=sim.user_id)
    full = factories.create_ev(user, battery_level=100, is_plugged_in=True)
    with pytest.raises(podero.PoderoConflict) as exc:
        client_.start_boost(user_id=sim.user_id, device_id=full.id)
    assert exc.value.reason == "fully_charged"


def test_boost_post_is_never_retried(sim, client_):
    from simulator import faults

    faults.configure(error_count=1, error_status=503, path=r"/boost$")
    with pytest.raises(podero.PoderoServerError):
        client_.start_boost(user_id=sim.user_id, device_id=sim.ev_id)
    assert stats.count(method="POST", path_contains="/boost") == 1


def test_charge_policy_round_trip(sim, client_):
    week = {day: {"charge_percentage": 70, "charge_deadline": "06:30"} for day in
            ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    week["sat"] = {"charge_percentage": 50, "charge_deadline": "10:00"}
    client_.put_charge_policy(user_id=sim.user_id, device_id=sim.ev_id, policy={**week, "timezone": "Europe/Berlin"})
    got = client_.get_charge_policy(user_id=sim.user_id, device_id=sim.ev_id)
    assert got["data"]["sat"] == {"charge_percentage": 50, "charge_deadline": "10:00"}
    assert got["data"]["timezone"] == "Europe/Berlin"
    assert got["metadata"]["electric_vehicle_id"] == sim.ev_id


def test_charge_policy_with_a_bad_percentage_is_refused(sim, client_):
    week = {day: {"charge_percentage": 70, "charge_deadline": "06:30"} for day in
            ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    week["mon"]["charge_percentage"] = 170
    with pytest.raises(podero.PoderoValidationError):
        client_.put_charge_policy(user_id=sim.user_id, device_id=sim.ev_id, policy={**week, "timezone": "UTC"})


def test_a_revoked_token_is_renewed_transparently_once(sim, client_):
    client_.list_devices(user_id=sim.user_id, kind="inverters")
    old = client_.tokens.get()
    from simulator.models import AccessToken

    AccessToken.objects.all().delete()  # Podero forgot our token (e.g. expired early)
    rows = client_.list_devices(user_id=sim.user_id, kind="inverters")
    assert rows and client_.tokens.get() != old
    assert stats.count(kind="token") == 2


def test_a_bad_bearer_token_gets_401_from_the_simulator(sim, live_server):
    url = f"{live_server.url}/simulator/api/partners/v2.0/org/{sim.org_id}/users/{sim.user_id}/heat-pumps"
    response = requests.get(url, headers={"Authorization": "Bearer nonsense"}, timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_another_users_device_is_not_found(sim, client_):
    org = Organization.objects.get(id=sim.org_id)
    stranger = factories.create_user(org, email="stranger@example.com")
    their_ev = factories.create_ev(stranger)
    with pytest.raises(podero.PoderoNotFound):
        client_.get_device(user_id=sim.user_id, kind="electric-vehicles", device_id=their_ev.id)
    with pytest.raises(podero.PoderoNotFound):
        client_.get_device(user_id=sim.user_id, kind="electric-vehicles", device_id=uuid.uuid4())
