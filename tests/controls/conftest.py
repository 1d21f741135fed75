"""Helpers for the controls tests: a homeowner with one device of each kind in the fake Podero."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests import payloads

HTMX = {"HTTP_HX_REQUEST": "true"}
WRITES = {"update_device", "start_boost", "cancel_boost", "put_charge_policy", "start_auth_session",
          "resolve_action", "create_onboarding", "delete_device"}  # the fake's calls that change something upstream


@dataclass
class Home:
    client: Any
    fake: Any
    user: Any
    hp: dict[str, Any]
    ev: dict[str, Any]
    inverter: dict[str, Any]

    def writes(self) -> list[tuple[str, ...]]:
        return [c for c in self.fake.calls if c[0] in WRITES]


@pytest.fixture
def home(client, fake_podero, homeowner) -> Home:
    uid = homeowner.podero.podero_user_id
    hp = fake_podero.add(uid, "heat-pumps", payloads.heat_pump())
    ev = fake_podero.add(uid, "electric-vehicles", payloads.electric_vehicle())
    inv = fake_podero.add(uid, "inverters", payloads.inverter())
    client.force_login(homeowner)
    return Home(client=client, fake=fake_podero, user=homeowner, hp=hp, ev=ev, inverter=inv)


@pytest.fixture
def other_ev(fake_podero, other_homeowner) -> dict[str, Any]:
    """An EV of persona 2: persona 1 must never reach it."""
    return fake_podero.add(other_homeowner.podero.podero_user_id, "electric-vehicles", payloads.electric_vehicle())
