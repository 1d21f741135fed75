"""Every write invalidates what it changed by itself, so the next read asks Podero again and shows the
new state. The tests call the write services as the views do and never `services.invalidate()`: a write
that stopped invalidating would fail here."""

from __future__ import annotations

import inspect
import re
import threading
import time
from datetime import time as dtime
from types import SimpleNamespace

import pytest

from devices import podero, services
from devices.services import writes
from tests import payloads
from tests.fakes import FakePodero

pytestmark = [pytest.mark.redis, pytest.mark.django_db]
EV = "electric-vehicles"


def _ev(overview):
    return overview.kinds[EV].devices[0]


def _policy(percentage: int):
    days = {d: services.DayPlan(percentage=percentage, deadline=dtime(7, 0)) for d in services.WEEKDAYS}
    return services.ChargePolicy(days=days, timezone="Europe/Vienna")


# Every write service, as a view calls it: (kind, device, call(user, link, device_id)).
WRITES = {
    "optimization_set[heat-pumps]": ("heat-pumps", lambda u, link, d: writes.optimization_set(
        user=u, link=link, kind="heat-pumps", device_id=d, active=False)),
    "optimization_set[inverters]": ("inverters", lambda u, link, d: writes.optimization_set(
        user=u, link=link, kind="inverters", device_id=d, active=False)),
    "ev_boost_start": (EV, lambda u, link, d: writes.ev_boost_start(user=u, link=link, device_id=d)),
    "ev_boost_cancel": (EV, lambda u, link, d: writes.ev_boost_cancel(user=u, link=link, device_id=d)),
    "ev_charge_deadline_set": (EV, lambda u, link, d: writes.ev_charge_deadline_set(
        user=u, link=link, device_id=d, enabled=True, minimum_charge_limit=70, deadline=dtime(6, 30))),
    "ev_charge_policy_set": (EV, lambda u, link, d: writes.ev_charge_policy_set(
        user=u, link=link, device_id=d, policy=_policy(60))),
    "device_reconnect_start": (EV, lambda u, link, d: writes.device_reconnect_start(
        user=u, link=link, kind=EV, device_id=d, action_index=None, success_url="http://testserver/",
        cancel_url="http://testserver/")),
}
POLICY_WRITES = {"ev_charge_deadline_set", "ev_charge_policy_set"}  # these change the weekly policy too


def test_every_write_service_is_covered():
    """A new write service (anything public in writes.py that goes through `_write`) must be added above."""
    found = {name for name, fn in inspect.getmembers(writes, inspect.isfunction)
             if fn.__module__ == writes.__name__ and not name.startswith("_")
             and re.search(r"\b_write\(", inspect.getsource(fn))}
    assert found == {name.split("[")[0] for name in WRITES}


@pytest.fixture
def owned(redis_cache, fake_podero, homeowner) -> SimpleNamespace:
    uid = homeowner.podero.podero_user_id
    devices = {"heat-pumps": fake_podero.add(uid, "heat-pumps", payloads.heat_pump()),
               "inverters": fake_podero.add(uid, "inverters", payloads.inverter()),
               EV: fake_podero.add(uid, EV, payloads.electric_vehicle(boost_for_next_session=True))}
    return SimpleNamespace(user=homeowner, link=homeowner.podero, fake=fake_podero, devices=devices)


def _reads(owned, kind: str, device_id: str, policy: bool) -> None:
    """What the pages read after a change: the lists, the device's own detail (the boost poll) and, for
    an EV, its weekly policy (the schedule form)."""
    services.device_overview(link=owned.link)
    services.device_fetch_fresh(link=owned.link, kind=kind, device_id=device_id)
    if policy:
        services.ev_charge_policy_get(link=owned.link, device_id=device_id)


def _gets(fake, kind: str, device_id: str) -> dict[str, int]:
    return {"list": len([c for c in fake.calls if c == ("list_devices", kind)]),
            "detail": len([c for c in fake.calls if c == ("get_device", kind, device_id)]),
            "policy": len([c for c in fake.calls if c == ("get_charge_policy", device_id)])}


