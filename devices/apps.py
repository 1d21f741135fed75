from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices"

    def ready(self) -> None:
        # Every process (web, worker, beat, management commands) registers the Celery tasks: the services
        # enqueue them by name (devices/services/background.py) and never import devices.tasks themselves.
        from . import tasks  # noqa: F401
