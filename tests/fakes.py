"""An in-memory stand-in for PoderoClient: same method names, state in dicts, records calls.

Service and view tests use it (no HTTP at all); client and end-to-end tests use the simulator.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from devices import podero


class FakePodero:
    def __init__(self) -> None:
        self.devices: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)  # (user, kind) -> payloads
        self.policies: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any] | None] = {}  # EV id -> its current session (None: none)
        self.calls: list[tuple[str, ...]] = []
        self.fail_with: podero.PoderoError | None = None  # raised by every call while set
        self.write_error: podero.PoderoError | None = None  # raised by writes only
        self.org_id = "7c3e1c52-4b1e-4f6a-9a51-0d2f6b8e9a10"
        self.onboardings: dict[str, dict[str, Any]] = {}
        self.expiration_date = "2999-12-31"  # the date sessions get; a past date makes them expired
        self.deleted: list[dict[str, Any]] = []

    # -- helpers for tests
    def add(self, user_id: Any, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.devices[(str(user_id), kind)].append(payload)
        return payload

    def _find(self, user_id: str, kind: str, device_id: str) -> dict[str, Any]:
        for item in self.devices[(str(user_id), kind)]:
            if item.get("id") == str(device_id):
                return item
        raise podero.PoderoNotFound(status=404, method="GET", path=f"/{kind}/{device_id}", body={"detail": "Not Found"})

    def _check(self, *call: str, write: bool = False) -> None:
        self.calls.append(call)
        if self.fail_with is not None:
            raise self.fail_with
        if write and self.write_error is not None:
            raise self.write_error

    # -- the client's surface
    def list_devices(self, *, user_id: str, kind: str, org_id: str | None = None) -> list[dict[str, Any]]:
        self._check("list_devices", kind)
        return copy.deepcopy(self.devices[(str(user_id), kind)])

    def get_device(self, *, user_id: str, kind: str, device_id: str, org_id: str | None = None) -> dict[str, Any]:
        self._check("get_device", kind, str(device_id))
        return copy.deepcopy(self._find(user_id, kind, device_id))

    def update_device(self, *, user_id: str, kind: str, device_id: str, fields: dict[str, Any],
                      org_id: str | None = None) -> dict[str, Any]:
        self._check("update_device", kind, str(device_id), write=True)
        item = self._find(user_id, kind, device_id)
        item.update(fields)
        return copy.deepcopy(item)

    def start_boost(self, *, user_id: str, device_id: str, org_id: str | None = None) -> None:
        self._check("start_boost", str(device_id), write=True)
        item = self._find(user_id, "electric-vehicles", device_id)
        if item.get("boost_state") in ("requested", "ongoing") or item.get("is_charging"):
            raise podero.PoderoConflict(status=409, method="POST", path="/boost",
                                        body={"state": item.get("boost_state"), "reason": "already_charging"})
        if item.get("is_fully_charged"):
            raise podero.PoderoConflict(status=409, method="POST", path="/boost",
                                        body={"state": item.get("boost_state"), "reason": "fully_charged"})
        if item.get("is_plugged_in"):
            item["boost_state"] = "requested"
        else:
            item["boost_for_next_session"] = True

    def cancel_boost(self, *, user_id: str, device_id: str, org_id: str | None = None) -> None:
        self._check("cancel_boost", str(device_id), write=True)
        self._find(user_id, "electric-vehicles", device_id)["boost_for_next_session"] = False

    # -- history: a device without any (as Podero answers for a new one); tests that need data use the simulator
    def get_device_data(self, *, user_id: str, kind: str, device_id: str, org_id: str | None = None,
                        **query: Any) -> dict[str, Any]:
        self._check("get_device_data", kind, str(device_id))
        return {"metadata": {"error": "No data"}, "data": [], "no_data": True}

    def get_device_savings(self, *, user_id: str, kind: str, device_id: str, org_id: str | None = None,
                           **query: Any) -> dict[str, Any]:
        self._check("get_device_savings", kind, str(device_id))
        return {"metadata": {}, "data": []}

    def get_heat_pump_statistics(self, *, user_id: str, device_id: str, org_id: str | None = None,
                                 **query: Any) -> dict[str, Any]:
        self._check("get_heat_pump_statistics", str(device_id))
        return {"metadata": {}, "data": []}

    def list_ev_sessions(self, *, user_id: str, device_id: str, org_id: str | None = None,
                         **query: Any) -> dict[str, Any]:
        self._check("list_ev_sessions", str(device_id))
        return {"total": 0, "items": []}

    def get_ev_current_session(self, *, user_id: str, device_id: str, org_id: str | None = None) -> dict[str, Any]:
        self._check("get_ev_current_session", str(device_id))
        return {"session": None}

    def get_charge_policy(self, *, user_id: str, device_id: str, org_id: str | None = None) -> dict[str, Any]:
        self._check("get_charge_policy", str(device_id))
        self._find(user_id, "electric-vehicles", device_id)
        data = self.policies.get(str(device_id)) or {
            **{d: {"charge_percentage": 80, "charge_deadline": "07:00"} for d in
               ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "timezone": "Europe/Vienna",
        }
        return {"metadata": {"electric_vehicle_id": str(device_id), "user_id": str(user_id), "error": None},
                "data": copy.deepcopy(data)}

    def put_charge_policy(self, *, user_id: str, device_id: str, policy: dict[str, Any],
                          org_id: str | None = None) -> dict[str, Any]:
        self._check("put_charge_policy", str(device_id), write=True)
        self._find(user_id, "electric-vehicles", device_id)
        self.policies[str(device_id)] = copy.deepcopy(policy)
        return self.get_charge_policy(user_id=user_id, device_id=device_id)

    def get_ev_current_session(self, *, user_id: str, device_id: str, org_id: str | None = None) -> dict[str, Any]:
        self._check("get_ev_current_session", str(device_id))
        self._find(user_id, "electric-vehicles", device_id)
        return {"session": copy.deepcopy(self.sessions.get(str(device_id)))}

    # -- onboarding (a session per id; `connect` stands in for the homeowner finishing the Connect UI)
    def create_onboarding(self, *, user_id: str, language: str, price_zone_default: str,
                          is_smart_optimization_active_default: bool, success_url: str, cancel_url: str,
                          building_id: str | None = None, device_type: str | None = None) -> dict[str, Any]:
        self._check("create_onboarding", str(user_id), write=True)
        session_id = f"5e55{len(self.onboardings):04d}-0000-4000-8000-000000000000"
        session = {"authentication_url": f"https://connect.podero.invalid?onboarding_session_id={session_id}",
                   "id": session_id, "user": str(user_id), "success_url": success_url, "cancel_url": cancel_url,
                   "expiration_date": self.expiration_date, "object_id": None, "external_metadata": {},
                   "_body": {"language": language, "price_zone_default": price_zone_default,
                             "is_smart_optimization_active_default": is_smart_optimization_active_default}}
        self.onboardings[session_id] = session
        return {k: v for k, v in copy.deepcopy(session).items() if not k.startswith("_")}

    def get_onboarding(self, *, onboarding_id: str) -> dict[str, Any]:
        self._check("get_onboarding", str(onboarding_id))
        session = self.onboardings.get(str(onboarding_id))
        if session is None:
            raise podero.PoderoNotFound(status=404, method="GET", path="/device-onboarding", body={"detail": "Not Found"})
        return {k: v for k, v in copy.deepcopy(session).items() if not k.startswith("_")}

    def connect(self, onboarding_id: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        session = self.onboardings[onboarding_id]
        self.add(session["user"], kind, payload)
        session["object_id"] = payload["id"]
        return payload

    def delete_device(self, *, user_id: str, kind: str, device_id: str, org_id: str | None = None,
                      deleted_at: Any = None) -> dict[str, Any]:
        self._check("delete_device", kind, str(device_id), write=True)
        item = self._find(user_id, kind, device_id)
        self.devices[(str(user_id), kind)].remove(item)
        self.deleted.append(item)
        return {**copy.deepcopy(item), "deleted_at": "2026-01-01T00:00:00Z", "lifecycle_state": "deleted"}

    def get_device_including_deleted(self, *, user_id: str, kind: str, device_id: str,
                                     org_id: str | None = None) -> dict[str, Any]:
        self._check("get_device_including_deleted", kind, str(device_id))
        for item in self.deleted:
            if item.get("id") == str(device_id):
                return {**copy.deepcopy(item), "deleted_at": "2026-01-01T00:00:00Z", "lifecycle_state": "deleted"}
        return copy.deepcopy(self._find(user_id, kind, device_id))

    def start_auth_session(self, *, user_id: str, kind: str, device_id: str, success_url: str,
                           cancel_url: str, org_id: str | None = None) -> str:
        self._check("start_auth_session", kind, str(device_id), write=True)
        self._find(user_id, kind, device_id)
        return f"https://manufacturer.example/connect/{device_id}"

    def resolve_action(self, *, url: str, success_url: str, cancel_url: str, language: str | None = None) -> str:
        self._check("resolve_action", url.split("?", 1)[0], write=True)
        return "https://manufacturer.example/connect/resolve"

    WRITES = frozenset({"update_device", "start_boost", "cancel_boost", "put_charge_policy", "start_auth_session",
                        "resolve_action", "create_onboarding", "delete_device"})

    def writes(self) -> list[tuple[str, ...]]:
        """Every upstream call that changes something (what a refusal must never reach)."""
        return [c for c in self.calls if c[0] in self.WRITES]

    def list_calls(self, name: str) -> list[tuple[str, ...]]:
        return [c for c in self.calls if c[0] == name]
