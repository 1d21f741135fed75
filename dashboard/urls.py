from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico on pages without a <link rel=icon> (and some always): our SVG icon."""

    permanent = False  # the static file's hashed name changes with its content
    http_method_names = ["get", "head"]

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return static("favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("settings/", include("accounts.urls")),
    path("", include("dashboard.homeowner_urls")),
]
if settings.PODERO_SIMULATOR:
    urlpatterns.append(path("simulator/", include("simulator.urls")))
