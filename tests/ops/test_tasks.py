"""The beat jobs: warm the cache of active homeowners, daily consumption snapshots, attention emails.

In-process (tasks run eagerly, the fake Podero, the locmem mail outbox) for the rules, and once with a
REAL Celery worker against Redis and the simulator over HTTP for the whole path.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from devices import services, tasks
from devices.models import AttentionNotice, ConsumptionSnapshot
from tests import payloads
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

FIGURES = {"consumption_last_day_kwh": 12.5, "consumption_last_week_kwh": 80.0, "consumption_last_month_kwh": 310.0}


def _reauth_ev(**overrides):
    return payloads.electric_vehicle(
        is_authenticated=False, action_needed=True,
        actions=[{"code": "reauthenticate", "resolution_link": {"url": "https://podero.example/cues/1/resolve",
                                                                "required_parameters": []}}],
        **overrides,
    )


def _linked_ids() -> list[int]:
    return list(tasks._linked_homeowners().values_list("pk", flat=True))


def run_notify() -> int:
    """The attention job's work for every homeowner (what its chunks do), with the emails sent."""
    return tasks.notify_attention_chunk(_linked_ids())


def run_snapshot() -> int:
    return tasks.snapshot_chunk(_linked_ids())


# --- Warming ---------------------------------------------------------------------------------------
def test_warm_fills_the_cache_of_homeowners_with_an_open_dashboard_only(homeowner, other_homeowner, fake_podero):
    for user in (homeowner, other_homeowner):
        user.last_login = timezone.now() - timedelta(hours=2)
        user.save(update_fields=["last_login"])
    services.dashboard_seen(link=homeowner.podero)  # only the first one has the dashboard open
    fake_podero.add(homeowner.podero.podero_user_id, "heat-pumps", payloads.heat_pump())

    assert tasks.warm_active_dashboards() == 1

    warm = services.cached_overview(link=homeowner.podero)
    assert warm is not None and len(warm.devices) == 1
    assert services.cached_overview(link=other_homeowner.podero) is None
    # A dashboard opened now is served from the cache: no upstream call.
    calls = len(fake_podero.calls)
    services.device_overview(link=homeowner.podero)
    assert len(fake_podero.calls) == calls


def test_warm_refreshes_entries_just_before_they_go_stale(homeowner, fake_podero, monkeypatch):
    homeowner.last_login = timezone.now()
    homeowner.save(update_fields=["last_login"])
    synced = (timezone.now() - timedelta(seconds=290)).isoformat()  # their next sync is due in 10 s
    uid = homeowner.podero.podero_user_id
    fake_podero.add(uid, "heat-pumps", payloads.heat_pump(current_state_last_updated_at=synced))
    services.dashboard_seen(link=homeowner.podero)
    tasks.warm_active_dashboards()
    assert len(fake_podero.list_calls("list_devices")) == 3
    start = services.time.time()
    # 10 s later the lists are still young: the run leaves them alone.
    monkeypatch.setattr(services.time, "time", lambda: start + 10)
    tasks.warm_active_dashboards()
    assert len(fake_podero.list_calls("list_devices")) == 3
    # 26 s later they are about to go stale: the run refetches each kind once (the empty kinds have no
    # device to time, so they follow the plain 30 s freshness; the heat pump may have synced by now).
    monkeypatch.setattr(services.time, "time", lambda: start + 26)
    services.dashboard_seen(link=homeowner.podero)
    tasks.warm_active_dashboards()
    assert len(fake_podero.list_calls("list_devices")) == 6


def test_warm_leaves_lists_alone_when_no_newer_sync_can_exist(homeowner, fake_podero, monkeypatch):
    synced = (timezone.now() - timedelta(seconds=30)).isoformat()  # next sync not before 4.5 min from now
    uid = homeowner.podero.podero_user_id
    for kind, build in (("heat-pumps", payloads.heat_pump), ("inverters", payloads.inverter),
                        ("electric-vehicles", payloads.electric_vehicle)):
        fake_podero.add(uid, kind, build(current_state_last_updated_at=synced))
    services.dashboard_seen(link=homeowner.podero)
    tasks.warm_active_dashboards()
    start = services.time.time()
    monkeypatch.setattr(services.time, "time", lambda: start + 26)
    services.dashboard_seen(link=homeowner.podero)
    tasks.warm_active_dashboards()
    assert len(fake_podero.list_calls("list_devices")) == 3  # nothing new can exist yet: no calls


def test_a_closed_dashboard_costs_nothing_after_60_s(homeowner, fake_podero, monkeypatch):
    services.dashboard_seen(link=homeowner.podero)
    tasks.warm_active_dashboards()
    calls = len(fake_podero.calls)
    start = services.time.time()
    monkeypatch.setattr(services.time, "time", lambda: start + services.ACTIVE_FOR + 1)
    assert services.active_dashboards() == []
    assert tasks.warm_active_dashboards() == 0 and len(fake_podero.calls) == calls


