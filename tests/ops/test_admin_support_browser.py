"""The support admin at 1280 px in real Chromium: screenshots of each page into artifacts/, and no table
wider than its container (every column visible without scrolling sideways)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import payloads
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WIDTH = 1280

# Every table whose content is wider than the box it sits in, and whether the page itself scrolls sideways.
CLIPPED = """() => {
  const out = [];
  document.querySelectorAll('table').forEach((t, i) => {
    const box = t.parentElement;
    if (t.scrollWidth > box.clientWidth + 1 || t.getBoundingClientRect().right > window.innerWidth + 1) {
      out.push(`${t.id || t.closest('[id]')?.id || 'table ' + i}: ${t.scrollWidth} > ${box.clientWidth}`);
    }
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    out.push(`page: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
  }
  return out;
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_pages_fit_1280_px(live_server, homeowner, other_homeowner, podero_fake, django_user_model):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make services installs it)")
    from playwright.sync_api import sync_playwright

    from accounts.models import HouseholdMember, Role
    from accounts.services import household_invite_create
    from devices import services
    from devices.models import AuditEntry

    uid = homeowner.podero.podero_user_id
    hp = podero_fake.add(uid, "heat-pumps", payloads.heat_pump())
    ev = podero_fake.add(uid, "electric-vehicles", payloads.ELECTRIC_VEHICLE)
    podero_fake.add(uid, "inverters", payloads.inverter())
    podero_fake.add(other_homeowner.podero.podero_user_id, "electric-vehicles", payloads.electric_vehicle())
    services.device_overview(link=homeowner.podero)  # the list reads the cache: warm it as a visit would
    member = django_user_model.objects.create_user(email="a.much.longer.address@household.example",
                                                   password=PASSWORD, first_name="Alexandra", last_name="Long")
    HouseholdMember.objects.create(link=homeowner.podero, user=member, role=Role.MEMBER, invited_by=homeowner)
    household_invite_create(owner=homeowner, email="grandma@example.com", role="viewer")
    for i, (action, values, outcome, status) in enumerate([
        ("boost_start", {}, "ok", 204), ("charge_policy_set", {}, "invalid", 422),
        ("charge_deadline_set", {"is_charge_policy_enabled": True, "minimum_charge_limit": 80,
                                 "charge_deadline_at": "07:00"}, "unknown", None),
        ("optimization_set", {"is_smart_optimization_active": False}, "rate_limited", 429),
    ] * 3):
        actor = member if i % 2 else homeowner
        kind, device = ("heat-pumps", hp) if action == "optimization_set" else ("electric-vehicles", ev)
        AuditEntry.objects.create(user=homeowner, user_email=homeowner.email, actor=actor, actor_email=actor.email,
                                  podero_user_id=uid, device_kind=kind, device_id=device["id"], device_name="",
                                  action=action, values=values, outcome=outcome, upstream_status=status,
                                  error="upstream said something long " * 4)
    import time

    podero_fake.tokens.expires_at = lambda: time.time() + 35258.9  # the health page's token expiry
    staff = django_user_model.objects.create_superuser(email="boss@partner.example", password=PASSWORD)
    pages = {
        "homeowners": "/admin/accounts/user/",
        "staff": "/admin/accounts/staffuser/",
        "homeowner": f"/admin/accounts/user/{homeowner.pk}/change/",
        "member": f"/admin/accounts/user/{member.pk}/change/",
        "audit-log": "/admin/devices/auditentry/",
        "audit-export": "/admin/devices/auditentry/export/",
        "health": "/admin/podero-health/",
        "view-as": f"/admin/accounts/user/{homeowner.pk}/view-as-homeowner/",
    }
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    clipped: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_context(viewport={"width": WIDTH, "height": 900}).new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(live_server.url + "/admin/login/")
        page.fill("input[name=login]", staff.email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_selector("#site-name")
        assert "Home energy · partner support" in page.inner_text("#site-name")
        for name, url in pages.items():
            response = page.goto(live_server.url + url)
            assert response is not None and response.status == 200, (name, response and response.status)
            page.screenshot(path=str(out / f"admin-{name}-{WIDTH}.png"), full_page=True)
            if problems := page.evaluate(CLIPPED):
                clipped[name] = problems
            if name == "health":
                assert "in 9 h 47 min" in page.inner_text("#health-token")
        # The summary is the first thing on a homeowner's page: within the first screen.
        page.goto(live_server.url + pages["homeowner"])
        assert page.locator("#summary-heading").bounding_box()["y"] < 400
        assert page.locator("#devices-heading").bounding_box()["y"] < 900
        browser.close()
    assert clipped == {}
    assert violations == []  # our CSP holds on every new page (no inline script or style)
