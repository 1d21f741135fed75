"""The device history pages in a real browser (Debian's Chromium via Playwright) against the simulator.

With JavaScript: the history region loads after the page, previous/next and the range picker swap only
that region (the address follows), a chart's CSV downloads. Without JavaScript: the plain link, the
links and the GET form do the same with full pages. No CSP violation or console error. Screenshots of
each kind at desktop and phone size go to artifacts/ only.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices.services import history as history_service
from simulator import clock
from tests.browser import sign_in

from .test_browser_dashboard import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
NOW = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # a Monday; the day before had 23 hours in Vienna


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def frozen(sim, monkeypatch):
    clock.freeze(NOW)
    monkeypatch.setattr(history_service, "_now", clock.now)
    yield NOW
    clock.unfreeze()


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"{msg.type}: {msg.text}")
            if msg.type in ("error", "warning") or "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    return problems


def _login(context, base: str):
    page = context.new_page()
    problems = _watch(page)
    sign_in(page, base)
    page.wait_for_url(base + "/")
    return page, problems


def test_history_with_javascript(browser, live_server, sim, demo_homeowner, frozen):
    context = browser.new_context(viewport=SIZES["desktop"], locale="en-GB", accept_downloads=True)
    try:
        page, problems = _login(context, live_server.url)
        # The home page's savings arrive after the page, in the region the page left for them.
        page.wait_for_selector("#savings .savings__headline")
        assert "Podero saved you" in page.locator("#savings").inner_text()

        base = f"{live_server.url}/devices/heat-pump/{sim.heat_pump_id}/"
        page.goto(base)
        page.wait_for_selector("#history .chart--consumption svg.chart__svg")  # loaded after the page
        assert "Monday" in page.locator("#history-title").inner_text()
        page.evaluate("window.__notReloaded = true")

        with page.expect_response(lambda r: "date=2026-03-29" in r.url) as answer:
            page.click(".range-nav__prev")
        assert answer.value.request.headers.get("hx-request") == "true"
        page.locator("#history-title", has_text="Sunday").wait_for()
        assert "date=2026-03-29" in page.url  # the address follows the range
        assert page.evaluate("window.__notReloaded === true")
        assert page.locator(".history__dst").is_visible()  # the 23-hour day says so
        rows = page.locator(".chart--consumption .data-table tbody tr")
        assert rows.count() == 92

        assert page.evaluate("document.activeElement.id") == "range-prev"  # the focus stays where it was
        assert "Showing Sunday" in page.locator("#history-status").text_content()  # and the change is announced

        # The picker: "Week", then Show, swaps the region (htmx on the GET form).
        page.check("#range-kind-week")
        with page.expect_response(lambda r: "range=week" in r.url):
            page.click("#range-show")
        page.locator("#history-title", has_text="Week of").wait_for()
        assert page.evaluate("window.__notReloaded === true")

        # A chart's numbers as CSV.
        with page.expect_download() as download_info:
            page.click(".chart--temperatures .chart__csv a")
        download = download_info.value
        assert download.suggested_filename == "heat-pump-temperatures-week-2026-03-23.csv"
        rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
        assert rows[0] == ["start", "end", "hot_water_c", "inlet_c"]
        assert rows[1][0] == "2026-03-23T00:00:00+01:00" and len(rows) == 1 + 167
    finally:
        context.close()
    assert problems == [], problems


def test_history_without_javascript(browser, live_server, sim, demo_homeowner, frozen):
    context = browser.new_context(viewport=SIZES["phone"], locale="en-GB", java_script_enabled=False)
    try:
        page, problems = _login(context, live_server.url)
        page.goto(f"{live_server.url}/devices/inverter/{sim.inverter_id}/")
        page.click("#history .history__loading a")  # the plain link in place of the region
        page.wait_for_selector("#history .chart--power svg.chart__svg")
        page.click(".range-nav__prev")
        page.wait_for_url("**date=2026-03-29**")
        assert "Sunday" in page.locator("#history-title").inner_text()
        page.check("input[name=range][value=month]")
        page.fill("input[name=date]", "2026-02-14")
        page.click(".range-picker button[type=submit]")
        page.wait_for_url("**range=month**")
        assert "February 2026" in page.locator("#history-title").inner_text()
        assert page.locator(".chart--power .data-table tbody tr").count() == 28
    finally:
        context.close()
    assert problems == [], problems


@pytest.mark.parametrize("kind", ["heat-pump", "electric-vehicle", "inverter"])
def test_history_screenshots(browser, live_server, sim, demo_homeowner, frozen, kind):
    ids = {"heat-pump": sim.heat_pump_id, "electric-vehicle": sim.ev_id, "inverter": sim.inverter_id}
    ARTIFACTS.mkdir(exist_ok=True)
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, locale="en-GB")
        try:
            page, problems = _login(context, live_server.url)
            page.goto(f"{live_server.url}/devices/{kind}/{ids[kind]}/?range=day&date=2026-03-29&load=1")
            page.wait_for_selector("#history .chart svg.chart__svg")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{kind} {size}: the page scrolls sideways ({width}px)"
            page.screenshot(path=str(ARTIFACTS / f"history-{kind}-{size}.png"), full_page=True)
        finally:
            context.close()
        assert problems == [], problems
