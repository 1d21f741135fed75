"""Limits of the history pages, and numbers, money and time in the homeowner's language and zone."""

from __future__ import annotations

import functools
import math
import re
import zoneinfo
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

RANGES = ("day", "week", "month", "year")
FETCH_RESOLUTION = {"day": "15MIN", "week": "1HOUR", "month": "1HOUR", "year": "1DAY"}
FETCH_STEP = {"15MIN": timedelta(minutes=15), "1HOUR": timedelta(hours=1), "1DAY": timedelta(days=1)}
SAVINGS_RESOLUTION = {"day": "1DAY", "week": "1WEEK", "month": "1MONTH", "year": "1YEAR"}
HISTORY_YEARS = 10  # the picker goes back this far; an older date is a crafted URL, refused before any call
SESSIONS_PER_PAGE = 20
SESSION_WINDOW_DAYS = 2 * 365  # the sessions list covers the last two years (the API needs a range)
SESSIONS_IN_RANGE = 10  # sessions listed under an EV's chart
CSV_MAX_SESSIONS = 2000  # 10 API pages of 200: far more than two years of charging
PANEL_PX = {"main": 150.0, "price": 70.0}

_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="history-page")


class RangeError(ValueError):
    """A range the homeowner cannot ask for; `str()` is a sentence for them."""


# --- Numbers, money and time in the homeowner's language and zone ---------------------------------
@functools.lru_cache(maxsize=16)
def _separators(language: str) -> tuple[str, str, int]:
    """(decimal, thousands, group size) of a language, as Django's formats name them."""
    grouping = formats.get_format("NUMBER_GROUPING", language, use_l10n=True)
    return (str(formats.get_format("DECIMAL_SEPARATOR", language, use_l10n=True)),
            str(formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True)),
            grouping if isinstance(grouping, int) and grouping > 0 else 3)


def number(value: float | None, places: int = 1) -> str:
    """Rounded half up (Django's number_format truncates), grouped and separated as the active language
    writes numbers ("1,234.5"; German "1.234,5"). A table draws thousands of them: no Decimal per cell."""
    if value is None or not math.isfinite(value):
        return "–"
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):.{places}f}"
    whole, _dot, fraction = text.partition(".")
    decimal_sep, thousands, group = _separators(get_language() or settings.LANGUAGE_CODE)
    if len(whole) > group:
        head = len(whole) % group or group
        whole = whole[:head] + "".join(thousands + whole[i:i + group] for i in range(head, len(whole), group))
    sign = "-" if rounded < 0 else ""
    return f"{sign}{whole}{decimal_sep}{fraction}" if fraction else f"{sign}{whole}"


_AFTER_NUMBER = re.compile(r"(%\(\w+\)\w+) ")


def _nbsp(pattern: str) -> str:
    """A unit never wraps away from its number ("12,34 €", "€ 12.34", "5 min"): the catalogue writes plain
    spaces (xgettext reads no \\u escapes, and a translator cannot see a no-break space), made no-break here."""
    return _AFTER_NUMBER.sub("\\1\u00a0", pattern).replace("€ ", "€\u00a0")


def money(eur: float | None) -> str:
    """"€ 12.34" (the order comes from the translation: German reads "12,34 €")."""
    if eur is None:
        return "–"
    text = _nbsp(_("€ %(amount)s")) % {"amount": number(abs(eur), 2)}
    return f"−{text}" if eur < 0 and round(abs(eur), 2) > 0 else text


def zone_of(user: Any) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(str(getattr(user, "timezone", "") or settings.TIME_ZONE))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def iso_local(at: datetime | None, zone: tzinfo) -> str:
    """ISO 8601 with the local offset, for CSV ("2026-03-29T03:00:00+02:00")."""
    return "" if at is None else at.astimezone(zone).isoformat(timespec="seconds")


def date_text(at: datetime | date, fmt: str = "DATE_FORMAT") -> str:
    return formats.date_format(at, fmt)


def local_time(at: datetime | None, zone: tzinfo) -> str:
    if at is None:
        return _("unknown")
    local = at.astimezone(zone)
    return _("%(date)s %(time)s") % {"date": formats.date_format(local, "SHORT_DATE_FORMAT"),
                                     "time": formats.time_format(local, "TIME_FORMAT")}


def duration_text(value: timedelta | None) -> str:
    if value is None or value.total_seconds() < 0:
        return _("unknown")
    minutes = int(round(value.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _nbsp(_("%(m)d min")) % {"m": rest}
    return _nbsp(_("%(h)d h %(m)02d min")) % {"h": hours, "m": rest}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)

