"""History services against the simulator over HTTP: parsing, lifetimes, single flight, ownership, outages."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache

from devices import services
from devices.schemas import ChargingSession, SavingsReport, TimeSeries
from devices.services import history
from devices.services.cache import Ids
from simulator import clock, factories, faults, stats
from simulator.models import Device as SimDevice
from simulator.models import Organization, PoderoUser

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2025, 6, 14, 10, 0, tzinfo=UTC)
DAY = (datetime(2025, 6, 13, tzinfo=UTC), datetime(2025, 6, 14, tzinfo=UTC))


@pytest.fixture
def link(sim, demo_homeowner):
    """The demo homeowner's Podero link, the simulator frozen at a June Saturday noon."""
    clock.freeze(NOW)
    yield demo_homeowner.podero
    clock.unfreeze()


def history_calls() -> int:
    return sum(
        stats.count(method="GET", path_contains=p) for p in ("/data", "/savings", "/sessions", "/statistics")
    )


def age(key: str, seconds: float) -> None:
    """Make one cached history entry look `seconds` older."""
    entry = services.read_entry(key)
    assert entry is not None, key
    cache.set(key, {**entry, "fetched_at": entry["fetched_at"] - seconds}, 3600)


def data_key(link, kind, device_id, start, end, resolution="1HOUR") -> str:
    return history._key(
        Ids.of(link), kind, device_id, "data", resolution, start.isoformat(), end.isoformat(), ""
    )


def test_device_data_parses_each_kind_and_is_cached(link, sim):
    for kind, device_id in (
        ("heat-pumps", sim.heat_pump_id),
        ("electric-vehicles", sim.ev_id),
        ("inverters", sim.inverter_id),
    ):
        result = services.device_data(
            link=link, kind=kind, device_id=device_id, start=DAY[0], end=DAY[1], resolution="1HOUR"
        )
        assert isinstance(result.value, TimeSeries) and result.error is None
        assert len(result.value.points) == 24
        assert result.value.points[0].time == DAY[0]
        assert result.value.units["price"] == "EUR/MWh"
        assert all(isinstance(p.get("price"), float) for p in result.value.points)
    calls = history_calls()
    assert calls == 3
    services.device_data(
        link=link, kind="inverters", device_id=sim.inverter_id, start=DAY[0], end=DAY[1], resolution="1HOUR"
    )
    assert history_calls() == calls


def test_concurrent_requests_make_one_upstream_call(link, sim):
    services.device_list(link=link)  # the ownership check reads the cached lists
    stats.reset()
    barrier = threading.Barrier(8)
    results, failures = [], []

    def read():
        barrier.wait()
        try:
            results.append(
                services.device_data(
                    link=link,
                    kind="heat-pumps",
                    device_id=sim.heat_pump_id,
                    start=DAY[0] - timedelta(days=6),
                    end=DAY[1],
                    resolution="15MIN",
                )
            )
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert len(results) == 8 and all(len(r.value.points) == 7 * 96 for r in results)
    assert stats.count(method="GET", path_contains="/data") == 1


