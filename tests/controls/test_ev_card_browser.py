"""The EV card in a real browser at phone size, against live_server + the simulator: a whole boost, an armed
boost, a boost that is slow to start, with the copy checked at each step; the "Change plan" disclosure
surviving a refresh of the cards. One screenshot per EV state in artifacts/ (never docs/)."""

from __future__ import annotations

import re
from importlib import import_module

import pytest
from django.conf import settings

from dashboard import controls
from devices import services
from simulator import config, factories
from simulator.models import Device as SimDevice

from .test_controls_browser import ARTIFACTS, browser, fast_boost, log_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def shot(card, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=str(ARTIFACTS / f"ev-card-{name}.png"))


def says(card, text: str | re.Pattern, *, timeout: float = 10_000) -> None:
    """The boost block's one sentence (a live region) reads `text`, and the pill is in step."""
    from playwright.sync_api import expect

    expect(card.locator(".controls__boost [role=status]")).to_have_text(text, timeout=timeout)


def pill(card, text: str | re.Pattern) -> None:
    from playwright.sync_api import expect

    expect(card.locator(".hero .pill")).to_have_text(text)


def test_the_ev_card_step_by_step(browser, live_server, sim, demo_homeowner, fast_boost):  # noqa: F811
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: console.append(str(exc)))
    try:
        log_in(page, live_server.url)
        page.evaluate("window.__notReloaded = true")

        # --- A whole boost: available -> requested -> ongoing ---------------------------------------------
        car = page.locator(f"#device-{sim.ev_id}")
        expect(car.locator(".card__reason")).to_have_attribute("aria-live", "polite")
        expect(car.locator(".card__reason")).not_to_be_empty()
        expect(car.locator(".plan__line")).to_contain_text("80 % by")
        says(car, "Charges at full power straight away, whatever the price.")
        pill(car, "Plugged in — waiting for an optimal window")
        shot(car, "1-available")

        car.get_by_role("button", name="Charge now").click()
        says(car, "Starting… (usually under a minute)")
        pill(car, "Starting…")  # never "waiting for an optimal window" beside Starting…
        expect(car.get_by_role("button", name="Starting…")).to_be_disabled()
        shot(car, "2-requested")

        says(car, re.compile(r"^Charging at full power until (\d+ %|the battery is full); it ends by itself then, "
                             r"or when you unplug the car\.$"), timeout=20_000)
        pill(car, "Charging")
        expect(car.locator(".card__reason")).to_have_text("Charge now overrides the cheap-window plan.")
        expect(car.get_by_role("button", name=re.compile("Charging|Stop"))).to_have_count(0)  # no dead button
        assert page.evaluate("window.__notReloaded === true")  # htmx swapped the card only
        shot(car, "3-ongoing")

        # --- An armed boost: unplugged -> armed -> cancelled ---------------------------------------------
        other = page.locator(f"#device-{sim.second_ev_id}")
        says(other, "Plug in the car, or have it charge at full power as soon as you do.")
        expect(other.locator(".card__reason")).to_have_text("Not plugged in.")
        pill(other, "Unplugged")
        shot(other, "4-unplugged")

        other.get_by_role("button", name="Charge when plugged in").click()
        says(other, "Will charge at full power as soon as you plug in.")
        pill(other, "Unplugged — charges when plugged in")
        expect(other.locator(".card__reason")).to_have_text(
            "Not plugged in: charges at full power as soon as you plug it in.")
        expect(other.get_by_role("button", name="Cancel")).to_be_visible()
        shot(other, "5-armed")

        other.get_by_role("button", name="Cancel").click()
        says(other, "Plug in the car, or have it charge at full power as soon as you do.")
        expect(other.locator(".card__notice")).to_have_text(str(controls.BOOST_CANCELLED))
        expect(other.get_by_role("button", name="Cancel")).to_have_count(0)

        # --- A boost slow to start: requested for more than 3 minutes -> say so, offer to try again ----------
        config.configure(boost_delay_s=600)
        factories.set_plugged_in(SimDevice.objects.get(id=sim.second_ev_id), True)
        services.invalidate(link=demo_homeowner.podero)
        page.reload()
        page.evaluate("window.__notReloaded = true")
        other = page.locator(f"#device-{sim.second_ev_id}")
        other.get_by_role("button", name="Charge now").click()
        says(other, "Starting… (usually under a minute)")
        # Our side of the clock: this browser asked 3 min 10 s ago (the session is what the poll times from).
        engine = import_module(settings.SESSION_ENGINE)
        cookie = next(c["value"] for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
        session = engine.SessionStore(session_key=cookie)
        key = controls.BOOST_SESSION_KEY.format(id=sim.second_ev_id)
        session[key] = float(session[key]) - controls.BOOST_POLL_TIMEOUT_S - 10
        session.save()
        says(other, re.compile(r"^Still starting after 3 minutes: the car has not begun charging\."), timeout=15_000)
        pill(other, "Not started yet")
        shot(other, "6-stuck")
        other.get_by_role("button", name="Try again").click()
        expect(other.locator(".card__notice")).to_have_text(str(controls.BOOST_STILL_STARTING))
        says(other, "Starting… (usually under a minute)")
        pill(other, "Starting…")

        # --- "Change plan" stays open across a refresh of the cards ------------------------------------------
        car = page.locator(f"#device-{sim.ev_id}")
        disclosure = car.locator("details.controls__details").first
        expect(disclosure.locator("summary")).to_have_text("Change plan")
        disclosure.locator("summary").click()
        expect(disclosure).to_have_attribute("open", "")
        shot(car, "7-change-plan")
        with page.expect_response(lambda r: "refresh=1" in r.url and r.status == 200):
            page.click("#refresh-button")
        page.wait_for_timeout(300)  # htmx settles the swap
        car = page.locator(f"#device-{sim.ev_id}")
        expect(car.locator("details.controls__details").first).to_have_attribute("open", "")
        expect(car.get_by_role("button", name="Turn off the deadline")).to_be_visible()
        assert page.evaluate("window.__notReloaded === true")
    finally:
        context.close()
    assert console == [], console
