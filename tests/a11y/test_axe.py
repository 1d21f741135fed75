"""axe-core (npm, pinned in package.json) at zero violations on every page a homeowner or staff sees.

WCAG 2.1 A/AA and axe's best practices (landmark-unique among them), light and dark, phone and desktop
width. axe is injected into a context that bypasses our CSP (the page's own CSP forbids any script but
ours); the pages themselves are served exactly as in production.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.browser import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture(scope="module", autouse=True)
def _axe_installed() -> None:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make test` (it runs `npm ci`) or `npm ci`")


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    out = []
    for v in result["violations"]:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        out.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s): {targets}")
    return out


def _check(page, base: str, paths: list[str], label: str, shots: str) -> list[str]:
    """axe on each page; a full-page screenshot of each goes to artifacts/pages/ (issue 15: every page,
    both sizes, light and dark, looked at)."""
    out = ROOT / "artifacts" / "pages"
    out.mkdir(parents=True, exist_ok=True)
    problems = []
    for path in paths:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")  # htmx regions loaded after the page (savings, history)
        problems += [f"{label} {path}: {v}" for v in _violations(page)]
        name = "-".join(part for part in path.strip("/").split("/") if len(part) < 30) or "home"
        page.screenshot(path=str(out / f"{label}-{name}-{shots}.png"), full_page=True)
    return problems


def _context(browser, base: str, *, width: int, scheme: str, language: str):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme, bypass_csp=True)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])
    return context


# Half the runs in German: longer words, other labels, the same rules.
@pytest.mark.parametrize(("scheme", "width", "language"),
                         [("light", 390, "de"), ("dark", 1280, "en"), ("light", 1280, "en"), ("dark", 390, "de")])
def test_every_page_has_no_axe_violation(browser, live_server, sim, demo_homeowner, django_user_model, scheme, width,
                                         language):
    staff = django_user_model.objects.create_superuser(email="axe-staff@partner.example", password=PASSWORD)
    # (accounts/signals.py gives staff a verified email address, so they sign in through allauth)
    base = live_server.url
    shots = f"{scheme}-{width}" + ("-de" if language == "de" else "")
    ev, hp, iv = sim.ev_id, sim.heat_pump_id, sim.inverter_id
    problems: list[str] = []

    anonymous = _context(browser, base, width=width, scheme=scheme, language=language)
    page = anonymous.new_page()
    problems += _check(page, base, ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/offline/"],
                       "anonymous", shots)
    anonymous.close()

    homeowner = _context(browser, base, width=width, scheme=scheme, language=language)
    page = homeowner.new_page()
    sign_in(page, base)
    problems += _check(page, base, [
        "/", f"/devices/heat-pump/{hp}/", f"/devices/electric-vehicle/{ev}/", f"/devices/inverter/{iv}/",
        f"/devices/electric-vehicle/{ev}/schedule", f"/devices/electric-vehicle/{ev}/sessions/",
        f"/devices/electric-vehicle/{ev}/deadline", "/savings/", "/settings/",
        f"/devices/inverter/{iv}/remove",
    ], "homeowner", shots)
    homeowner.close()

    support = _context(browser, base, width=width, scheme=scheme, language=language)
    page = support.new_page()
    sign_in(page, base, staff.email)
    problems += _check(page, base, ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{demo_homeowner.pk}/change/",
                                    "/admin/devices/auditentry/", "/admin/podero-health/"], "staff", shots)
    support.close()
    assert problems == [], "\n".join(problems)
