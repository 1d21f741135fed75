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

    def list_calls(self, name: str) -> list[tuple[str, ...]]:
        return [c for c in self.calls if c[0] == name]
