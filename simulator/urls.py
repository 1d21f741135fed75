"""URLs of the simulated Podero host, relative to its root (the project mounts them at `/simulator/`).

Device routes are spelled out per kind (not `<str:kind>`), so `stats` can name each route template
the way the fact sheet writes it: `GET /org/{org}/users/{user}/electric-vehicles`.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from . import control, history_views, onboarding_views, views

app_name = "simulator"

API = "api/partners/v2.0/"
USER = API + "org/<uuid:org>/users/<uuid:user>/"


def _device_routes(kind: str) -> list[URLPattern]:
    base = USER + kind
    return [
        path(base, views.devices, {"kind": kind}, name=f"{kind}-list"),
        path(f"{base}/<uuid:device>", views.device_detail, {"kind": kind}, name=f"{kind}-detail"),
        path(
            f"{base}/<uuid:device>/auth_session",
            views.auth_session,
            {"kind": kind},
            name=f"{kind}-auth-session",
        ),
        path(f"{base}/<uuid:device>/data", history_views.device_data, {"kind": kind}, name=f"{kind}-data"),
        path(
            f"{base}/<uuid:device>/savings",
            history_views.device_savings,
            {"kind": kind},
            name=f"{kind}-savings",
        ),
    ]


urlpatterns = [
    path("oauth2/token/", views.token, name="token"),
    path(API + "org/<uuid:org>/users", views.users, name="users"),
    path(API + "org/<uuid:org>/users/<uuid:user>", views.user_detail, name="user-detail"),
    *_device_routes("heat-pumps"),
    *_device_routes("electric-vehicles"),
    *_device_routes("inverters"),
    path(USER + "electric-vehicles/<uuid:device>/boost", views.ev_boost, name="ev-boost"),
    path(
        USER + "electric-vehicles/<uuid:device>/charge-policy",
        views.ev_charge_policy,
        name="ev-charge-policy",
    ),
    path(
        USER + "heat-pumps/<uuid:device>/statistics",
        history_views.heat_pump_statistics,
        name="heat-pumps-statistics",
    ),
    path(USER + "electric-vehicles/<uuid:device>/sessions", history_views.ev_sessions, name="ev-sessions"),
    path(
        USER + "electric-vehicles/<uuid:device>/sessions/current",
        history_views.ev_session_current,
        name="ev-session-current",
    ),
    path(API + "device-onboarding", onboarding_views.create, name="device-onboarding"),
    path(API + "device-onboarding/<uuid:session_id>", onboarding_views.detail, name="device-onboarding-detail"),
    path(API + "cues/<uuid:cue_id>/resolve", views.cue_resolve, name="cue-resolve"),
    path(API + "cues/<uuid:cue_id>/state", views.cue_state, name="cue-state"),
    # control endpoints (not part of Podero's API)
    path("_sim/clock", control.sim_clock, name="sim-clock"),
    path("_sim/faults", control.sim_faults, name="sim-faults"),
    path("_sim/stats", control.sim_stats, name="sim-stats"),
    path("_sim/stats/reset", control.sim_stats_reset, name="sim-stats-reset"),
    path("_sim/config", control.sim_config, name="sim-config"),
    path("_sim/devices/<uuid:device_id>/plug", control.sim_plug, name="sim-plug"),
    path("_sim/devices/<uuid:device_id>/reauth", control.sim_reauth, name="sim-reauth"),
    path("_sim/devices/<uuid:device_id>/stale", control.sim_stale, name="sim-stale"),
    path("_sim/reset-demo", control.sim_demo, name="sim-reset-demo"),
    path("_sim/demo", control.sim_demo, name="sim-demo"),
    path("_sim/connect", onboarding_views.connect, name="sim-onboarding-connect"),  # the Connect UI
    path("_sim/connect/<uuid:device_id>", control.sim_connect, name="sim-connect"),
]
