"""Template filters for the partner staff pages (admin): durations and ids people can read."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def duration_words(seconds: Any) -> str:
    """42 → "42 s", 754 → "12 min", 35258 → "9 h 47 min", 190000 → "2 d 4 h"."""
    try:
        total = max(0, int(round(float(seconds))))
    except (TypeError, ValueError):
        return ""
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours} if hours else _("%(d)d d") % {"d": days}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes} if minutes else _("%(h)d h") % {"h": hours}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": secs}


@register.filter
def in_duration(seconds: Any) -> str:
    """"in 9 h 47 min" (a time to come, in seconds)."""
    words = duration_words(seconds)
    return _("in %(duration)s") % {"duration": words} if words else ""


@register.filter
def short_id(value: Any) -> str:
    """The first block of a UUID ("497f6eca…"): enough to tell ids apart in a list; the full id goes in a title."""
    text = str(value or "")
    return f"{text[:8]}…" if len(text) > 9 else text