def test_jobs_fan_out_in_chunks(homeowner, other_homeowner, fake_podero, monkeypatch):
    enqueued: list[list[int]] = []
    monkeypatch.setattr(tasks, "JOB_CHUNK", 1)
    monkeypatch.setattr(tasks.notify_attention_chunk, "delay", lambda ids: enqueued.append(ids))
    monkeypatch.setattr(tasks.snapshot_chunk, "delay", lambda ids: enqueued.append(ids))
    assert tasks.notify_attention() == 2 and tasks.snapshot_consumption() == 2
    assert sorted(map(tuple, enqueued)) == sorted([(homeowner.pk,), (other_homeowner.pk,)] * 2)


def test_attention_fits_its_period_on_the_budget_and_takes_turns(django_user_model, fake_podero, monkeypatch,
                                                                  settings):
    settings.PODERO_MAX_RPS = 20
    assert tasks.attention_per_run() == 1920  # 20/s x 60 % x 600 s x 80 % / 3 lists
    settings.PODERO_MAX_RPS = 200
    assert tasks.attention_per_run() == 19200
    from accounts.models import PoderoLink

    users = []
    for n in range(5):
        user = django_user_model.objects.create_user(email=f"turn{n}@example.com", password=PASSWORD)
        PoderoLink.objects.create(user=user, org_id=settings.PODERO_ORG_ID, podero_user_id=f"00000000-0000-4000-8000-00000000000{n}")
        users.append(user.pk)
    monkeypatch.setattr(tasks, "attention_per_run", lambda: 2)
    monkeypatch.setattr(tasks, "JOB_CHUNK", 2)
    enqueued: list[list[int]] = []
    monkeypatch.setattr(tasks.notify_attention_chunk, "delay", lambda ids: enqueued.append(list(ids)))
    others = set(django_user_model.objects.filter(podero__isnull=False).exclude(pk__in=users).values_list("pk", flat=True))
    everyone = sorted(set(users) | others)
    for _ in range(len(everyone)):
        tasks.notify_attention()
    assert all(len(chunk) == 2 for chunk in enqueued)  # never more than one run can check in its period
    seen = [pk for chunk in enqueued for pk in chunk]
    assert set(seen) == set(everyone) and seen[:len(everyone)] == everyone  # in turn, then around again


# --- Snapshots -------------------------------------------------------------------------------------
def test_snapshot_writes_one_row_per_device_and_day(homeowner, fake_podero):
    uid = homeowner.podero.podero_user_id
    hp = fake_podero.add(uid, "heat-pumps", payloads.heat_pump(**FIGURES))
    fake_podero.add(uid, "inverters", payloads.inverter(production_last_day_kwh=30.0))
    fake_podero.add(uid, "electric-vehicles", payloads.electric_vehicle())  # no figures: no row

    assert run_snapshot() == 2
    row = ConsumptionSnapshot.objects.get(device_id=hp["id"])
    assert (row.day, row.user, row.device_kind, row.last_day_kwh, row.last_month_kwh) == (
        timezone.localdate(), homeowner, "heat_pump", 12.5, 310.0)
    assert row.device_name == "Nibe S2125-8"

    hp["consumption_last_day_kwh"] = 14.0  # later the same day: the row is updated, not duplicated
    services.invalidate(link=homeowner.podero)
    assert run_snapshot() == 2
    assert ConsumptionSnapshot.objects.count() == 2
    assert ConsumptionSnapshot.objects.get(device_id=hp["id"]).last_day_kwh == 14.0


def test_snapshot_skips_a_kind_podero_did_not_answer_for(homeowner, fake_podero):
    from devices import podero

    fake_podero.add(homeowner.podero.podero_user_id, "heat-pumps", payloads.heat_pump(**FIGURES))
    fake_podero.fail_with = podero.PoderoUnavailable("down")
    assert run_snapshot() == 0
    assert not ConsumptionSnapshot.objects.exists()


# --- Attention emails -------------------------------------------------------------------------------
def test_one_email_per_incident(homeowner, fake_podero):
    uid = homeowner.podero.podero_user_id
    ev = fake_podero.add(uid, "electric-vehicles", _reauth_ev())
    fake_podero.add(uid, "heat-pumps", payloads.heat_pump())

    assert run_notify() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.com"]
    assert "Tesla Model 3" in message.subject
    assert "reconnect" in message.body and "/settings/" in message.body
    notice = AttentionNotice.objects.get()
    assert (notice.device_id, notice.incident, notice.resolved_at) == (ev["id"], "auth=lapsed;actions=reauthenticate",
                                                                       None)

    services.invalidate(link=homeowner.podero)
    assert run_notify() == 0  # the same incident: no second email
    assert len(mail.outbox) == 1

    ev.update(is_authenticated=True, action_needed=False, actions=[])  # the homeowner reconnected
    services.invalidate(link=homeowner.podero)
    assert run_notify() == 0
    notice.refresh_from_db()
    assert notice.resolved_at is not None

    ev.update(_reauth_ev(id=ev["id"]))  # it lapses again: a new incident, a new email
    services.invalidate(link=homeowner.podero)
    assert run_notify() == 1
    assert len(mail.outbox) == 2
    assert AttentionNotice.objects.filter(resolved_at__isnull=True).count() == 1


