""""Charge now", honest at every step: one state, one sentence, and the pill in step with it.

A pure function of the car (and whether a `requested` boost has been waiting too long): the card shows
`sentence` once, the pill says `pill`, and `action` names the one control that applies (or none: there is
no API to stop a running EV boost, so instead of a dead button the sentence says what ends it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .schemas import BoostState, ElectricVehicle

STUCK_AFTER_S = 180  # a boost still `requested` after this long is said to be stuck, with a retry


@dataclass(frozen=True, slots=True)
class BoostView:
    state: str  # available | requested | stuck | ongoing | armed | arm | unavailable | unknown
    sentence: str
    pill: str
    action: str | None  # "boost" | "retry" | "arm" | "cancel" | None


def _goal(ev: ElectricVehicle) -> str:
    cap = ev.charge_target_max
    return _("until %(cap)d %%") % {"cap": cap} if cap is not None and cap < 100 else _("until the battery is full")


def charge_pill(ev: ElectricVehicle) -> str:
    """The charge status in a few words (the pill), when no boost is under way."""
    return ev.charge_status_label  # already in the homeowner's language


def boost_view(ev: ElectricVehicle, *, stuck: bool = False) -> BoostView:
    state = ev.boost_state
    if state is BoostState.REQUESTED:
        if stuck:
            return BoostView("stuck", _("Still starting after 3 minutes: the car has not begun charging. Check that "
                                        "it is plugged in and the cable is locked, then try again."),
                             _("Not started yet"), "retry")
        return BoostView("requested", _("Starting… (usually under a minute)"), _("Starting…"), None)
    if state is BoostState.ONGOING:
        return BoostView("ongoing", _("Charging at full power %(goal)s; it ends by itself then, or when you unplug "
                                      "the car.") % {"goal": _goal(ev)}, _("Charging"), None)
    if ev.boost_for_next_session:
        return BoostView("armed", _("Will charge at full power as soon as you plug in."),
                         _("Unplugged — charges when plugged in"), "cancel")
    if state is BoostState.AVAILABLE:
        return BoostView("available", _("Charges at full power straight away, whatever the price."), charge_pill(ev),
                         "boost")
    if state is BoostState.UNAVAILABLE:
        if ev.is_authenticated is False:
            why = _("Charge now is not available: the car is not connected to Podero.")
        elif ev.is_plugged_in is False:
            return BoostView("arm", _("Plug in the car, or have it charge at full power as soon as you do."),
                             charge_pill(ev), "arm")
        elif ev.is_fully_charged:
            why = _("Charge now is not available: the battery is full.")
        elif ev.is_charging:
            why = _("Charge now is not available: the car is already charging.")
        else:
            why = _("Charge now is not available for this car right now.")
        return BoostView("unavailable", why, charge_pill(ev), None)
    return BoostView("unknown", _("Charge now is not available: the car's charging state is not known."),
                     charge_pill(ev), None)
