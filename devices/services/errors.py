"""What the services raise and how a failure reads to people. Imports: devices.podero only."""

from __future__ import annotations

from typing import Any, Protocol

from django.http import Http404
from django.utils.translation import gettext, gettext_noop

from .. import podero


class LinkLike(Protocol):
    """A homeowner's Podero link: the services read only these two ids."""

    org_id: Any
    podero_user_id: Any


class DeviceNotFound(Http404):
    """A device id that is not among the homeowner's own devices."""


class RecentFailure(podero.PoderoUnavailable):
    """This key's fetch failed moments ago (the error memo); the message is that failure's description."""


_UNREACHABLE = gettext_noop("Podero is not reachable.")
_BUSY = gettext_noop("Podero is busy; we'll try again in a moment.")
_NOT_AUTHORISED = gettext_noop("The connection to Podero is not authorised. Please contact support.")
_UNREADABLE = gettext_noop("Podero sent data we could not read.")
_NO_ANSWER = gettext_noop("Podero could not answer this request.")


def describe_failure_source(exc: BaseException) -> str:
    """The sentence in English (the catalogue's msgid): what the cache keeps, so each reader gets it in
    their own language through `describe_failure` (a memo is read by people of either language)."""
    if isinstance(exc, RecentFailure):
        return str(exc)
    if isinstance(exc, podero.PoderoCircuitOpen) and not exc.rate_limited:
        return _UNREACHABLE  # paused after repeated failures: still an outage to the reader
    if isinstance(exc, podero.PoderoRateLimited | podero.PoderoCircuitOpen):
        return _BUSY
    if isinstance(exc, podero.PoderoUnavailable):
        return _UNREACHABLE
    if isinstance(exc, podero.PoderoAuthError):
        return _NOT_AUTHORISED
    if isinstance(exc, podero.PoderoBadResponse):
        return _UNREADABLE
    return _NO_ANSWER


def describe_failure(exc: BaseException) -> str:
    """A short sentence for people, in the active language; never str(exc)."""
    return gettext(describe_failure_source(exc))


def failure_text(source: str | None) -> str | None:
    """A failure sentence the cache kept (English, see `describe_failure_source`) in the active language."""
    return gettext(source) if source else None
