"""Tolerant scalar parsers: a null, a placeholder or a broken value becomes None, never an exception."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

STALE_AFTER = timedelta(hours=1)  # the guide's "state older than 1 h" warning


# --- Tolerant scalar parsers -------------------------------------------------------------------
def as_int(value: Any) -> int | None:
    number = as_float(value)
    return None if number is None else int(round(number))


MAX_PLAUSIBLE = 1e9  # no home reading (W, kWh, °C, km) comes near this; larger is a broken payload


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) and abs(number) < MAX_PLAUSIBLE else None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "yes", "1", "on"}:
            return True
        if lowered in {"false", "no", "0", "off"}:
            return False
    return None


def as_str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def as_datetime(value: Any) -> datetime | None:
    """ISO-8601 to an aware UTC datetime. The sentinel `0001-01-01T00:00:00Z` means "never"."""
    text = as_str(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year <= 1:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def as_time(value: Any) -> time | None:
    """`HH:MM`, `HH:MM:SS` or a full datetime (the docs disagree, fact sheet §8 #20)."""
    text = as_str(value)
    if not text:
        return None
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    parsed = as_datetime(text)
    return parsed.time().replace(tzinfo=None) if parsed else None


def as_uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def as_percent(value: Any) -> int | None:
    number = as_int(value)
    return number if number is not None and 0 <= number <= 100 else None


def _first(raw: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if raw.get(name) is not None:
            return raw[name]
    return None

