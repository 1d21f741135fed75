"""What every admin page of ours shares: the partner's name in the header, permissions, sizes."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("accounts.admin")

REFRESH_PERM = "accounts.refresh_devices"
AUDIT_ROWS = 20

PARTNER_NAME = settings.PARTNER.name
admin.site.site_header = _("%(partner)s · partner support") % {"partner": PARTNER_NAME}
admin.site.site_title = _("%(partner)s support") % {"partner": PARTNER_NAME}
admin.site.index_title = _("Support desk")
# The collapsible app list on the left takes 300 px of a 1280 px screen from every list; the index and the
# breadcrumbs lead everywhere it does.
admin.site.enable_nav_sidebar = False

