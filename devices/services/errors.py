"""What the services raise and how a failure reads to people. Imports: devices.podero only."""

from __future__ import annotations

from typing import Any, Protocol

from django.http import Http404

from .. import podero


class LinkLike(Protocol):
    """A homeowner's Podero link: the services read only these two ids."""

    org_id: Any
    podero_user_id: Any


class DeviceNotFound(Http404):
    """A device id that is not among the homeowner's own devices."""


class RecentFailure(podero.PoderoUnavailable):
    """This key's fetch failed moments ago (the error memo); the message is that failure's description."""


def describe_failure(exc: BaseException) -> str:
    """A short sentence for people; never str(exc)."""
    if isinstance(exc, RecentFailure):
        return str(exc)
    if isinstance(exc, podero.PoderoCircuitOpen) and not exc.rate_limited:
        return "Podero is not reachable."  # paused after repeated failures: still an outage to the reader
    if isinstance(exc, podero.PoderoRateLimited | podero.PoderoCircuitOpen):
        return "Podero is busy; we'll try again in a moment."
    if isinstance(exc, podero.PoderoUnavailable):
        return "Podero is not reachable."
    if isinstance(exc, podero.PoderoAuthError):
        return "The connection to Podero is not authorised. Please contact support."
    if isinstance(exc, podero.PoderoBadResponse):
        return "Podero sent data we could not read."
    return "Podero could not answer this request."
