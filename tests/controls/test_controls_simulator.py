"""The controls end to end: our views → PoderoClient over HTTP → the simulator (live_server)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from django.urls import reverse

from dashboard import controls
from devices import services
from devices.models import AuditEntry
from simulator import clock, config, factories, stats
from simulator.models import Device as SimDevice
from simulator.models import Organization

from .conftest import HTMX


def url(name, *args):
    return reverse(f"dashboard:{name}", args=args)


@pytest.fixture
def owner(client, sim, demo_homeowner) -> Iterator:
    """The demo homeowner, logged in, with a frozen simulator clock and a short boost delay."""
    client.force_login(demo_homeowner)
    config.configure(boost_delay_s=5)
    clock.freeze()
    yield client
    config.reset()
    clock.unfreeze()


def sim_ev(device_id: str) -> SimDevice:
    return SimDevice.objects.get(id=device_id)


def writes() -> int:
    return sum(stats.count(method=m) for m in ("POST", "PUT", "DELETE", "PATCH"))


def test_boost_plugged_idle_requested_then_charging(owner, sim, monkeypatch):
    card = owner.get(url("home")).content.decode()
    assert re.search(rf'action="{url("ev-boost", sim.ev_id)}"', card)
    response = owner.post(url("ev-boost", sim.ev_id), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Starting…" in html and 'hx-trigger="every 3s"' in html
    assert stats.count(method="POST", path_contains="/boost") == 1

    poll = url("ev-boost-poll", sim.ev_id)
    response = owner.get(poll, **HTMX)
    assert response.status_code == 200 and "Starting…" in response.content.decode()
    clock.advance(seconds=config.boost_delay_s() + 0.5)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3)  # our side of the clock moves on too: the next poll
    response = owner.get(poll, **HTMX)
    assert response.status_code == 286
    html = response.content.decode()
    assert "Charging at full power until" in html and "every 3s" not in html
    assert not re.search(r"<button[^>]*disabled[^>]*>Charging</button>", html)  # no dead stop button
    assert stats.count(method="POST", path_contains="/boost") == 1  # polling never re-posts


def test_boost_twice_is_a_friendly_409(owner, sim):
    owner.post(url("ev-boost", sim.ev_id), **HTMX)
    # While the first is still `requested`, Podero answers 409: it is still starting, not refused.
    response = owner.post(url("ev-boost", sim.ev_id), **HTMX)
    assert response.status_code == 200
    assert str(controls.BOOST_STILL_STARTING) in response.content.decode()
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.outcome, entry.upstream_status) == ("conflict", 409)
    response = owner.post(url("ev-boost", sim.ev_id), follow=True)
    assert str(controls.BOOST_STILL_STARTING) in response.content.decode()


def test_unplugged_boost_is_armed_then_cancelled(owner, sim):
    card = owner.get(url("home")).content.decode()
    assert "Charge when plugged in" in card  # the second demo EV is unplugged
    response = owner.post(url("ev-boost", sim.second_ev_id), **HTMX)
    html = response.content.decode()
    assert "Will charge at full power as soon as you plug in." in html and ">Cancel</button>" in html
    assert owner.get(url("home")).content.decode().count(">Cancel</button>") == 1  # read back from Podero
    response = owner.post(url("ev-boost-cancel", sim.second_ev_id), **HTMX)
    assert ">Cancel</button>" not in response.content.decode()
    assert stats.count(method="DELETE", path_contains="/boost") == 1


def test_armed_boost_fires_on_plug_in(owner, sim, demo_homeowner):
    owner.post(url("ev-boost", sim.second_ev_id))
    factories.set_plugged_in(sim_ev(sim.second_ev_id), True)
    services.invalidate(link=demo_homeowner.podero)
    html = owner.get(url("home")).content.decode()
    assert "Starting… (usually under a minute)" in html or "Charging at full power until" in html


def test_pause_and_resume_against_the_simulator(owner, sim):
    response = owner.post(url("optimization", "heat-pump", sim.heat_pump_id), {"active": "0"}, **HTMX)
    assert "your heat pump follows its own schedule until you resume" in response.content.decode()
    assert stats.count(method="PUT", path_contains="heat-pumps") == 1
    assert "Resume optimization" in owner.get(url("home")).content.decode()
    response = owner.post(url("optimization", "inverter", sim.inverter_id), {"active": "0"}, follow=True)
    assert "your inverter and battery follow their own settings until you resume" in response.content.decode()
    owner.post(url("optimization", "heat-pump", sim.heat_pump_id), {"active": "1"})
    assert "Pause optimization" in owner.get(url("home")).content.decode()


def test_deadline_and_weekly_schedule_persist(owner, sim):
    data = {"enabled": "1", "minimum_charge_limit": "75", "charge_deadline_at": "06:45"}
    assert owner.post(url("ev-deadline", sim.ev_id), data).status_code == 302
    page = owner.get(url("ev-schedule", sim.ev_id)).content.decode()
    assert re.search(r'name="tue_percentage"[^>]*value="75"', page)  # §8 #21: the daily default fills the week
    week = {f"{d}_percentage": "80" for d in services.WEEKDAYS} | {f"{d}_deadline": "07:00" for d in services.WEEKDAYS}
    week.update(sat_percentage="50", sat_deadline="10:00", action="save")
    assert owner.post(url("ev-schedule", sim.ev_id), week).status_code == 302
    page = owner.get(url("ev-schedule", sim.ev_id)).content.decode()
    assert re.search(r'name="sat_deadline"[^>]*value="10:00"', page)
    assert "in your time zone, Vienna" in page and "was saved in" not in page  # sent in the homeowner's zone
    assert stats.count(method="PUT", path_contains="charge-policy") == 1
    owner.post(url("ev-deadline", sim.ev_id), {"enabled": "0"})
    assert "no deadline, fully cost-optimized" in owner.get(url("home")).content.decode()


def test_invalid_input_never_reaches_the_simulator(owner, sim):
    before = writes()
    response = owner.post(url("ev-deadline", sim.ev_id),
                          {"enabled": "1", "minimum_charge_limit": "180", "charge_deadline_at": "7:5"})
    assert response.status_code == 422 and 'value="180"' in response.content.decode()
    week = {f"{d}_percentage": "80" for d in services.WEEKDAYS} | {f"{d}_deadline": "07:00" for d in services.WEEKDAYS}
    week.update(sat_percentage="180", action="save")
    assert owner.post(url("ev-schedule", sim.ev_id), week).status_code == 422
    assert writes() == before


def test_another_podero_users_ev_is_404_without_upstream_write(owner, sim):
    org = Organization.objects.get(id=sim.org_id)
    stranger = factories.create_user(org, email="stranger@example.com")
    foreign = factories.create_ev(stranger, is_plugged_in=True)
    before = writes()
    assert owner.post(url("ev-boost", foreign.id), **HTMX).status_code == 404
    assert owner.post(url("ev-deadline", foreign.id), {"enabled": "0"}).status_code == 404
    assert writes() == before
    assert AuditEntry.objects.filter(outcome="refused", device_id=str(foreign.id)).count() == 2


def test_simulator_422_is_mapped_onto_the_day(owner, sim, demo_homeowner):
    from datetime import time

    days = {d: services.DayPlan(percentage=80, deadline=time(7, 0)) for d in services.WEEKDAYS}
    days["wed"] = services.DayPlan(percentage=150, deadline=time(7, 0))  # past our form, as if it had a bug
    policy = services.ChargePolicy(days=days, timezone="Europe/Vienna")
    with pytest.raises(services.WriteInvalid) as caught:
        services.ev_charge_policy_set(user=demo_homeowner, link=demo_homeowner.podero, device_id=sim.ev_id,
                                      policy=policy)
    assert "wed.charge_percentage" in caught.value.field_errors, caught.value.field_errors
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.outcome, entry.upstream_status) == ("invalid", 422)


# --- A write is sent once, whatever happens to it ------------------------------------------------------
BOOST_FAULTS = {
    "502": {"error_count": 1, "error_status": 502},
    "503": {"error_count": 1, "error_status": 503},
    "429": {"rate_limit_count": 1, "retry_after": 0},
    "timeout-before": {"timeout_count": 1, "timeout_s": 5, "timeout_phase": "before"},
    "timeout-after": {"timeout_count": 1, "timeout_s": 5, "timeout_phase": "after"},
    "timeout-drop": {"timeout_count": 1, "timeout_s": 5, "timeout_phase": "drop"},
}


@pytest.mark.parametrize("fault", list(BOOST_FAULTS))
def test_boost_is_never_retried(owner, sim, settings, monkeypatch, fault):
    """The real PoderoClient over HTTP: the GET retries (5xx, timeouts, a short 429) never apply to a POST.
    The simulator fails the first POST .../boost; it must receive exactly that one."""
    from devices import podero
    from simulator import faults
    from tests.conftest import settle_background
    from tests.resilience.helpers import wait_until

    owner.get(url("home"))  # the lists are cached: the boost's only upstream call is its own POST
    settle_background()
    settings.PODERO_READ_TIMEOUT = 1.0  # shorter than the stall below ...
    settings.PODERO_TOTAL_TIMEOUT = 3.0  # ... with room for a retry, if the client (wrongly) made one
    podero.reset_client()
    arrived: list[str] = []  # every request the simulator receives, counted as it arrives (a stalled one
    real_plan = faults.plan  # is only counted by `stats` once it has answered)

    def counting_plan(*, method: str, path: str) -> faults.Plan:
        if method == "POST" and path.rstrip("/").endswith("/boost"):
            arrived.append(path)
        return real_plan(method=method, path=path)

    monkeypatch.setattr(faults, "plan", counting_plan)
    stats.reset()
    faults.configure(path=rf"electric-vehicles/{sim.ev_id}/boost$", **BOOST_FAULTS[fault])
    response = owner.post(url("ev-boost", sim.ev_id), **HTMX)
    assert response.status_code in (200, 202, 429)
    assert arrived == [f"/simulator/api/partners/v2.0/org/{sim.org_id}/users/{sim.user_id}/electric-vehicles/"
                       f"{sim.ev_id}/boost"]
    faults.reset()  # wakes a stalled request; it is counted once it has answered
    wait_until(lambda: stats.count(method="POST", path_contains="/boost") >= 1)
    assert stats.count(method="POST", path_contains="/boost") == 1 and len(arrived) == 1
    assert AuditEntry.objects.filter(action="boost_start").count() == 1
