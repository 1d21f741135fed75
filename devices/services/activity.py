"""Who is looking: the homeowners with an open dashboard (the warming job keeps their lists fresh)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

from .cache import Ids
from .errors import LinkLike

SEEN_KEY = "devices:v1:{org}:{user}:seen"
SEEN_FOR = 15 * 60  # a homeowner whose dashboard asked within this window counts as active


def dashboard_seen(*, link: LinkLike) -> None:
    """Note that this homeowner's dashboard is open."""
    ids = Ids.of(link)
    cache.set(SEEN_KEY.format(org=ids.org, user=ids.user), 1, SEEN_FOR)


def recently_seen(*, links: Iterable[LinkLike]) -> list[LinkLike]:
    """The links among `links` whose dashboard asked within SEEN_FOR (one cache round trip)."""
    by_key = {}
    for link in links:
        ids = Ids.of(link)
        by_key[SEEN_KEY.format(org=ids.org, user=ids.user)] = link
    found = cache.get_many(list(by_key)) if by_key else {}
    return [link for key, link in by_key.items() if key in found]
