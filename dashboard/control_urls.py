"""Homeowner controls (included from homeowner_urls, so the names live in the "dashboard" namespace)."""

from django.urls import path

from . import charge_plan, controls, onboarding, pausing

EV = "devices/electric-vehicle/<uuid:device_id>"
urlpatterns = [
    path("devices/<str:kind>/<uuid:device_id>/optimization", pausing.optimization, name="optimization"),
    path("devices/<str:kind>/<uuid:device_id>/reconnect", controls.device_reconnect, name="device-reconnect"),
    path("devices/<str:kind>/<uuid:device_id>/confirm", controls.write_confirm, name="write-confirm"),
    path(f"{EV}/boost", controls.ev_boost, name="ev-boost"),
    path(f"{EV}/boost/cancel", controls.ev_boost_cancel, name="ev-boost-cancel"),
    path(f"{EV}/boost/status", controls.ev_boost_poll, name="ev-boost-poll"),
    path(f"{EV}/deadline", charge_plan.ev_deadline, name="ev-deadline"),
    path(f"{EV}/schedule", charge_plan.ev_schedule, name="ev-schedule"),
    # issue 13: add a device (Podero's onboarding) and remove one
    path("devices/add", onboarding.device_add, name="device-add"),
    path("devices/add/<uuid:ref>", onboarding.device_add_status, name="device-add-status"),
    path("devices/add/<uuid:ref>/cancelled", onboarding.device_add_cancelled, name="device-add-cancelled"),
    path("devices/<str:kind>/<uuid:device_id>/remove", onboarding.device_remove, name="device-remove"),
    path("devices/<str:kind>/<uuid:device_id>/remove/check", onboarding.device_remove_check,
         name="device-remove-check"),
]
