"""The language switcher in a real browser: on the login page and in the header, without and with htmx.

Screenshots of the German login and dashboard go to artifacts/ (de-login.png, de-dashboard.png).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("javascript", [True, False])
def test_switch_to_german_and_back(browser, live_server, sim, demo_homeowner, javascript):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB",
                                  java_script_enabled=javascript)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    try:
        page.goto(live_server.url + "/accounts/login/")
        assert page.locator("html").get_attribute("lang") == "en"
        page.click(".language-switch button[value=de]")
        page.wait_for_load_state()
        assert page.url.endswith("/accounts/login/")  # back where the person was
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.locator(".language-switch [aria-current=true]").inner_text() == "Deutsch"
        assert page.locator("main form button[type=submit]").first.inner_text().strip() == "Anmelden"
        if javascript:
            page.screenshot(path=str(out / "de-login.png"), full_page=True)

        sign_in(page, live_server.url)
        assert page.locator("html").get_attribute("lang") == "de"
        demo_homeowner.refresh_from_db()
        assert demo_homeowner.language == "de"  # saved with the account once signed in
        body = page.locator("main").inner_text()
        assert "Wärmepumpe" in body or "E-Auto" in body
        if javascript:
            page.screenshot(path=str(out / "de-dashboard.png"), full_page=True)

        page.click(".site-header .language-switch button[value=en]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.url == live_server.url + "/"
        demo_homeowner.refresh_from_db()
        assert demo_homeowner.language == "en"
        assert errors == []
    finally:
        context.close()
