"""The controls in a real browser (Debian Chromium via Playwright) against live_server + the simulator:
with JavaScript (htmx swaps one card, the boost poll runs by itself) and without (plain forms + redirects)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import controls
from simulator import config
from tests.ci_services import require_chromium
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    require_chromium()
    from playwright import sync_api

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def fast_boost(sim) -> Iterator[None]:
    config.configure(boost_delay_s=2)  # requested → ongoing after 2 s of real time
    yield
    config.reset()


def log_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "demo@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/$"))


def edit_schedule(page, base: str, ev_id: str) -> None:
    from playwright.sync_api import expect

    card = page.locator(f"#device-{ev_id}")
    card.locator("details.controls__details summary").first.click()  # "Change plan" (a native disclosure)
    card.get_by_role("link", name="Weekly schedule").click()
    page.wait_for_url(re.compile(r".*/schedule$"))
    page.fill("input[name=sat_percentage]", "55")
    page.fill("input[name=sat_deadline]", "09:30")
    expect(page.get_by_text("The times above are in your time zone, Vienna.")).to_be_visible()
    page.get_by_role("button", name="Copy Monday to Tuesday–Friday").click()  # a form helper, nothing saved
    expect(page.locator("input[name=sat_percentage]")).to_have_value("55")
    page.get_by_role("button", name="Save schedule").click()
    page.wait_for_url(re.compile(r".*/(#.*)?$"))
    expect(page.get_by_text("Weekly charging schedule saved")).to_be_visible()
    page.goto(f"{base}/devices/electric-vehicle/{ev_id}/schedule")
    page.reload()
    expect(page.locator("input[name=sat_percentage]")).to_have_value("55")
    expect(page.locator("input[name=sat_deadline]")).to_have_value("09:30")


def test_charge_now_and_schedule_with_javascript(browser, live_server, sim, demo_homeowner, fast_boost):
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server.url)
    card = page.locator(f"#device-{sim.ev_id}")
    page.evaluate("window.__notReloaded = true")
    card.get_by_role("button", name="Charge now").click()
    expect(card.get_by_role("button", name="Starting…")).to_be_disabled()
    # Ongoing: one sentence says what ends it (there is no stop API, so no dead button).
    expect(card.locator(".controls__boost [role=status]")).to_contain_text("Charging at full power until",
                                                                           timeout=20_000)
    assert page.evaluate("window.__notReloaded === true")  # only the card was swapped, by htmx
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "controls-boost-charging.png"), full_page=True)
    edit_schedule(page, live_server.url, sim.ev_id)
    page.screenshot(path=str(ARTIFACTS / "controls-schedule.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "htmx" in e.lower()], errors
    context.close()


def test_charge_now_and_schedule_without_javascript(browser, live_server, sim, demo_homeowner, fast_boost):
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server.url)
    card = page.locator(f"#device-{sim.ev_id}")
    card.get_by_role("button", name="Charge now").click()
    page.wait_for_load_state()
    expect(page.get_by_text(str(controls.BOOST_STARTING))).to_be_visible()
    expect(page.locator(f"#device-{sim.ev_id}").get_by_role("button", name="Starting…")).to_be_disabled()
    charging = page.locator(f"#device-{sim.ev_id}").get_by_text(re.compile("^Charging at full power until"))
    for _ in range(20):  # without JS the homeowner refreshes the page; Refresh refetches at most every 5 s
        page.wait_for_timeout(1000)
        page.get_by_role("link", name="Refresh").click()
        page.wait_for_load_state()
        if charging.count():
            break
    expect(charging).to_be_visible()
    edit_schedule(page, live_server.url, sim.ev_id)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "controls-schedule-nojs.png"), full_page=True)
    context.close()
