"""Fixtures for the simulator's tests: a frozen clock, a small world of orgs/users/devices, an API helper."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from simulator import clock, config, factories, faults, stats
from simulator.models import Device, Organization, PoderoUser

# 12:00 in Vienna (CEST) on a June Saturday: the sun is up, the heat pump optimizes.
NOON = datetime(2025, 6, 14, 10, 0, tzinfo=UTC)
ROOT = "/simulator"
API = ROOT + "/api/partners/v2.0"


@pytest.fixture(autouse=True)
def _clean_simulator() -> Iterator[None]:
    """Process-wide simulator state (faults, counters, knobs, clock) never leaks between tests."""
    faults.reset()
    stats.reset()
    config.reset()
    clock.unfreeze()
    yield
    faults.reset()
    stats.reset()
    config.reset()
    clock.unfreeze()


@pytest.fixture
def frozen() -> Iterator[datetime]:
    with clock.frozen(NOON) as at:
        yield at


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@dataclass
class Api:
    """A Django test client that talks to the simulator with a bearer token."""

    http: Client
    org: str
    client_id: str
    client_secret: str
    token: str = ""

    def fetch_token(self) -> str:
        resp = self.http.post(
            ROOT + "/oauth2/token/",
            data=json.dumps({"grant_type": "client_credentials"}),
            content_type="application/json",
            headers={"Authorization": basic(self.client_id, self.client_secret)},
        )
        assert resp.status_code == 200, resp.content
        self.token = resp.json()["access_token"]
        return self.token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def url(self, path: str) -> str:
        return path if path.startswith(ROOT) else API + path

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(self.url(path), params, headers=self._headers())

    def put(self, path: str, body: Any) -> Any:
        return self.http.put(
            self.url(path), json.dumps(body), content_type="application/json", headers=self._headers()
        )

    def post(self, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.http.post(self.url(path), data, content_type="application/json", headers=self._headers())

    def delete(self, path: str) -> Any:
        return self.http.delete(self.url(path), headers=self._headers())

    def user_path(self, user: PoderoUser | str, org: str | None = None) -> str:
        user_id = user.id if isinstance(user, PoderoUser) else user
        return f"/org/{org or self.org}/users/{user_id}"

    def device_path(self, device: Device, kind: str | None = None) -> str:
        segment = (
            kind
            or {"heat_pump": "heat-pumps", "electric_vehicle": "electric-vehicles", "inverter": "inverters"}[
                device.kind
            ]
        )
        return f"{self.user_path(device.owner_id)}/{segment}/{device.id}"


@dataclass
class World:
    org: Organization
    anna: PoderoUser
    ben: PoderoUser  # same org, another user
    hp: Device
    ev: Device
    inverter: Device
    other_org: Organization
    stranger: PoderoUser  # a user of the other org
    stranger_ev: Device


@pytest.fixture
def world(db: None, frozen: datetime) -> World:
    org = factories.create_org(name="Partner A")
    factories.create_client(org, "client-a", "secret-a")
    anna = factories.create_user(org, "anna@example.com", "Anna", "Huber", external_user_id="CUST-1001")
    ben = factories.create_user(org, "ben@example.com", "Ben", "Berger")
    hp = factories.create_heat_pump(anna, optimization_score=78.5)
    ev = factories.create_ev(
        anna, battery_level=42, is_plugged_in=True, battery_capacity_kwh=75.0, charge_target_max=90
    )
    inverter = factories.create_inverter(anna)
    other_org = factories.create_org(name="Partner B")
    factories.create_client(other_org, "client-b", "secret-b")
    stranger = factories.create_user(other_org, "sam@example.com", "Sam", "Stranger")
    stranger_ev = factories.create_ev(stranger)
    return World(org, anna, ben, hp, ev, inverter, other_org, stranger, stranger_ev)


@pytest.fixture
def api(world: World, client: Client) -> Api:
    helper = Api(http=client, org=str(world.org.id), client_id="client-a", client_secret="secret-a")
    helper.fetch_token()
    stats.reset()
    return helper
