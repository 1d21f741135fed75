"""The card's facts beside the device (reason line, timed pause, EV plan) and the boost copy."""

from __future__ import annotations

import logging
import time
from typing import Any

from django import template

from devices import services
from devices.boost import STUCK_AFTER_S, BoostView, boost_view
from devices.schemas import ElectricVehicle

register = template.Library()
log = logging.getLogger("dashboard.cards")
BOOST_SESSION_KEY = "boost-requested:{id}"  # the same key dashboard.controls stores a boost's start under


def facts_for(request: Any, device: Any) -> services.CardFacts:
    """Gathered once per request and device (the page version and the card both need them)."""
    memo = getattr(request, "_card_facts", None)
    if memo is None:
        memo = {}
        if request is not None:
            request._card_facts = memo
    key = repr(device)
    if key in memo:
        return memo[key]
    link = getattr(request, "household_link", None)  # the home this person sees (views.homeowner_required)
    try:
        facts = services.card_facts(link=link, device=device)
    except Exception:  # noqa: BLE001 - a card must render whatever its facts say
        log.exception("card_facts_failed")
        facts = services.CardFacts(reason=None, pause=None, ev=None)
    memo[key] = facts
    return facts


@register.simple_tag(takes_context=True)
def card_facts(context: template.Context, device: Any) -> services.CardFacts:
    """What render_cards already gathered for this card, else gathered now (a control redrawing one card)."""
    given = context.get("facts")
    if isinstance(given, services.CardFacts) and context.get("facts_for") == getattr(device, "id", None):
        return given
    return facts_for(context.get("request"), device)


def boost_stuck(request: Any, device: Any) -> bool:
    """A boost this browser asked for more than STUCK_AFTER_S ago that is still `requested`."""
    session = getattr(request, "session", None)
    started = session.get(BOOST_SESSION_KEY.format(id=device.id)) if session is not None else None
    return started is not None and time.time() - float(started) > STUCK_AFTER_S


@register.simple_tag(takes_context=True)
def boost_copy(context: template.Context, device: Any) -> BoostView | None:
    if not isinstance(device, ElectricVehicle):
        return None
    stuck = bool(context.get("boost_poll_stopped")) or boost_stuck(context.get("request"), device)
    return boost_view(device, stuck=stuck)


@register.simple_tag(takes_context=True)
def home_use(context: template.Context, devices: list[Any]) -> Any:
    """The home's consumption chart, from the cache when these devices drew it before (dashboard.cards)."""
    from dashboard import cards  # cards imports this module

    return cards.render_home_use(context.get("request"), devices)
