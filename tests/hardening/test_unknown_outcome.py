"""Item 2: a write that got no answer is never reported as failed. It is not retried; the device (or the
weekly policy) is re-read once and the homeowner told what really happened; the audit row says
`unknown` until that is established, then ok or failed. Run against the simulator's timeout fault on
each write's own path: "after" = Podero applied it and the answer was lost, "drop" = never applied."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse

from devices import podero
from devices.models import AuditEntry
from simulator import clock, config, faults, stats
from tests.conftest import settle_background
from tests.resilience.helpers import wait_until

HTMX = {"HTTP_HX_REQUEST": "true"}
UUID_RE = r"[0-9a-f-]{36}"


def url(name, *args):
    return reverse(f"dashboard:{name}", args=args)


@pytest.fixture
def owner(client, sim, demo_homeowner, settings) -> Iterator:
    settings.PODERO_READ_TIMEOUT = 0.4
    settings.PODERO_TOTAL_TIMEOUT = 1.2
    podero.reset_client()
    client.force_login(demo_homeowner)
    config.configure(boost_delay_s=60)
    clock.freeze()
    client.get(url("home"))  # the device lists are cached: a write's only upstream calls are its own
    settle_background()  # ... and the card's background policy refresh is done
    yield client
    faults.reset()
    config.reset()
    clock.unfreeze()


def last_audit() -> AuditEntry:
    return AuditEntry.objects.order_by("-id").first()


def stall(path: str, phase: str, count: int = 1) -> None:
    faults.configure(timeout_count=count, timeout_s=3, timeout_phase=phase, path=path)


def writes(method: str, part: str) -> int:
    """How many such requests reached the simulator: the stalled ones are woken first and counted when
    they have answered (the simulator counts a request once its response is known)."""
    faults.reset()
    wait_until(lambda: stats.count(method=method, path_contains=part) >= 1, timeout=10)
    return stats.count(method=method, path_contains=part)


def assert_resolved(action: str, outcome: str) -> None:
    entry = last_audit()
    assert (entry.action, entry.outcome) == (action, outcome)
    assert entry.resolved_at is not None and "no answer from Podero" in entry.error


def test_pause_applied_but_unanswered_reads_as_saved(owner, sim):
    stall(rf"heat-pumps/{sim.heat_pump_id}$", "after")
    response = owner.post(url("optimization", "heat-pump", sim.heat_pump_id), {"active": "0"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "Optimization paused" in html and "not saved" not in html.lower()
    assert writes("PUT", sim.heat_pump_id) == 1  # never retried
    assert_resolved("optimization_set", "ok")


def test_pause_dropped_reads_as_not_saved_nothing_changed(owner, sim):
    stall(rf"heat-pumps/{sim.heat_pump_id}$", "drop")
    response = owner.post(url("optimization", "heat-pump", sim.heat_pump_id), {"active": "0"}, **HTMX)
    assert "Not saved — nothing changed" in response.content.decode()
    assert writes("PUT", sim.heat_pump_id) == 1
    assert_resolved("optimization_set", "failed")


def test_boost_applied_but_unanswered_reads_as_starting(owner, sim):
    stall(r"/boost$", "after")
    response = owner.post(url("ev-boost", sim.ev_id), **HTMX)
    html = response.content.decode()
    assert "Starting…" in html and "not saved" not in html.lower()
    assert writes("POST", "/boost") == 1
    assert_resolved("boost_start", "ok")


def test_boost_cancel_applied_but_unanswered_reads_as_cancelled(owner, sim):
    owner.post(url("ev-boost", sim.second_ev_id), **HTMX)  # unplugged: armed for the next plug-in
    stall(r"/boost$", "after")
    response = owner.post(url("ev-boost-cancel", sim.second_ev_id), **HTMX)
    assert "cancelled" in response.content.decode()
    assert writes("DELETE", "/boost") == 1
    assert_resolved("boost_cancel", "ok")


def test_deadline_applied_but_unanswered_reads_as_saved(owner, sim):
    stall(rf"electric-vehicles/{sim.ev_id}$", "after")
    response = owner.post(url("ev-deadline", sim.ev_id),
                          {"enabled": "1", "minimum_charge_limit": "65", "charge_deadline_at": "06:30"}, **HTMX)
    assert "Charge deadline saved" in response.content.decode()
    assert writes("PUT", sim.ev_id) == 1
    assert_resolved("charge_deadline_set", "ok")


def test_weekly_schedule_applied_but_unanswered_reads_as_saved(owner, sim):
    from devices import services

    data = {f"{d}_percentage": "70" for d in services.WEEKDAYS}
    data.update({f"{d}_deadline": "06:15" for d in services.WEEKDAYS})
    data.update(timezone="Europe/Vienna", action="save")
    stall(r"/charge-policy$", "after")
    response = owner.post(url("ev-schedule", sim.ev_id), data)
    assert response.status_code == 302  # saved: back to the dashboard
    assert writes("PUT", "/charge-policy") == 1
    assert_resolved("charge_policy_set", "ok")


def test_schedule_dropped_keeps_what_was_typed(owner, sim):
    from devices import services

    data = {f"{d}_percentage": "71" for d in services.WEEKDAYS}
    data.update({f"{d}_deadline": "06:15" for d in services.WEEKDAYS})
    data.update(timezone="Europe/Vienna", action="save")
    stall(r"/charge-policy$", "drop")
    response = owner.post(url("ev-schedule", sim.ev_id), data)
    html = response.content.decode()
    assert "Not saved — nothing changed" in html and 'value="71"' in html
    assert_resolved("charge_policy_set", "failed")


def test_when_the_re_read_fails_too_the_card_checks_again_by_itself(owner, sim):
    # The PUT and every try of the re-read stall: nothing can be told yet.
    stall(rf"heat-pumps/{sim.heat_pump_id}$", "after", count=4)
    response = owner.post(url("optimization", "heat-pump", sim.heat_pump_id), {"active": "0"}, **HTMX)
    html = response.content.decode()
    assert "We could not confirm yet whether your change was saved" in html
    check = url("write-confirm", "heat-pump", sim.heat_pump_id)
    assert f'hx-get="{check}"' in html and 'hx-trigger="every 4s"' in html
    entry = last_audit()
    assert entry.outcome == "unknown" and entry.resolved_at is None
    faults.reset()
    response = owner.get(check, **HTMX)
    html = response.content.decode()
    assert "Saved: Podero has applied your change." in html and "every 4s" not in html
    assert_resolved("optimization_set", "ok")
    assert writes("PUT", sim.heat_pump_id) == 1  # checking never re-sends


def test_without_javascript_the_unknown_write_links_a_check(owner, sim):
    stall(rf"heat-pumps/{sim.heat_pump_id}$", "after", count=4)
    response = owner.post(url("optimization", "heat-pump", sim.heat_pump_id), {"active": "0"})
    html = response.content.decode()
    assert response.status_code == 202 and "Check again" in html
    faults.reset()
    response = owner.get(url("write-confirm", "heat-pump", sim.heat_pump_id), follow=True)
    assert "Saved: Podero has applied your change." in response.content.decode()


def test_confirm_is_a_404_for_a_foreign_device(owner):
    response = owner.get(url("write-confirm", "heat-pump", "99999999-9999-4999-8999-999999999999"))
    assert response.status_code == 404
