from django.urls import include, path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("brand.css", views.brand_css, name="brand-css"),
    path("devices/<slug:kind>/<uuid:device_id>/", views.device_detail, name="device_detail"),
    path("", include("dashboard.control_urls")),  # issue 5: homeowner controls
]
