"""System checks of our own, run by `manage.py check` (and `check --deploy` for the deploy ones)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def simulator_not_mounted(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """The simulator answers anyone: its token endpoint issues tokens, `_sim/faults` injects faults and
    `_sim/demo` seeds data. A production deploy must not serve it."""
    if not getattr(settings, "PODERO_SIMULATOR", False):
        return []
    return [Warning(
        "The Podero simulator is mounted under /simulator/ (PODERO_SIMULATOR is on): anyone can get tokens "
        "from it, inject faults and seed demo data.",
        hint="Set PODERO_SIMULATOR=0 in production; run the simulator only for demos and tests.",
        id="dashboard.W001",
    )]


@register()
def partner_brand(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """A PARTNER_* colour or link that was refused (see dashboard/branding.py) runs on the default."""
    return [Warning(problem, hint="See the README's partner branding settings.", id="dashboard.W002")
            for problem in settings.PARTNER.problems]