@pytest.mark.parametrize("name", list(WRITES))
def test_each_write_invalidates_by_itself(owned, name):
    kind, write = WRITES[name]
    device_id = owned.devices[kind]["id"]
    policy = kind == EV
    _reads(owned, kind, device_id, policy)
    _reads(owned, kind, device_id, policy)  # everything is fresh now: this second round asks nothing
    before = _gets(owned.fake, kind, device_id)
    assert before == {"list": 1, "detail": 1, "policy": 1 if policy else 0}

    write(owned.user, owned.link, device_id)
    after_write = _gets(owned.fake, kind, device_id)  # (a boost re-reads the car itself, once)
    _reads(owned, kind, device_id, policy)
    after = _gets(owned.fake, kind, device_id)
    assert after["list"] == after_write["list"] + 1, f"{name} did not invalidate the {kind} list"
    assert after["detail"] == after_write["detail"] + 1, f"{name} did not invalidate the device's detail"
    if name in POLICY_WRITES:
        assert after["policy"] == after_write["policy"] + 1, f"{name} did not invalidate the weekly policy"
    # Only what the write touched is fetched again: the other kinds' lists stay as they are.
    others = [k for k in ("heat-pumps", "inverters", EV) if k != kind]
    assert all(len([c for c in owned.fake.calls if c == ("list_devices", k)]) == 1 for k in others)


def test_a_boost_then_read_shows_the_new_state(owned):
    ev = owned.devices[EV]
    ev.update(boost_for_next_session=False, boost_state="available")
    assert _ev(services.device_overview(link=owned.link)).boost_state == "available"
    writes.ev_boost_start(user=owned.user, link=owned.link, device_id=ev["id"])
    assert _ev(services.device_overview(link=owned.link)).boost_state == "requested"
    lists = len(owned.fake.list_calls("list_devices"))
    services.device_overview(link=owned.link)  # the refetched list is fresh again: no further call
    assert len(owned.fake.list_calls("list_devices")) == lists


def test_after_a_write_the_old_data_is_still_the_fallback_when_podero_is_down(owned):
    services.device_overview(link=owned.link)
    writes.ev_boost_cancel(user=owned.user, link=owned.link, device_id=owned.devices[EV]["id"])
    owned.fake.fail_with = podero.PoderoUnavailable("down")
    overview = services.device_overview(link=owned.link, kinds=(EV,))
    assert len(overview.devices) == 1 and overview.stale and overview.error == "Podero is not reachable."


def test_a_write_during_an_in_flight_read_is_not_hidden_by_that_read(redis_cache, slow_podero, homeowner,
                                                                      monkeypatch):
    """A GET that started before the write may carry the old state: it must not be cached as fresh."""
    link = homeowner.podero
    ev = slow_podero.add(link.podero_user_id, EV, payloads.electric_vehicle(boost_state="available"))
    slow_podero.delay = 0
    services.device_overview(link=link, kinds=(EV,))  # cached and fresh: the write's ownership check reads it
    started = threading.Event()

    def list_devices(**kw):
        answer = FakePodero.list_devices(slow_podero, **kw)  # Podero answers with the state before the write
        started.set()
        time.sleep(0.3)  # ... and the answer is still on its way while the write happens
        return answer

    slow_podero.list_devices = list_devices
    monkeypatch.setattr(services.reads, "MIN_FORCE_INTERVAL", 0)
    reader = threading.Thread(target=services.device_overview,
                              kwargs={"link": link, "kinds": (EV,), "force": True})  # the Refresh button
    reader.start()
    assert started.wait(5)
    writes.ev_boost_start(user=homeowner, link=link, device_id=ev["id"])
    reader.join(10)
    assert _ev(services.device_overview(link=link, kinds=(EV,))).boost_state == "requested"


def test_a_write_clears_the_error_memo(owned, monkeypatch):
    """Podero failed a moment ago (remembered for a few seconds), then a write succeeds: Podero is
    evidently back, so the next read asks at once instead of repeating the old failure."""
    services.device_overview(link=owned.link)
    monkeypatch.setattr(services.reads, "MIN_FORCE_INTERVAL", 0)
    owned.fake.fail_with = podero.PoderoUnavailable("blip")
    assert services.device_overview(link=owned.link, kinds=("inverters",), force=True).error
    owned.fake.fail_with = None
    writes.optimization_set(user=owned.user, link=owned.link, kind="inverters",
                            device_id=owned.devices["inverters"]["id"], active=False)
    overview = services.device_overview(link=owned.link, kinds=("inverters",))
    assert overview.error is None and overview.devices[0].is_smart_optimization_active is False