def test_a_foreign_device_id_is_refused_without_an_upstream_call(link, sim):
    org = Organization.objects.get(id=sim.org_id)
    neighbour = factories.create_user(org, "neighbour@example.com", "Nina", "Nachbar")
    their_ev = factories.create_ev(neighbour, is_plugged_in=True)  # same org: the token could reach it
    services.device_list(link=link)
    stats.reset()
    with pytest.raises(services.DeviceNotFound):
        services.ev_current_session(link=link, device_id=str(their_ev.id))
    with pytest.raises(services.DeviceNotFound):
        services.ev_sessions(
            link=link, device_id=str(their_ev.id), first_day=date(2025, 6, 1), last_day=date(2025, 6, 14)
        )
    with pytest.raises(services.DeviceNotFound):  # the right id under the wrong kind
        services.device_savings(
            link=link, kind="inverters", device_id=sim.heat_pump_id, start=DAY[0], end=DAY[1]
        )
    with pytest.raises(services.DeviceNotFound):
        services.device_data(link=link, kind="heat-pumps", device_id="not-a-uuid", start=DAY[0], end=DAY[1])
    assert history_calls() == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda link, sim: services.ev_sessions(
            link=link, device_id=sim.ev_id, first_day=date(2025, 6, 1), last_day=date(2025, 6, 14), limit=0
        ),
        lambda link, sim: services.ev_sessions(
            link=link, device_id=sim.ev_id, first_day=date(2025, 6, 14), last_day=date(2025, 6, 1)
        ),
        lambda link, sim: services.device_data(
            link=link, kind="heat-pumps", device_id=sim.heat_pump_id, start=DAY[1], end=DAY[0]
        ),
        lambda link, sim: services.device_data(
            link=link,
            kind="heat-pumps",
            device_id=sim.heat_pump_id,
            start=DAY[0],
            end=DAY[1],
            resolution="5MIN",
        ),
        lambda link, sim: services.device_savings(
            link=link,
            kind="heat-pumps",
            device_id=sim.heat_pump_id,
            start=datetime(2000, 1, 1, tzinfo=UTC),
            end=DAY[1],
        ),
    ],
)
def test_bad_ranges_and_pages_are_refused_before_any_call(link, sim, call):
    stats.reset()
    with pytest.raises(services.HistoryRangeInvalid):
        call(link, sim)
    assert history_calls() == 0


def test_sessions_page_parses_every_field(link, sim):
    result = services.ev_sessions(
        link=link,
        device_id=sim.ev_id,
        first_day=date(2025, 5, 1),
        last_day=date(2025, 6, 13),
        limit=5,
        offset=0,
    )
    page = result.value
    assert page.total > 5 and len(page.items) == 5 and page.has_next and not page.has_previous
    first = page.items[0]
    assert first.plug_in > page.items[1].plug_in  # newest first
    assert first.duration is not None and first.duration > timedelta(hours=8)
    capacity = SimDevice.objects.get(id=sim.ev_id).attrs["battery_capacity_kwh"]
    for s in page.items:
        assert s.energy_kwh == pytest.approx((s.final_soc - s.initial_soc) / 100 * capacity, abs=0.05)
        assert s.cost_eur is not None and s.savings_eur is not None and s.outcome
    second = services.ev_sessions(
        link=link,
        device_id=sim.ev_id,
        first_day=date(2025, 5, 1),
        last_day=date(2025, 6, 13),
        limit=5,
        offset=5,
    ).value
    assert second.has_previous and second.items[0].plug_in < page.items[-1].plug_in


def test_current_session_lives_30_seconds(link, sim):
    result = services.ev_current_session(link=link, device_id=sim.ev_id)
    assert isinstance(result.value, ChargingSession) and result.value.unplug is None
    assert services.ev_current_session(link=link, device_id=sim.second_ev_id).value is None  # unplugged
    calls = history_calls()
    services.ev_current_session(link=link, device_id=sim.ev_id)
    assert history_calls() == calls
    for ev in (sim.ev_id, sim.second_ev_id):
        age(
            history._key(Ids.of(link), "electric-vehicles", ev, "sessions-current"),
            services.SESSION_FRESH_FOR + 1,
        )
    services.ev_current_session(link=link, device_id=sim.ev_id)
    assert history_calls() == calls + 1


