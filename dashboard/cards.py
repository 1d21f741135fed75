"""The home page's device cards, rendered once per change, and the version a poll compares.

* `render_cards`: each card's HTML is cached, keyed by everything it is drawn from: the device's data,
  the homeowner's language, time zone and household role, the plan line, the relative times it prints,
  and this browser's CSRF secret (the card's forms carry a token made from it). A warm page renders no
  card template at all; one card that changed is the only one rendered again.
* `page_version`: what the cards region shows, without its relative times (static/js/dashboard.js keeps
  those current). A poll that sends back the version it has gets 204 No Content when nothing changed.
* `render_home_use`: the home's consumption chart below the cards, cached the same way (it was the
  costliest part of a warm page left to render).

The keys are content addresses (a hash of everything the HTML is drawn from), so a copy kept in this
process can never be out of date: each web process keeps the HTML it drew or read lately (`_drawn`, a
bounded LocMemCache) and asks Redis only for what it lacks. A warm page of a home this process served
before reads no card from Redis at all (measured: one round trip fewer per warm page, bench/scale.py).
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import engines
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from devices.schemas import Device

from .templatetags.cardfacts import boost_stuck, facts_for
from .templatetags.energy import ago

CARD_KEY = "card:v2:{}"
CARD_TTL_S = 10 * 60
HOME_USE_KEY = "home-use:v1:{}"
# ~1,000 cards of ~10 kB: about 10 MB per web process at most; the least recently used go first.
_drawn = LocMemCache("dashboard-cards", {"TIMEOUT": CARD_TTL_S, "OPTIONS": {"MAX_ENTRIES": 1000}})


def forget_drawn() -> None:
    """Empty this process's copies (tests start each with nothing drawn)."""
    _drawn.clear()


def _get_many(keys: list[str]) -> dict[str, Any]:
    """This process's copies first, then Redis for the rest (kept here too)."""
    found = _drawn.get_many(keys)
    missing = [k for k in keys if k not in found]
    if missing:
        shared = cache.get_many(missing)
        if shared:
            _drawn.set_many(shared)
        found.update(shared)
    return found


def _set_many(drawn: dict[str, str]) -> None:
    cache.set_many(drawn, CARD_TTL_S)
    _drawn.set_many(drawn)


def _h(*parts: Any) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8", "backslashreplace"), digest_size=10).hexdigest()


def _viewer(request: HttpRequest) -> tuple[str, str, str]:
    user = getattr(request, "user", None)
    return (get_language() or "en", str(getattr(user, "timezone", "") or ""),
            str(getattr(request, "household_role", "owner")))


def _facts(request: HttpRequest, device: Device, facts: Any = None) -> tuple[Any, ...]:
    """What a card is drawn from, apart from the relative times it prints: the device, and its facts
    beside it (the reason line, the timed pause, an EV's plan and confidence, whether a boost is stuck)."""
    facts = facts if facts is not None else facts_for(request, device)
    return (repr(device), device.is_state_stale(), repr(facts), boost_stuck(request, device))


def render_cards(request: HttpRequest, devices: list[Device]) -> list[SafeString]:
    viewer = _viewer(request)
    get_token(request)  # a browser without a CSRF cookie yet gets its secret now, not someone else's card
    csrf = hashlib.blake2b(request.META.get("CSRF_COOKIE", "").encode(), digest_size=6).hexdigest()
    gathered = [facts_for(request, d) for d in devices]
    keys = [CARD_KEY.format(_h(viewer, csrf, _facts(request, d, f), ago(d.state_updated_at)))
            for d, f in zip(devices, gathered, strict=True)]
    # The home's consumption chart below the cards is read in the same round trip (render_home_use).
    home_use = _home_use_key(request, devices)
    found = _get_many([*keys, home_use]) if keys else {}
    if request is not None:
        request._home_use = (home_use, found.get(home_use))  # type: ignore[attr-defined]
    out: list[SafeString] = []
    fresh: dict[str, str] = {}
    for device, key, facts in zip(devices, keys, gathered, strict=True):
        html = found.get(key)
        if not isinstance(html, str):
            html = render_to_string("dashboard/home.html#device-card",
                                    {"device": device, "facts": facts, "facts_for": device.id}, request=request)
            fresh[key] = html
        out.append(mark_safe(html))  # noqa: S308 - our own template's output, cached as rendered
    if fresh:
        _set_many(fresh)
    return out


@functools.cache
def _home_use_template() -> Any:
    return engines["django"].from_string("{% load energy %}{% home_consumption devices %}")


def _home_use_key(request: HttpRequest, devices: list[Device]) -> str:
    return HOME_USE_KEY.format(_h(_viewer(request), tuple(repr(d) for d in devices)))


def render_home_use(request: HttpRequest, devices: list[Device]) -> SafeString:
    """The home's consumption chart (`{% home_consumption devices %}`), rendered once per change: keyed by
    the devices' data (all of it: the chart reads their names and consumption) and the viewer."""
    key = _home_use_key(request, devices)
    read = getattr(request, "_home_use", None)  # what render_cards read with the cards
    html = read[1] if read is not None and read[0] == key else _get_many([key]).get(key)
    if not isinstance(html, str):
        html = _home_use_template().render({"devices": devices})
        _set_many({key: html})
    return mark_safe(html)  # noqa: S308 - our own template's output, cached as rendered


def page_version(request: HttpRequest, overview: Any, devices: list[Device]) -> str:
    kinds = tuple((kind, r.error, r.fetched_at is None) for kind, r in overview.kinds.items())
    return _h(_viewer(request), kinds, tuple(_facts(request, d) for d in devices))
