from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("settings/", include("accounts.urls")),
    path("", include("dashboard.homeowner_urls")),
]
if settings.PODERO_SIMULATOR:
    urlpatterns.append(path("simulator/", include("simulator.urls")))
