"""URLconf of benchmark processes: every product URL, plus `/_bench/bare`.

The bare page is the baseline of the warm-dashboard figure: the same middleware, the same login
(session + user lookup), the same base template, a body of about the dashboard's size, and nothing
else: no cache reads, no device service, no Podero.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from dashboard.urls import urlpatterns as product_urlpatterns

ROW_BYTES = 260  # about what one row of bench/bare.html renders to


@require_GET
@login_required
def bare(request: HttpRequest) -> HttpResponse:
    try:
        target = max(0, min(int(request.GET.get("bytes", "20000")), 1_000_000))
    except ValueError:
        target = 20000
    rows = range(max(1, (target - 2500) // ROW_BYTES))  # ~2.5 kB of base template around the rows
    return render(request, "bench/bare.html", {"rows": rows})


urlpatterns = [*product_urlpatterns, path("_bench/bare", bare, name="bench_bare")]
