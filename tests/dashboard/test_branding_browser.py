"""Two partner brands in a real browser: name, logo and colours on the login page and the dashboard.

Screenshots of both go to artifacts/ (brand-<name>-login.png, brand-<name>-dashboard.png).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.branding import Brand
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BRANDS = {
    "stadtwerke": Brand(name="Stadtwerke Beispiel", logo_url="/static/favicon.svg", primary="#1a4f8b",
                        accent="#c2410c", support_email="hilfe@stadtwerke.example",
                        imprint_url="https://stadtwerke.example/impressum"),
    "sonnenstrom": Brand(name="Sonnenstrom Installateur", primary="#6b21a8", accent="#0f766e",
                         support_phone="+49 30 1234567", privacy_url="https://sonnenstrom.example/datenschutz"),
}


def rgb(hex_color: str) -> str:
    value = hex_color.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


@pytest.mark.parametrize("key", list(BRANDS))
def test_a_partner_brand_in_the_browser(browser, live_server, sim, demo_homeowner, settings, key):
    brand = settings.PARTNER = BRANDS[key]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", color_scheme="light")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    try:
        page.goto(live_server.url + "/accounts/login/")
        assert page.title().endswith(f"· {brand.name}")
        assert page.locator(".brand").inner_text().strip() == brand.name
        button = page.locator("main form button[type=submit]").first
        assert button.evaluate("b => getComputedStyle(b).backgroundColor") == rgb(brand.primary)
        stripe = page.locator(".site-header").evaluate("h => getComputedStyle(h).boxShadow")
        assert rgb(brand.accent) in stripe
        if brand.logo_url:
            logo = page.locator(".brand__logo")
            assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
        else:
            assert page.locator(".brand__logo").count() == 0
        footer = page.locator(".site-footer").inner_text()
        assert brand.name in footer
        assert (brand.support_email or brand.support_phone) in footer
        page.screenshot(path=str(out / f"brand-{key}-login.png"), full_page=True)

        page.fill("input[name=login]", "demo@example.com")
        page.fill("input[name=password]", PASSWORD)
        button.click()
        page.wait_for_url(live_server.url + "/")
        page.wait_for_selector(".card")
        assert page.locator(".brand").inner_text().strip() == brand.name
        link = page.locator("main a").first
        assert link.evaluate("a => getComputedStyle(a).color") == rgb(brand.primary)
        page.screenshot(path=str(out / f"brand-{key}-dashboard.png"), full_page=True)
        assert problems == []
    finally:
        context.close()
