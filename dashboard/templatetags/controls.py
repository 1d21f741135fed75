"""Template helpers for the device controls (templates/dashboard/controls/)."""

from __future__ import annotations

import logging
from typing import Any

from django import template

from dashboard.forms import ChargeDeadlineForm
from devices import services
from devices.podero import PoderoError

register = template.Library()
log = logging.getLogger("dashboard.controls")

URL_KINDS = {"heat_pump": "heat-pump", "electric_vehicle": "electric-vehicle", "inverter": "inverter"}


@register.filter
def url_kind(device: Any) -> str:
    """The URL slug of a device's kind: "heat-pump", "electric-vehicle", "inverter"."""
    return URL_KINDS.get(getattr(device, "kind", ""), "")


@register.simple_tag(takes_context=True)
def deadline_form(context: template.Context, device: Any) -> ChargeDeadlineForm:
    """The charge deadline form of this EV: the one just posted (with its errors and what was typed)
    when the view passed it, else one filled from the car's current settings."""
    posted = context.get("deadline_form")
    if isinstance(posted, ChargeDeadlineForm) and posted.is_bound:
        return posted
    return ChargeDeadlineForm.for_device(device)


@register.simple_tag(takes_context=True)
def charge_plan(context: template.Context, device: Any) -> str | None:
    """"Tomorrow: 80 % by 07:00" from the weekly policy (cached 30 s); None when unknown."""
    request = context.get("request")
    link = getattr(request, "household_link", None)  # set by views.homeowner_required
    if link is None or getattr(device, "id", None) is None:
        return None
    try:
        return services.ev_charge_plan(link=link, device=device)
    except (PoderoError, ValueError, TypeError) as exc:  # a card must render whatever the policy says
        log.warning("charge_plan_failed", extra={"error": type(exc).__name__})
        return None