def test_closed_periods_live_for_hours_and_the_current_one_for_minutes(link, sim, monkeypatch):
    monkeypatch.setattr(history, "_now", clock.now)  # the services' "now" = the simulator's
    closed = {
        "link": link,
        "kind": "heat-pumps",
        "device_id": sim.heat_pump_id,
        "start": DAY[0],
        "end": DAY[1],
    }
    current = {
        "link": link,
        "kind": "heat-pumps",
        "device_id": sim.heat_pump_id,
        "start": DAY[1],
        "end": DAY[1] + DAY_SPAN,
    }
    services.device_data(**closed)
    services.device_data(**current)
    calls = history_calls()
    for kwargs in (closed, current):  # half an hour later
        age(data_key(link, "heat-pumps", sim.heat_pump_id, kwargs["start"], kwargs["end"]), 30 * 60)
    services.device_data(**closed)
    assert history_calls() == calls  # a closed day is still fresh
    services.device_data(**current)
    assert history_calls() == calls + 1  # the bucket that holds now is asked again


def test_an_outage_serves_the_last_known_history_with_its_age(link, sim):
    kwargs = {
        "link": link,
        "kind": "electric-vehicles",
        "device_id": sim.ev_id,
        "start": DAY[0],
        "end": DAY[1],
        "resolution": "1DAY",
    }
    first = services.device_savings(**kwargs)
    assert isinstance(first.value, SavingsReport) and first.value.buckets[0].known
    key = history._key(
        Ids.of(link),
        "electric-vehicles",
        sim.ev_id,
        "savings",
        "1DAY",
        DAY[0].isoformat(),
        DAY[1].isoformat(),
    )
    age(key, services.CLOSED_FRESH_FOR + 60)
    faults.configure(error_rate=1.0, error_status=503, path=r"/savings")
    stale = services.device_savings(**kwargs)
    assert stale.stale and stale.error == "Podero is not reachable."
    assert stale.value.buckets[0].savings_eur == first.value.buckets[0].savings_eur
    assert stale.age_s >= services.CLOSED_FRESH_FOR
    faults.reset()


def test_heat_pump_without_data_reads_as_no_data(link, sim):
    empty = factories.create_heat_pump(PoderoUser.objects.get(id=sim.user_id), first_data_at=None)
    result = services.device_data(
        link=link, kind="heat-pumps", device_id=str(empty.id), start=DAY[0], end=DAY[1]
    )
    assert result.error is None and result.value.no_data and result.value.points == []


def test_household_summary_per_device_and_in_total(link, sim):
    summary = services.household_savings_summary(link=link, tz="Europe/Vienna", now=NOW)
    assert {row.device.id for row in summary.devices} == set(sim.device_ids)
    assert summary.error is None
    for name in history.SUMMARY_PERIODS:
        values = [row.periods[name].eur for row in summary.devices]
        assert all(v is not None for v in values)
        assert summary.totals[name].eur == pytest.approx(sum(values))
        percents = [row.periods[name].percent for row in summary.devices]
        # A share of what the household would have paid exists only when every device has one
        # (an exporting inverter has no positive baseline cost).
        assert (summary.totals[name].percent is not None) == all(p is not None for p in percents)
        assert sum(p is not None for p in percents) >= 3
    assert summary.totals["last_month"].start == datetime(2025, 4, 30, 22, tzinfo=UTC)  # Vienna midnight
    assert summary.totals["last_year"].end == datetime(2024, 6, 30, 22, tzinfo=UTC)
    assert summary.totals["this_month"].eur > 0
    calls = stats.count(method="GET", path_contains="/savings")
    assert calls == 4 * 3
    services.household_savings_summary(link=link, tz="Europe/Vienna", now=NOW)
    assert stats.count(method="GET", path_contains="/savings") == calls


def test_unknown_savings_stay_unknown_in_the_summary(link, sim):
    empty = factories.create_inverter(PoderoUser.objects.get(id=sim.user_id), first_data_at=None)
    summary = services.household_savings_summary(link=link, tz="Europe/Vienna", now=NOW)
    row = next(r for r in summary.devices if r.device.id == str(empty.id))
    assert all(p.eur is None and not p.known for p in row.periods.values())
    others = [r.periods["this_month"].eur for r in summary.devices if r.device.id != str(empty.id)]
    assert summary.totals["this_month"].eur == pytest.approx(sum(others))


DAY_SPAN = timedelta(days=1)
