"""ROOT_URLCONF for `manage.py runsimulator`: the simulator alone, at the host root (like app.podero.com)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("", include("simulator.urls"))]
