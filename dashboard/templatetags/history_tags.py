"""Filters for the history pages: money, savings, times in the homeowner's zone, session words."""

from __future__ import annotations

from datetime import timedelta, tzinfo
from typing import Any

from django import template

from .. import history

register = template.Library()


@register.filter
def eur(value: Any) -> str:
    return history.money(value if isinstance(value, int | float) else None)


@register.filter
def saved(value: Any) -> str:
    """A savings cell: "€ 12.34 (18 %)", "nothing yet" or "not known yet" (never "€ 0.00")."""
    return history.saved_words(value)


@register.filter
def kwh_value(value: Any) -> str:
    return "–" if not isinstance(value, int | float) else f"{history.number(value, 1)}\u00a0kWh"


@register.filter
def kw_value(value: Any) -> str:
    return "–" if not isinstance(value, int | float) else f"{history.number(value, 1)}\u00a0kW"


@register.filter
def soc(value: Any) -> str:
    return "–" if not isinstance(value, int | float) else f"{history.number(value, 0)}\u00a0%"


@register.filter
def local_time(value: Any, zone: tzinfo | None) -> str:
    return history.local_time(value, zone) if zone is not None else history.local_time(value, history.zone_of(None))


@register.filter
def local_date(value: Any, zone: tzinfo | None) -> str:
    if value is None:
        return "–"
    return history.date_text(value.astimezone(zone) if zone is not None else value)


@register.filter
def iso_local(value: Any, zone: tzinfo) -> str:
    return history.iso_local(value, zone)


@register.filter
def span(value: Any) -> str:
    return history.duration_text(value if isinstance(value, timedelta) else None)


@register.filter
def outcome(value: Any) -> str:
    return history.outcome_words(value)


@register.filter
def session_day(value: Any) -> str:
    return history.session_day(value) or ""