def test_a_changed_problem_is_a_new_incident(homeowner, fake_podero):
    ev = fake_podero.add(homeowner.podero.podero_user_id, "electric-vehicles", _reauth_ev())
    run_notify()
    ev["actions"].append({"code": "accept_terms", "resolution_link": {"url": "https://podero.example/x"}})
    services.invalidate(link=homeowner.podero)
    assert run_notify() == 1
    assert len(mail.outbox) == 2
    assert AttentionNotice.objects.filter(resolved_at__isnull=True).get().incident == (
        "auth=lapsed;actions=accept_terms,reauthenticate")


def test_no_email_after_opt_out(homeowner, other_homeowner, fake_podero):
    homeowner.notify_attention = False
    homeowner.save(update_fields=["notify_attention"])
    fake_podero.add(homeowner.podero.podero_user_id, "electric-vehicles", _reauth_ev())
    fake_podero.add(other_homeowner.podero.podero_user_id, "electric-vehicles", _reauth_ev())
    assert run_notify() == 1
    assert [m.to for m in mail.outbox] == [["other@example.com"]]


def test_stale_data_during_an_outage_sends_nothing(homeowner, fake_podero):
    from devices import podero

    fake_podero.add(homeowner.podero.podero_user_id, "electric-vehicles", _reauth_ev())
    fake_podero.fail_with = podero.PoderoUnavailable("down")
    assert run_notify() == 0
    assert mail.outbox == [] and not AttentionNotice.objects.exists()


def test_beat_schedule_names_real_tasks():
    from dashboard.celery import app

    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        "devices.tasks.warm_active_dashboards", "devices.tasks.snapshot_consumption", "devices.tasks.notify_attention",
        "devices.tasks.resume_due_pauses"}
    assert all(entry["task"] in app.tasks for entry in schedule.values())
    assert schedule["warm-active-dashboards"]["schedule"] < services.FRESH_FOR


# --- The whole path: a real worker, Redis, the simulator over HTTP ------------------------------------------
@pytest.mark.celery
@pytest.mark.redis
def test_real_worker_runs_the_beat_jobs(transactional_db, sim, demo_homeowner, celery_worker, live_server):
    from simulator import factories
    from simulator.models import Device

    demo_homeowner.last_login = timezone.now()
    demo_homeowner.save(update_fields=["last_login"])
    services.dashboard_seen(link=demo_homeowner.podero)
    celery_worker.env["PODERO_BASE_URL"] = live_server.url + "/simulator"
    celery_worker.start()

    # (a) warming: the worker fills the shared cache; the dashboard then opens warm.
    assert services.cached_overview(link=demo_homeowner.podero) is None
    celery_worker.run(tasks.warm_active_dashboards)  # the dispatcher, which enqueues one chunk on our queue
    from tests.resilience.helpers import wait_until

    # Until every kind is in: the chunk fetches the kinds in parallel, and one may land before the others.
    wait_until(lambda: (o := services.cached_overview(link=demo_homeowner.podero)) is not None
               and all(r.fetched_at is not None for r in o.kinds.values()), timeout=30, interval=0.1)
    warm = services.cached_overview(link=demo_homeowner.podero)
    assert warm is not None and {d.id for d in warm.devices} == set(sim.device_ids)

    # (b) snapshots: one row per device with figures, for today.
    celery_worker.run(tasks.snapshot_chunk, [demo_homeowner.pk])
    rows = ConsumptionSnapshot.objects.filter(user=demo_homeowner, day=timezone.localdate())
    assert rows.count() >= 1
    assert set(rows.values_list("podero_user_id", flat=True)) == {uuid.UUID(sim.user_id)}

    # (c) attention: one notice (= one email) per incident, however often the job runs.
    factories.require_reauth(Device.objects.get(id=sim.ev_id))
    services.invalidate(link=demo_homeowner.podero)
    celery_worker.run(tasks.notify_attention_chunk, [demo_homeowner.pk])
    celery_worker.run(tasks.notify_attention_chunk, [demo_homeowner.pk])
    notices = list(AttentionNotice.objects.filter(user=demo_homeowner))
    assert [(n.device_id, n.resolved_at) for n in notices] == [(sim.ev_id, None)]
    assert "reauthenticate" in notices[0].incident

    # ... and none after opt-out, even for a new incident.
    demo_homeowner.notify_attention = False
    demo_homeowner.save(update_fields=["notify_attention"])
    factories.require_reauth(Device.objects.get(id=sim.heat_pump_id))
    services.invalidate(link=demo_homeowner.podero)
    celery_worker.run(tasks.notify_attention_chunk, [demo_homeowner.pk])
    assert AttentionNotice.objects.filter(user=demo_homeowner).count() == 1
