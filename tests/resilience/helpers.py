"""Small helpers shared by the resilience tests."""

from __future__ import annotations

import html as html_lib
import re
import time
from collections.abc import Callable

from django.core.cache import cache

from devices import services
from devices.podero import KINDS

NOT_REACHABLE_NOTICE = re.compile(r"Last updated .{1,60}? ago\s*[—-]\s*Podero is not reachable")


def page_text(response) -> str:
    """The visible text of a response: tags dropped, entities decoded, whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def age_entries(link, seconds: float, kinds=KINDS) -> None:
    """Pretend the cached lists were fetched `seconds` ago (everything timed from that fetch moves too)."""
    ids = services.Ids.of(link)
    for kind in kinds:
        entry = services.read_entry(ids.key(kind))
        assert entry is not None, f"nothing cached for {kind}"
        shift = entry["fetched_at"] - (time.time() - seconds)
        aged = {**entry, "fetched_at": entry["fetched_at"] - shift}
        if entry.get("next_sync_at") is not None:
            aged["next_sync_at"] = entry["next_sync_at"] - shift
        cache.set(ids.key(kind), aged, services.KEEP_FOR)


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> object:
    """Poll `predicate` until it is truthy (bounded); returns its value or fails."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def refreshes_done(link, kinds=KINDS) -> bool:
    """True when no background refresh guard is left for these kinds."""
    ids = services.Ids.of(link)
    return all(cache.get(ids.key(kind) + ":refreshing") is None for kind in kinds)
