from django.urls import include, path

from . import history_views, pwa, views

app_name = "dashboard"
EV = "devices/electric-vehicle/<uuid:device_id>"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("brand.css", views.brand_css, name="brand-css"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
    path("devices/<slug:kind>/<uuid:device_id>/", views.device_detail, name="device_detail"),
    # issue 10: history pages (GET only; the device is checked to be the homeowner's by the services)
    path("savings/", history_views.savings, name="savings"),
    path("devices/<slug:kind>/<uuid:device_id>/history.csv", history_views.history_csv, name="history-csv"),
    path(f"{EV}/sessions/", history_views.ev_sessions, name="ev-sessions"),
    path(f"{EV}/sessions.csv", history_views.ev_sessions_csv, name="ev-sessions-csv"),
    path(f"{EV}/sessions/<str:day>/<str:session_id>/", history_views.ev_session_detail, name="ev-session"),
    path("", include("dashboard.control_urls")),  # issue 5: homeowner controls
]
