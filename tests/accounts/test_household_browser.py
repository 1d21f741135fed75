"""A household in a real browser, without JavaScript tricks: the owner invites from Settings, the invitee
opens the emailed link, signs in, accepts, and sees the home; a viewer sees no control. Screenshots go
to artifacts/; no CSP violation, no console error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import payloads
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _login(page, url, email):
    page.goto(url + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()


def test_invite_accept_and_a_viewer_s_dashboard(live_server, fake_podero, homeowner, mailoutbox, settings):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make services installs it)")
    from playwright.sync_api import sync_playwright

    from accounts.models import HouseholdMember
    from tests.accounts.conftest import make_user

    settings.DASHBOARD_URL = live_server.url
    uid = homeowner.podero.podero_user_id
    fake_podero.add(uid, "electric-vehicles", payloads.electric_vehicle())
    fake_podero.add(uid, "heat-pumps", payloads.heat_pump())
    make_user("viewer@example.com")
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for who in ("owner", "invitee"):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text)
                    if m.type == "error" or "Content Security Policy" in m.text else None)
            if who == "owner":
                _login(page, live_server.url, homeowner.email)
                page.wait_for_url(live_server.url + "/")
                page.goto(live_server.url + "/settings/")
                page.fill("form[action$='/household/invite'] input[name=email]", "viewer@example.com")
                page.check("input[name=role][value=viewer]")
                page.click("text=Send invitation")
                page.wait_for_selector("text=Invitation sent to viewer@example.com")
                assert "viewer@example.com" in page.inner_text(".household")
                page.screenshot(path=str(out / "household-settings-owner.png"), full_page=True)
            else:
                link = re.search(r"http://\S+/settings/household/join/\S+/", mailoutbox[-1].body).group(0)
                page.goto(link)
                page.get_by_role("link", name="Sign in", exact=True).click()
                page.fill("input[name=login]", "viewer@example.com")
                page.fill("input[name=password]", PASSWORD)
                page.locator("form button[type=submit]").last.click()
                page.wait_for_selector("text=Accept the invitation")
                page.screenshot(path=str(out / "household-accept.png"), full_page=True)
                page.click("text=Accept the invitation")
                page.wait_for_url(live_server.url + "/")
                page.wait_for_selector(".card--electric_vehicle")
                main = page.locator("main")
                assert main.locator("form").count() == 0 and main.locator("button").count() == 0
                assert "You can view this home" in main.inner_text()
                page.screenshot(path=str(out / "household-viewer-dashboard.png"), full_page=True)
            context.close()
        browser.close()
    assert HouseholdMember.objects.get(user__email="viewer@example.com").role == "viewer"
    assert problems == []
