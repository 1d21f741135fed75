"""Onboarding and removal endpoints of the client (addendum §1b, fact sheet §2 #41/#42 and §2 notes).

* `POST /api/partners/v2.0/device-onboarding` opens a session and returns the Connect UI's
  `authentication_url` (note: no `/org/{org}` in this path; the user travels in the body).
* `GET /api/partners/v2.0/device-onboarding/{id}` reads it back; `object_id` is the created device.
* No device DELETE was seen: a device is soft-deleted by a PUT of `deleted_at` (§2 notes, §3.1), after
  which it is a 404 and absent from lists unless `include_deleted=true` (§6, §8 #8).
All go through `_call`: writes are never retried, and a POST/PUT that got no answer raises
PoderoOutcomeUnknown (PoderoWriteTimeout for a timeout), never a plain failure. Imports: errors only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from .constants import API_PREFIX
from .errors import PoderoBadResponse

ONBOARDING_PATH = f"{API_PREFIX}/device-onboarding"


class OnboardingEndpoints:

    def create_onboarding(self, *, user_id: str, language: str, price_zone_default: str,
                          is_smart_optimization_active_default: bool, success_url: str, cancel_url: str,
                          building_id: str | None = None, device_type: str | None = None) -> dict[str, Any]:
        """Open an onboarding session for the user; the answer carries `id` and `authentication_url`."""
        body: dict[str, Any] = {
            "language": language,
            "price_zone_default": price_zone_default,
            "is_smart_optimization_active_default": bool(is_smart_optimization_active_default),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "user_id": str(uuid.UUID(str(user_id))),
        }
        if building_id:
            body["building_id"] = str(uuid.UUID(str(building_id)))
        if device_type:
            body["device_type"] = device_type
        data = self._call("POST", ONBOARDING_PATH, json=body)
        return _session(data)

    def get_onboarding(self, *, onboarding_id: str) -> dict[str, Any]:
        return _session(self._call("GET", f"{ONBOARDING_PATH}/{uuid.UUID(str(onboarding_id))}"))

    def delete_device(self, *, org_id: str | None = None, user_id: str, kind: str, device_id: str,
                      deleted_at: datetime | None = None) -> dict[str, Any]:
        """Soft-delete: PUT `deleted_at` (now unless given). Returns the device as the PUT answered it."""
        at = (deleted_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        data = self._call("PUT", self._device_path(user_id, kind, device_id, org_id), json={"deleted_at": at})
        return data if isinstance(data, dict) else {}

    def get_device_including_deleted(self, *, org_id: str | None = None, user_id: str, kind: str,
                                     device_id: str) -> dict[str, Any]:
        """The device even when soft-deleted (`include_deleted=true`): how a removal is confirmed."""
        data = self._call("GET", self._device_path(user_id, kind, device_id, org_id) + "?include_deleted=true")
        if not isinstance(data, dict):
            raise PoderoBadResponse(f"{kind} detail is not a JSON object")
        return data


def _session(data: Any) -> dict[str, Any]:
    """An onboarding session as we rely on it: an id, and a usable http(s) authentication_url."""
    if not isinstance(data, dict):
        raise PoderoBadResponse("onboarding session is not a JSON object")
    try:
        uuid.UUID(str(data.get("id")))
    except ValueError:
        raise PoderoBadResponse("onboarding session has no usable id") from None
    url = data.get("authentication_url")
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        raise PoderoBadResponse("onboarding session has no usable authentication_url")
    return data
