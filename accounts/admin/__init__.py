"""Django admin for partner staff: homeowners, their Podero link and devices, and the connection health.

The homeowner list reads device figures from the cache only (`services.cached_overviews`, one cache
round trip per page, never an upstream call per row). A homeowner's page makes one
`services.device_overview` call, through the same cache the dashboard uses.

Modules: `common`, `homeowners`, `staff` and `site` (health, login); importing this package
registers them all.
"""

from __future__ import annotations

from . import common  # noqa: F401 - the site's header and settings first
from .homeowners import HomeownerAdmin  # noqa: F401
from .site import admin_login, podero_health  # noqa: F401
from .staff import StaffAdmin  # noqa: F401
