"""Adding and removing a device in a real browser (Debian's Chromium via Playwright) against live_server and the
simulator: "Add a device" → our hand-over page → the simulator's Connect UI (pick the kind, the manufacturer,
sign in) → back to our return page → the dashboard with the new card; then (without JavaScript) the same
onboarding and "Remove this device" behind its confirmation. Screenshots go to artifacts/ only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CONNECT_UI = re.compile(r".*/simulator/_sim/connect\?onboarding_session_id=.*")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "demo@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(base + "/")


def connect_ui(page, *, kind_label: str, manufacturer: str, shot: str | None = None) -> None:
    """On the Connect UI: pick the kind and the manufacturer, sign in."""
    page.get_by_label(kind_label).check()
    page.get_by_role("button", name="Continue").click()
    page.select_option("#manufacturer", manufacturer)
    page.fill("#email", "me@example.com")
    page.fill("#password", "secret")
    if shot:
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    page.get_by_role("button", name="Sign in and connect").click()


def start_adding(page) -> None:
    page.get_by_role("button", name="Add a device").first.click()
    page.wait_for_url(CONNECT_UI)  # after our hand-over page


def onboard(page, base: str, *, kind_label: str, manufacturer: str) -> None:
    """From the dashboard through the Connect UI and back to the dashboard."""
    start_adding(page)
    connect_ui(page, kind_label=kind_label, manufacturer=manufacturer)
    page.wait_for_url(re.compile(re.escape(base) + r"/(#device-[0-9a-f-]+)?$"))


def test_add_a_device_through_the_connect_ui_shows_its_card(browser, live_server, sim, demo_homeowner):
    """The return page is open (and polling) while the Connect UI is finished in another tab: htmx sees the
    device appear and takes the page to the dashboard, where the new card is."""
    from playwright.sync_api import expect

    from devices.models import DeviceOnboarding

    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        log_in(page, live_server.url)
        expect(page.get_by_role("heading", name="Hyundai IONIQ 5")).to_have_count(0)
        start_adding(page)
        connect_tab = context.new_page()
        connect_tab.goto(page.url)
        ref = DeviceOnboarding.objects.get().ref
        page.goto(live_server.url + reverse("dashboard:device-add-status", args=[ref]))
        expect(page.get_by_text("Waiting for Podero to add your device…")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "onboarding-waiting.png"), full_page=True)

        connect_ui(connect_tab, kind_label="Electric vehicle", manufacturer="Hyundai", shot="onboarding-connect-ui.png")
        connect_tab.wait_for_url(re.compile(re.escape(live_server.url) + r"/#device-[0-9a-f-]+$"))
        connect_tab.close()

        page.wait_for_url(re.compile(re.escape(live_server.url) + r"/#device-[0-9a-f-]+$"), timeout=15_000)
        expect(page.get_by_text("Hyundai IONIQ 5 was added to your home.")).to_be_visible()
        card = page.locator("#device-cards article").filter(has=page.get_by_role("heading", name="Hyundai IONIQ 5"))
        expect(card).to_have_count(1)
        expect(card.get_by_text(re.compile(r"Battery \d+")).first).to_be_visible()  # live state at once (factories)
        page.screenshot(path=str(ARTIFACTS / "onboarding-new-card.png"), full_page=True)
        assert not problems, problems  # no CSP violation, no script error
    finally:
        context.close()


def test_add_then_remove_a_device_without_javascript(browser, live_server, sim, demo_homeowner):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, live_server.url)
        onboard(page, live_server.url, kind_label="Heat pump", manufacturer="Viessmann")
        name = "Viessmann Vitocal 250-A"
        expect(page.get_by_text(f"{name} was added to your home.")).to_be_visible()
        page.get_by_role("link", name=name, exact=True).click()
        page.get_by_role("link", name="Remove this device").click()
        expect(page.get_by_role("heading", name=f"Remove {name}?")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "onboarding-remove-confirm.png"), full_page=True)
        page.get_by_role("button", name=f"Yes, remove {name}").click()
        page.wait_for_url(live_server.url + "/")
        expect(page.get_by_text(f"{name} was removed from your home.")).to_be_visible()
        expect(page.get_by_role("heading", name=name, exact=True)).to_have_count(0)
        expect(page.get_by_role("heading", name="Nibe S2125-8")).to_have_count(1)  # the other devices stay
        page.screenshot(path=str(ARTIFACTS / "onboarding-removed.png"), full_page=True)
    finally:
        context.close()
