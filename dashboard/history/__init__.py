"""What the history pages show: the range a homeowner picked, the device's data in local buckets, the
charts per kind, their tables and CSV, savings sentences and EV sessions in plain words.

Views parse the request and call `build_history`, `session_list`, … here; this module calls the
services (never the client) and `charts` (pure geometry). Time follows the homeowner's zone: a day is
local midnight to local midnight, so it has 23, 24 or 25 hours; the API's buckets are UTC, and each
point is placed in the local bucket that holds it. Numbers are formatted for the active language;
CSV uses ISO times with offsets and '.' decimals whatever the language.

Modules: `format` (limits, numbers, money, time), `ranges`, `series` (charts per kind, tables, CSV),
`words` (savings and sessions in plain words) and `page` (the page the views render).
"""

from __future__ import annotations

from .format import (  # noqa: F401
    CSV_MAX_SESSIONS,
    FETCH_RESOLUTION,
    FETCH_STEP,
    HISTORY_YEARS,
    PANEL_PX,
    RANGES,
    SAVINGS_RESOLUTION,
    SESSION_WINDOW_DAYS,
    SESSIONS_IN_RANGE,
    SESSIONS_PER_PAGE,
    RangeError,
    _add_months,
    _pool,
    _separators,
    date_text,
    duration_text,
    iso_local,
    local_midnight,
    local_time,
    money,
    number,
    zone_of,
)
from .page import (  # noqa: F401
    REGION_KEY,
    REGION_TTL_S,
    HistoryPage,
    _call,
    all_sessions,
    build_history,
    chart_csv,
    find_session,
    links,
    region_key,
)
from .ranges import (  # noqa: F401
    ENERGY,
    FLAGS,
    RANGE_LABELS,
    STEP_LABELS,
    Bucket,
    HistoryRange,
    bucket_columns,
    make_range,
    parse_range,
)
from .series import (  # noqa: F401
    CONSUMPTION,
    PRICE,
    WITH,
    WITHOUT,
    Series,
    _cell,
    _csv_rows,
    _energy_places,
    _plain,
    _row_label,
    _shown,
    _specs,
    _summary,
    _ticks,
    build_charts,
    chart_keys,
    csv_text,
)
from .words import (  # noqa: F401
    MAX_SHOWN_PERCENT,
    OUTCOMES,
    SESSION_CSV,
    Saved,
    _share,
    headline,
    month_label,
    outcome_words,
    period_headline,
    saved_in,
    saved_words,
    session_csv_row,
    session_day,
    sessions_window,
)

__all__ = [
    "HistoryPage", "HistoryRange", "RangeError", "build_history", "csv_text", "headline", "money", "number",
    "outcome_words", "parse_range", "saved_words",
]
