"""Who is looking: the homeowners with an open dashboard (the warming job keeps their lists fresh).

Every page load and poll (a 204 too) records the homeowner in one Redis sorted set, scored by the time of
the poll, so finding the open dashboards costs O(open dashboards), never a scan of all homeowners. A
dashboard that has not polled for ACTIVE_FOR seconds (closed, or its tab hidden) drops out: from then on
it costs no upstream calls. Without Redis (make run) a small dict in the in-process cache does the same.

A process notes the same homeowner at most once per SEEN_EVERY_S (more tabs, a reload and its poll): the
score is then at most that much older than the last poll, so an open tab (polling every 30 s) stays well
inside ACTIVE_FOR and a closed one drops out no later than before.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from .cache import Ids
from .errors import LinkLike

SEEN_KEY = "devices:v1:{org}:{user}:seen"
SEEN_FOR = 15 * 60  # the admin's "recently seen" marker
ACTIVE_KEY = "devices:v1:active-dashboards"
ACTIVE_FOR = 60  # seconds since the last poll (polls come every 30 s while a tab is visible)
_PRUNE_EVERY = 30
SEEN_EVERY_S = 10
_noted = LocMemCache("dashboard-seen", {"TIMEOUT": SEEN_EVERY_S, "OPTIONS": {"MAX_ENTRIES": 20000}})


def forget_noted() -> None:
    """Forget what this process noted lately (tests start each with nothing noted)."""
    _noted.clear()


def _member(ids: Ids) -> str:
    return f"{ids.org}:{ids.user}"


def _zsets() -> bool:
    return hasattr(cache, "zadd")


def dashboard_seen(*, link: LinkLike) -> None:
    """Note that this homeowner's dashboard is open (a sorted-set write and the admin's marker, one round trip)."""
    ids = Ids.of(link)
    if not _noted.add(_member(ids), 1, SEEN_EVERY_S):
        return  # this process noted this home less than SEEN_EVERY_S ago
    now = time.time()
    seen = SEEN_KEY.format(org=ids.org, user=ids.user)
    if hasattr(cache, "set_and_zadd"):  # Redis (dashboard.cache): both writes in one round trip
        cache.set_and_zadd(seen, 1, SEEN_FOR, ACTIVE_KEY, {_member(ids): now})
        return
    cache.set(seen, 1, SEEN_FOR)
    if _zsets():
        cache.zadd(ACTIVE_KEY, {_member(ids): now})
        return
    found = cache.get(ACTIVE_KEY) or {}
    found = {m: t for m, t in found.items() if now - t < ACTIVE_FOR}
    found[_member(ids)] = now
    cache.set(ACTIVE_KEY, found, ACTIVE_FOR * 2)


def active_dashboards(*, within: float = ACTIVE_FOR) -> list[Ids]:
    """The homeowners whose dashboard polled within `within` seconds, newest first not guaranteed."""
    now = time.time()
    if _zsets():
        members = cache.zrangebyscore(ACTIVE_KEY, now - within, "+inf")
        if cache.add(ACTIVE_KEY + ":pruned", 1, _PRUNE_EVERY):
            cache.zremrangebyscore(ACTIVE_KEY, "-inf", now - SEEN_FOR)
    else:
        members = [m for m, t in (cache.get(ACTIVE_KEY) or {}).items() if now - t < within]
    out = []
    for member in members:
        org, _, user = str(member).partition(":")
        if org and user:
            out.append(Ids(org=org, user=user))
    return out


def recently_seen(*, links: Iterable[LinkLike]) -> list[LinkLike]:
    """The links among `links` whose dashboard asked within SEEN_FOR (one cache round trip)."""
    by_key = {}
    for link in links:
        ids = Ids.of(link)
        by_key[SEEN_KEY.format(org=ids.org, user=ids.user)] = link
    found = cache.get_many(list(by_key)) if by_key else {}
    return [link for key, link in by_key.items() if key in found]
