"""Seed a benchmark database in bulk: N homeowners of the simulator's demo org with 3-4 devices each.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.seed --homeowners 2000 --sessions 200 --out s.json

Writes, with `bulk_create` (a few statements per thousand rows, no per-row save):
* the demo org, OAuth client, demo homeowner and staff login (`seed_demo`);
* N simulator users (`simulator.models.PoderoUser`), each with a heat pump, a solar inverter and an
  electric vehicle, and every third one a second EV; half the EVs follow a charge policy (their cards
  show the plan, whose policy is fetched now and then); every fiftieth homeowner's heat pump has lost
  its manufacturer login (a `reauthenticate` cue: an attention email to send);
* N dashboard accounts (`accounts.User`, all with one password hash computed once) linked to them
  (`accounts.PoderoLink`);
* signed-in sessions for the first `--sessions` homeowners (Django's session store, as a login makes
  them), written to `--out` as JSON: `[{"sessionid": ..., "user": podero user id}, ...]`, so the load
  test opens dashboards without logging in a thousand times (login is not what it measures).
Prints one JSON line with what it made.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

BATCH = 1000
EMAIL = "home{:05d}@bench.example"
ATTENTION_EVERY = 50
SECOND_EV_EVERY = 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--homeowners", type=int, required=True)
    parser.add_argument("--sessions", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    started = time.monotonic()
    made = seed(args.homeowners)
    sessions = make_sessions(args.sessions)
    args.out.write_text(json.dumps(sessions))
    print(json.dumps({**made, "sessions": len(sessions), "seconds": round(time.monotonic() - started, 1)}))
    return 0


def seed(n: int) -> dict[str, int]:
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import PoderoLink, User
    from simulator import clock
    from simulator.defaults import DATA_SINCE, default_attrs, default_facts
    from simulator.models import Cue, Device, Organization, PoderoUser

    call_command("seed_demo", verbosity=0)
    org = Organization.objects.get(id=uuid.UUID(str(settings.PODERO_ORG_ID)))
    now = clock.now()
    password = make_password(uuid.uuid4().hex)  # one hash for all: nobody logs in with it
    counts = {"homeowners": 0, "devices": 0, "attention": 0}
    for start in range(0, n, BATCH):
        people, devices, cues, users, links = [], [], [], [], []
        for i in range(start, min(n, start + BATCH)):
            person = PoderoUser(id=uuid.uuid4(), org=org, email=EMAIL.format(i), first_name=f"Home {i}",
                                last_name="Bench", external_user_id=f"BENCH-{i:05d}", created_at=now)
            people.append(person)
            mine = [_device(person, Device.HEAT_PUMP, now, default_attrs, default_facts, DATA_SINCE),
                    _device(person, Device.INVERTER, now, default_attrs, default_facts, DATA_SINCE,
                            is_battery_connected=i % 2 == 0, battery_capacity_kwh=10.0 if i % 2 == 0 else None),
                    _ev(person, now, default_attrs, default_facts, DATA_SINCE, i, policy=i % 2 == 0)]
            if i % SECOND_EV_EVERY == 0:
                mine.append(_ev(person, now, default_attrs, default_facts, DATA_SINCE, i + 1, policy=False))
            if i % ATTENTION_EVERY == 0:
                mine[0].is_authenticated = False
                cues.append(Cue(device=mine[0], code="reauthenticate", created_at=now))
            devices.extend(mine)
            user = User(email=EMAIL.format(i), password=password, first_name=f"Home {i}", is_active=True)
            users.append(user)
            links.append((user, person))
        with transaction.atomic():
            PoderoUser.objects.bulk_create(people, batch_size=BATCH)
            Device.objects.bulk_create(devices, batch_size=BATCH)
            Cue.objects.bulk_create(cues, batch_size=BATCH)
            User.objects.bulk_create(users, batch_size=BATCH)  # PostgreSQL and SQLite return the new ids
            PoderoLink.objects.bulk_create(
                [PoderoLink(user=user, org_id=org.id, podero_user_id=person.id) for user, person in links],
                batch_size=BATCH)
        counts["homeowners"] += len(people)
        counts["devices"] += len(devices)
        counts["attention"] += len(cues)
    return counts


def _device(owner, kind, now, default_attrs, default_facts, data_since, **attrs):  # noqa: ANN001, ANN202
    from simulator.models import Device

    return Device(id=uuid.uuid4(), owner=owner, kind=kind, attrs={**default_attrs(kind), **attrs},
                  facts=default_facts(kind), is_authenticated=True, first_data_at=data_since, created_at=now,
                  updated_at=now)


def _ev(owner, now, default_attrs, default_facts, data_since, i: int, *, policy: bool):  # noqa: ANN001, ANN202
    from simulator import clock
    from simulator.models import Device

    device = _device(owner, Device.ELECTRIC_VEHICLE, now, default_attrs, default_facts, data_since,
                     is_charge_policy_enabled=policy, battery_capacity_kwh=60.0 + i % 3 * 10)
    device.facts.update(plugged_in=i % 5 < 2, level=float(20 + i * 7 % 70), anchor_at=clock.iso(now))
    return device


def make_sessions(m: int) -> list[dict[str, str]]:
    """Signed-in sessions of the first `m` bench homeowners, stored as a login stores them."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import User

    if m <= 0:
        return []
    store = SessionStore()
    expire = timezone.now() + timedelta(days=1)
    rows, out = [], []
    users = User.objects.filter(email__endswith="@bench.example").select_related("podero").order_by("email")[:m]
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "accounts.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()}
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        out.append({"sessionid": key, "user": str(user.podero.podero_user_id)})
    Session.objects.bulk_create(rows, batch_size=BATCH)
    return out


if __name__ == "__main__":
    sys.exit(main())
