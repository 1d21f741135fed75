"""A write invalidates the homeowner's cached lists, so the next page shows the new state."""

from __future__ import annotations

import threading
import time

import pytest

from devices import services
from tests import payloads
from tests.fakes import FakePodero

pytestmark = pytest.mark.redis


def _ev(overview):
    return overview.kinds["electric-vehicles"].devices[0]


def test_write_then_read_refetches_and_shows_the_new_state(redis_cache, fake_podero, link):
    ev = fake_podero.add(link.podero_user_id, "electric-vehicles", payloads.electric_vehicle(boost_state="available"))
    assert _ev(services.device_overview(link=link)).boost_state == "available"
    before = len(fake_podero.list_calls("list_devices"))

    fake_podero.start_boost(user_id=link.podero_user_id, device_id=ev["id"])  # the upstream write ...
    services.invalidate(link=link, kinds=("electric-vehicles",))  # ... and what every write service does next

    after = services.device_overview(link=link)
    assert _ev(after).boost_state == "requested"
    calls = fake_podero.list_calls("list_devices")[before:]
    assert calls == [("list_devices", "electric-vehicles")]  # only the invalidated kind was fetched again
    # and the refetched list is fresh again: no further call
    services.device_overview(link=link)
    assert len(fake_podero.list_calls("list_devices")) == before + 1


def test_invalidated_data_is_still_the_fallback_when_podero_is_down(redis_cache, fake_podero, link):
    from devices import podero

    fake_podero.add(link.podero_user_id, "electric-vehicles", payloads.electric_vehicle())
    services.device_overview(link=link)
    services.invalidate(link=link)
    fake_podero.fail_with = podero.PoderoUnavailable("down")
    overview = services.device_overview(link=link)
    assert len(overview.devices) == 1 and overview.stale and overview.error == "Podero is not reachable."


def test_a_write_during_an_in_flight_read_is_not_hidden_by_that_read(redis_cache, slow_podero, link):
    """A GET that started before the write may carry the old state: it must not be cached as fresh."""
    ev = slow_podero.add(link.podero_user_id, "electric-vehicles", payloads.electric_vehicle(boost_state="available"))
    started = threading.Event()

    def list_devices(**kw):
        answer = FakePodero.list_devices(slow_podero, **kw)  # Podero answers with the state before the write
        started.set()
        time.sleep(0.3)  # ... and the answer is still on its way while the write happens
        return answer

    slow_podero.list_devices = list_devices
    reader = threading.Thread(target=services.device_overview, kwargs={"link": link, "kinds": ("electric-vehicles",)})
    reader.start()
    assert started.wait(5)
    slow_podero.start_boost(user_id=link.podero_user_id, device_id=ev["id"])
    services.invalidate(link=link, kinds=("electric-vehicles",))
    reader.join(10)
    ev_now = _ev(services.device_overview(link=link))
    assert ev_now.boost_state == "requested"


def test_invalidate_clears_the_error_memo(redis_cache, fake_podero, link):
    from devices import podero

    fake_podero.add(link.podero_user_id, "inverters", payloads.inverter())
    fake_podero.fail_with = podero.PoderoUnavailable("blip")
    assert services.device_overview(link=link).never_loaded
    fake_podero.fail_with = None
    services.invalidate(link=link)  # e.g. a write just succeeded: Podero is evidently back
    assert len(services.device_overview(link=link).devices) == 1
