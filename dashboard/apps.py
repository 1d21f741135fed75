from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Homeowner dashboard"

    def ready(self) -> None:
        import logging

        from django.conf import settings

        from . import checks  # noqa: F401 - registers the system checks

        for problem in settings.PARTNER.problems:  # also dashboard.W002 under `manage.py check`
            logging.getLogger("dashboard.branding").warning("partner_brand_refused", extra={"problem": problem})
