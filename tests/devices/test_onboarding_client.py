"""The client's onboarding and soft-delete calls against the simulator over real HTTP."""

from __future__ import annotations

import pytest

from devices import podero
from devices.podero.onboarding import _session
from simulator import faults, stats
from tests.resilience.helpers import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BACK = "http://testserver/devices/add/x"


@pytest.fixture
def client_(sim):
    return podero.get_client()


def _create(client_, sim, **extra):
    return client_.create_onboarding(user_id=sim.user_id, language="en", price_zone_default="AT",
                                     is_smart_optimization_active_default=True, success_url=BACK + "/done",
                                     cancel_url=BACK + "/cancelled", **extra)


def test_create_and_read_an_onboarding_session(sim, client_):
    session = _create(client_, sim, device_type="ev")
    assert session["user"] == sim.user_id and session["object_id"] is None
    assert session["authentication_url"].startswith(podero.get_client().base_url)
    assert client_.get_onboarding(onboarding_id=session["id"]) == session
    # The documented path has no /org/{org}: the user travels in the body.
    assert stats.count(method="POST", path_contains="/api/partners/v2.0/device-onboarding") == 1
    assert stats.count(path_contains="/org/") == 0


def test_a_post_that_times_out_is_an_unknown_outcome_and_is_never_retried(sim, settings):
    settings.PODERO_READ_TIMEOUT = 0.4
    settings.PODERO_TOTAL_TIMEOUT = 1.2
    podero.reset_client()
    client_ = podero.get_client()
    client_.list_devices(user_id=sim.user_id, kind="inverters")  # the token is fetched before the fault
    faults.configure(timeout_count=1, timeout_s=3, timeout_phase="after", path=r"device-onboarding$")
    with pytest.raises(podero.PoderoWriteTimeout):
        _create(client_, sim)
    faults.reset()  # wakes the stalled request, which is counted once it has answered
    wait_until(lambda: stats.count(method="POST", path_contains="device-onboarding") >= 1, timeout=10)
    assert stats.count(method="POST", path_contains="device-onboarding") == 1


def test_a_server_error_on_the_post_is_not_retried(sim, client_):
    faults.configure(error_count=1, error_status=503, path=r"device-onboarding$")
    with pytest.raises(podero.PoderoServerError):
        _create(client_, sim)
    assert stats.count(method="POST", path_contains="device-onboarding") == 1


def test_reading_a_session_is_retried_like_every_get(sim, client_):
    session = _create(client_, sim)
    faults.configure(error_count=1, error_status=503, path=r"device-onboarding/")
    assert client_.get_onboarding(onboarding_id=session["id"])["id"] == session["id"]
    assert stats.count(method="GET", path_contains="device-onboarding/") == 2


def test_an_unknown_session_is_not_found(sim, client_):
    with pytest.raises(podero.PoderoNotFound):
        client_.get_onboarding(onboarding_id="00000000-0000-4000-8000-000000000000")


def test_delete_device_soft_deletes_with_a_put_of_deleted_at(sim, client_):
    answer = client_.delete_device(user_id=sim.user_id, kind="inverters", device_id=sim.inverter_id)
    assert answer["deleted_at"] and answer["lifecycle_state"] == "deleted"
    assert stats.count(method="PUT", path_contains=sim.inverter_id) == 1
    assert client_.list_devices(user_id=sim.user_id, kind="inverters") == []
    with pytest.raises(podero.PoderoNotFound):
        client_.get_device(user_id=sim.user_id, kind="inverters", device_id=sim.inverter_id)
    found = client_.get_device_including_deleted(user_id=sim.user_id, kind="inverters", device_id=sim.inverter_id)
    assert found["deleted_at"] == answer["deleted_at"]


@pytest.mark.parametrize("data", [None, [], {"id": "x", "authentication_url": "https://a"},
                                  {"id": "00000000-0000-4000-8000-000000000000", "authentication_url": "javascript:x"},
                                  {"id": "00000000-0000-4000-8000-000000000000"}])
def test_an_unusable_session_is_a_bad_response(data):
    with pytest.raises(podero.PoderoBadResponse):
        _session(data)
