"""Template context for every page: the household role the homeowner view resolved."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def household(request: HttpRequest) -> dict[str, Any]:
    """`can_control`: draw the device controls; `can_manage`: draw "Add a device" and "Remove this
    device". Only a homeowner view sets the role (owner: both; member: controls); anywhere else, a
    viewer, and staff's "view as homeowner" draw none (fail closed)."""
    role = getattr(request, "household_role", None)
    return {"household_role": role, "can_control": role in ("owner", "member"), "can_manage": role == "owner"}
