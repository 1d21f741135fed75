"""The dashboard installs as an app and is useful offline (issue 15), in Debian's Chromium.

Chromium's own installability check (DevTools `Page.getInstallabilityErrors`) passes; with the network
cut the app shows the last dashboard marked "Offline — last updated …"; after logging out it shows the
offline page instead, never the person's data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def context(tmp_path, live_server):
    """A persistent (not incognito) profile: Chromium never offers to install from an incognito one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
            viewport={"width": 390, "height": 844}, locale="en-GB")
        yield context
        context.close()


def test_installable_and_offline_until_logout(live_server, sim, demo_homeowner, context):
    # localhost, not 127.0.0.1: the origin a person would install from (both are secure contexts)
    base = live_server.url.replace("127.0.0.1", "localhost")
    page = context.pages[0] if context.pages else context.new_page()
    errors: list[str] = []  # while online: no script error, no CSP violation (offline, failed polls are expected)
    online = {"yes": True}
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and online["yes"] else None)
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    try:
        sign_in(page, base)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # now under the worker: it keeps this page
        page.evaluate("navigator.serviceWorker.ready")  # resolves once the worker is active
        assert page.evaluate("navigator.serviceWorker.controller !== null")  # the reload is under it
        page.wait_for_selector(".card")

        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest.get("errors") == [], manifest.get("errors")
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

        assert errors == []
        online["yes"] = False
        context.set_offline(True)
        page.goto(base + "/")
        banner = page.locator("[data-offline-banner]")
        assert banner.is_visible() and "Offline — last updated" in banner.inner_text()
        assert page.locator("[data-offline-time]").inner_text().strip() != ""
        assert "Nibe S2125-8" in page.locator("main").inner_text()  # the last dashboard, not a browser error
        page.screenshot(path=str(out / "offline-dashboard-phone.png"), full_page=True)
        page.goto(base + "/settings/")  # a page it did not keep: the offline page
        assert page.locator("h1").inner_text() == "You are offline"

        context.set_offline(False)
        page.goto(base + "/")
        page.click("form[action='/accounts/logout/'] button")
        page.wait_for_url("**/accounts/login/")
        page.wait_for_timeout(300)  # the signed-out page tells the worker to forget (and Clear-Site-Data)
        context.set_offline(True)
        page.goto(base + "/")
        assert page.locator("h1").inner_text() == "You are offline"
        assert "Nibe" not in page.content()
        page.screenshot(path=str(out / "offline-page-phone.png"), full_page=True)
        assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []  # no script error offline either
    finally:
        context.set_offline(False)
