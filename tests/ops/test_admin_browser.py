"""The Django admin works under our Content-Security-Policy ('self' only): real Chromium, no violation,
and the admin's own JavaScript runs (the changelist's action bar, the inline's delete box)."""

from __future__ import annotations

import pytest

from tests import payloads
from tests.conftest import PASSWORD

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_runs_under_the_csp_without_violations(live_server, homeowner, podero_fake, django_user_model):
    from tests.ci_services import require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    uid = homeowner.podero.podero_user_id
    podero_fake.add(uid, "electric-vehicles", payloads.ELECTRIC_VEHICLE)
    staff = django_user_model.objects.create_superuser(email="boss@partner.example", password=PASSWORD)
    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_context().new_page()
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(live_server.url + "/admin/login/")  # sends staff to allauth's rate-limited login
        page.fill("input[name=login]", staff.email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_selector("#podero-connection")
        page.goto(live_server.url + "/admin/accounts/user/")
        page.check("input#action-toggle")  # admin's actions.js: "select all" ticks every row and counts them
        assert "selected" in page.inner_text(".action-counter")
        page.goto(live_server.url + f"/admin/accounts/user/{homeowner.pk}/change/")
        page.wait_for_selector("#devices-heading")
        assert "Tesla Model 3" in page.inner_text(".homeowner-devices")
        page.goto(live_server.url + "/admin/podero-health/")
        page.wait_for_selector("#health-calls")
        page.goto(live_server.url + "/admin/accounts/user/add-homeowner/")
        page.fill("input[name=email]", "browser@example.com")
        page.check("input[name=how][value=create]")
        page.click("input[type=submit]")
        page.wait_for_selector("#devices-heading")
        assert violations == []
        # The detector works: an inline script is refused and reported.
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = '1';"
                      " document.body.appendChild(s); }")
        page.wait_for_timeout(200)
        browser.close()
    assert len(violations) == 1 and "script-src" in violations[0]
