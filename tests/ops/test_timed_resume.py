""""Pause until…": the end of a pause as the homeowner chooses it, and the timed resume we carry out.

In-process against the fake Podero for the rules (once, retried, cancelled by hand, audited as the system),
and with two REAL Celery workers racing over the same due row against the simulator over HTTP.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from devices import podero, services, tasks
from devices.models import AuditEntry, ScheduledResume
from tests import payloads

pytestmark = pytest.mark.django_db
VIENNA = ZoneInfo("Europe/Vienna")
HP = "heat-pumps"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VIENNA)


# --- The end of a pause -------------------------------------------------------------------------------
def test_pause_end_for_each_choice():
    now = local(3, 15, 10)  # a Thursday afternoon
    assert services.pause_end("2h", now=now, tz=VIENNA) == now + timedelta(hours=2)
    assert services.pause_end("tonight", now=now, tz=VIENNA) == local(3, 22)
    assert services.pause_end("tonight", now=local(3, 23), tz=VIENNA) == local(4, 22)
    assert services.pause_end("morning", now=now, tz=VIENNA) == local(4, 7)
    assert services.pause_end("morning", now=local(4, 1), tz=VIENNA) == local(4, 7)  # at 01:00: this morning
    assert services.pause_end("indefinitely", now=now, tz=VIENNA) is None
    assert services.pause_end("at", now=now, tz=VIENNA, at=datetime(2026, 12, 6, 18, 0)) == local(6, 18)


@pytest.mark.parametrize("choice,at", [("at", None), ("at", datetime(2026, 12, 3, 15, 0)),
                                       ("at", datetime(2027, 6, 1, 8, 0)), ("forever", None)])
def test_pause_end_refuses_what_it_cannot_keep(choice, at):
    with pytest.raises(services.PauseChoiceInvalid):
        services.pause_end(choice, now=local(3, 15, 10), tz=VIENNA, at=at)


# --- The timed resume, in-process ----------------------------------------------------------------------
@pytest.fixture
def paused_hp(homeowner, fake_podero):
    device = fake_podero.add(homeowner.podero.podero_user_id, HP, payloads.heat_pump())
    until = timezone.now() + timedelta(hours=2)
    services.optimization_pause(user=homeowner, link=homeowner.podero, kind=HP, device_id=device["id"], until=until)
    assert device["is_smart_optimization_active"] is False
    return device, until


def _timed_audits(outcome=None):
    rows = AuditEntry.objects.filter(action=services.A_TIMED_RESUME)
    return rows.filter(outcome=outcome) if outcome else rows


def test_resume_happens_once_when_due_and_is_audited_as_the_system(homeowner, fake_podero, paused_hp):
    device, until = paused_hp
    assert services.pause_of(device_id=device["id"]).until == until
    assert services.resume_due(now=until - timedelta(seconds=1)) == 0
    assert device["is_smart_optimization_active"] is False

    assert services.resume_due(now=until) == 1
    assert device["is_smart_optimization_active"] is True
    row = ScheduledResume.objects.get()
    assert row.status == ScheduledResume.Status.DONE and row.finished_at is not None
    audit = _timed_audits().get()
    assert audit.outcome == AuditEntry.Outcome.OK and audit.user == homeowner
    assert audit.values["actor"] == "system" and audit.values["on_behalf_of"] == homeowner.email
    assert services.pause_of(device_id=device["id"]) is None

    calls = len(fake_podero.list_calls("update_device"))
    assert services.resume_due(now=until + timedelta(minutes=5)) == 0  # a repeat does nothing
    assert len(fake_podero.list_calls("update_device")) == calls


def test_a_failed_resume_is_retried_later_and_shown(homeowner, fake_podero, paused_hp):
    device, until = paused_hp
    fake_podero.write_error = podero.PoderoServerError(status=503, method="PUT", path="/heat-pumps/x", body=None)
    assert services.resume_due(now=until) == 0
    row = ScheduledResume.objects.get()
    assert row.status == ScheduledResume.Status.PENDING and row.attempts == 1
    assert row.next_attempt_at > until and row.last_error
    pause = services.pause_of(device_id=device["id"])
    assert pause.failed_attempts == 1  # the card says "did not work yet"
    assert _timed_audits(AuditEntry.Outcome.FAILED).count() == 1

    calls = len(fake_podero.list_calls("update_device"))
    assert services.resume_due(now=until + timedelta(seconds=1)) == 0  # not due again yet
    assert len(fake_podero.list_calls("update_device")) == calls

    fake_podero.write_error = None
    assert services.resume_due(now=row.next_attempt_at) == 1
    assert device["is_smart_optimization_active"] is True
    assert ScheduledResume.objects.get().status == ScheduledResume.Status.DONE


def test_a_manual_resume_cancels_the_timed_one(homeowner, fake_podero, paused_hp):
    device, until = paused_hp
    services.optimization_resume(user=homeowner, link=homeowner.podero, kind=HP, device_id=device["id"])
    assert ScheduledResume.objects.get().status == ScheduledResume.Status.CANCELLED
    device["is_smart_optimization_active"] = False  # paused again in the manufacturer's app, say
    assert services.resume_due(now=until) == 0
    assert device["is_smart_optimization_active"] is False
    assert not _timed_audits().exists()


def test_a_new_pause_replaces_the_old_end_and_indefinitely_clears_it(homeowner, fake_podero, paused_hp):
    device, until = paused_hp
    later = until + timedelta(days=1)
    services.optimization_pause(user=homeowner, link=homeowner.podero, kind=HP, device_id=device["id"], until=later)
    assert services.pause_of(device_id=device["id"]).until == later
    assert ScheduledResume.objects.filter(status=ScheduledResume.Status.PENDING).count() == 1
    services.optimization_pause(user=homeowner, link=homeowner.podero, kind=HP, device_id=device["id"], until=None)
    assert services.pause_of(device_id=device["id"]) is None
    assert services.resume_due(now=later) == 0


def test_a_failed_pause_stores_no_resume(homeowner, fake_podero):
    device = fake_podero.add(homeowner.podero.podero_user_id, HP, payloads.heat_pump())
    fake_podero.write_error = podero.PoderoServerError(status=500, method="PUT", path="/heat-pumps/x", body=None)
    with pytest.raises(services.WriteFailed):
        services.optimization_pause(user=homeowner, link=homeowner.podero, kind=HP, device_id=device["id"],
                                    until=timezone.now() + timedelta(hours=2))
    assert not ScheduledResume.objects.exists()


def test_an_ev_can_be_paused_until_too(homeowner, fake_podero):
    ev = fake_podero.add(homeowner.podero.podero_user_id, "electric-vehicles", payloads.electric_vehicle())
    until = timezone.now() + timedelta(hours=2)
    services.optimization_pause(user=homeowner, link=homeowner.podero, kind="electric-vehicles",
                                device_id=ev["id"], until=until)
    assert ev["is_smart_optimization_active"] is False
    assert services.resume_due(now=until) == 1 and ev["is_smart_optimization_active"] is True


# --- Two real workers racing over one due row --------------------------------------------------------
def _wait_done(task_ids, logs, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = "".join(path.read_text(errors="replace") for path in logs if path.exists())
        failed = [t for t in task_ids if f"[{t}] raised" in text]
        assert not failed, text[-3000:]
        if all(f"[{t}] succeeded" in text for t in task_ids):
            return text
        time.sleep(0.1)
    raise AssertionError("tasks did not finish: " + "".join(p.read_text(errors="replace")[-1500:] for p in logs))


@pytest.mark.celery
@pytest.mark.redis
def test_two_racing_workers_resume_exactly_once(transactional_db, sim, demo_homeowner, celery_worker, live_server,
                                               tmp_path):
    from simulator import faults, stats
    from simulator.models import Device
    from tests.celery_worker import start_worker, stop_worker
    from tests.ops.conftest import REDIS_TEST_URL

    link = demo_homeowner.podero
    until = timezone.now() + timedelta(hours=2)
    services.optimization_pause(user=demo_homeowner, link=link, kind=HP, device_id=sim.heat_pump_id, until=until)
    assert Device.objects.get(id=sim.heat_pump_id).attrs["is_smart_optimization_active"] is False

    celery_worker.env["PODERO_BASE_URL"] = live_server.url + "/simulator"
    celery_worker.start()
    second_log = tmp_path / "worker-b.log"
    second = start_worker(queue=celery_worker.queue, node=f"b-{uuid.uuid4().hex[:8]}@127.0.0.1",
                          env=celery_worker.env, log_path=second_log)
    logs = [celery_worker.log_path, second_log]
    try:
        def race() -> list[int]:
            """Both runs at once, one per worker; what each returned (devices it resumed)."""
            ids = [tasks.resume_due_pauses.apply_async(queue=celery_worker.queue).id for _ in range(2)]
            text = _wait_done(ids, logs)
            return sorted(int(re.search(rf"\[{i}\] succeeded in [0-9.]+s: (\d+)", text).group(1)) for i in ids)

        assert race() == [0, 0]  # not due yet: both runs find nothing
        assert Device.objects.get(id=sim.heat_pump_id).attrs["is_smart_optimization_active"] is False
        assert ScheduledResume.objects.get().status == ScheduledResume.Status.PENDING

        # A short clock: the two hours are over (the row is what the job reads the time from).
        due = timezone.now() - timedelta(seconds=1)
        ScheduledResume.objects.update(resume_at=due, next_attempt_at=due)
        stats.reset()
        # A slow PUT keeps the first run's row lock held while the second run looks for due rows.
        faults.configure(latency_ms=1500, path=sim.heat_pump_id)
        assert race() == [0, 1]
    finally:
        faults.reset()
        stop_worker(second, queue=celery_worker.queue, broker_url=REDIS_TEST_URL)

    assert stats.count(method="PUT", path_contains=sim.heat_pump_id) == 1
    assert Device.objects.get(id=sim.heat_pump_id).attrs["is_smart_optimization_active"] is True
    row = ScheduledResume.objects.get()
    assert row.status == ScheduledResume.Status.DONE and row.attempts == 0
    audits = list(_timed_audits())
    assert [(a.outcome, a.user_id, a.values["actor"]) for a in audits] == [
        (AuditEntry.Outcome.OK, demo_homeowner.pk, "system")]
