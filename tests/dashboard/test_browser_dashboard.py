"""The dashboard in a real browser (Debian's Chromium via Playwright) against the simulator over HTTP.

Logs in through the allauth form, sees the three kinds of cards and the energy-flow diagram, refreshes
with htmx (only the cards are swapped, no reload), on a phone and on a desktop, with no CSP violation or
console error. Screenshots go to artifacts/ only (tests never write a tracked file); `make screenshots`
copies artifacts/screenshot-*.png over the README's docs/screenshot-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import sign_in
from tests.ci_services import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_dashboard_in_the_browser(browser, live_server, sim, demo_homeowner, size):
    context = browser.new_context(viewport=VIEWPORTS[size], locale="en-GB")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text} @ {msg.location.get('url')}")
            if msg.type in ("error", "warning") or "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    try:
        sign_in(page, live_server.url)
        page.wait_for_url(live_server.url + "/")

        cards = page.locator("#device-cards")
        for kind in ("heat_pump", "electric_vehicle", "inverter"):
            assert page.locator(f".card--{kind}").first.is_visible(), kind
        assert page.locator(f"#device-{sim.heat_pump_id}").is_visible()
        assert page.locator(".flow__svg").first.is_visible()
        assert "Nibe S2125-8" in cards.inner_text()

        out = ROOT / "artifacts"
        out.mkdir(exist_ok=True)
        page.screenshot(path=str(out / f"dashboard-{size}.png"), full_page=True)
        page.goto(live_server.url + "/")  # without the "signed in" message: the README's picture
        page.wait_for_selector(".flow__svg")
        page.screenshot(path=str(out / f"screenshot-{size}.png"))  # `make screenshots` copies it to docs/

        # Refresh with htmx: the cards are swapped, the page is not reloaded.
        page.evaluate("window.__notReloaded = true")
        with page.expect_response(lambda r: "refresh=1" in r.url) as answer:
            page.click("#refresh-button")
        response = answer.value
        assert response.status == 200
        assert response.request.headers.get("hx-request") == "true"
        page.wait_for_selector("#device-cards .card")
        assert page.evaluate("window.__notReloaded === true")
        assert page.url == live_server.url + "/"  # htmx did not navigate to ?refresh=1
        assert page.locator(".card--inverter").first.is_visible()
        page.screenshot(path=str(out / f"dashboard-{size}-after-refresh.png"))

        # The title links to the device detail page.
        page.click(f"#device-{sim.inverter_id} .card__title a")
        page.wait_for_url(f"**/devices/inverter/{sim.inverter_id}/")
        assert page.locator("h1").inner_text() == "Fronius Symo GEN24 10.0 Plus"
        page.screenshot(path=str(out / f"detail-{size}.png"), full_page=True)
    finally:
        context.close()
    assert console == [], console


def test_the_refresh_does_not_wipe_a_half_typed_form(browser, live_server, sim, demo_homeowner):
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="en-GB")
    page = context.new_page()
    requests_seen: list[str] = []
    page.on("request", lambda r: requests_seen.append(r.url) if r.headers.get("hx-request") else None)
    try:
        sign_in(page, live_server.url)
        page.wait_for_url(live_server.url + "/")
        card = page.locator(f"#device-{sim.ev_id}")
        card.locator("details.controls__details summary").first.click()
        level = card.locator("form.form--deadline input[type=number]").first
        level.fill("65")
        page.locator("h1").first.click()  # focus leaves the field; the change is still unsaved

        # The same event the 30 s poll and the tab-visible catch-up send: it must be skipped.
        page.evaluate("htmx.trigger('#device-cards', 'tab-visible')")
        page.wait_for_timeout(500)
        assert not [url for url in requests_seen if url.split("?")[0].rstrip("/") == live_server.url]
        assert level.input_value() == "65"

        # Without unsaved changes the refresh goes ahead.
        level.fill(level.get_attribute("value") or "")
        page.locator("h1").first.click()
        with page.expect_response(lambda r: r.url.split("?")[0].rstrip("/") == live_server.url):
            page.evaluate("htmx.trigger('#device-cards', 'tab-visible')")
    finally:
        context.close()
