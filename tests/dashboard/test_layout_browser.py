"""No text leaves its card, at any width from 320 px up (issue 15), measured in a real browser.

Every text node inside a card (HTML and SVG) is measured with a Range against the card's box, after the
demo homeowner's dashboard has rendered, at phone and desktop widths, light and dark.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]

# Text boxes (client rects of each text node) that reach outside their card by more than half a pixel.
OVERFLOW_JS = """
() => {
  const out = [];
  for (const card of document.querySelectorAll('.card')) {
    const box = card.getBoundingClientRect();
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const el = node.parentElement;
      if (!el || el.closest('[hidden], .visually-hidden, details:not([open]) > :not(summary)')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width === 0 || r.height === 0) continue;
        const past = Math.max(box.left - r.left, r.right - box.right);
        if (past > 0.5) out.push(`${card.id}: "${node.textContent.trim().slice(0, 40)}" ${past.toFixed(1)} px outside`);
      }
    }
  }
  return out;
}
"""


@pytest.mark.parametrize(("scheme", "at"), [
    ("light", "2026-12-03T19:40:00+00:00"),  # winter evening: the battery discharges, the grid imports
    ("dark", "2026-06-21T10:30:00+00:00"),  # summer noon: solar high, the battery charges, the grid exports
])
def test_no_text_leaves_its_card(browser, live_server, sim, demo_homeowner, scheme, at):
    from datetime import datetime

    from simulator import clock

    clock.freeze(datetime.fromisoformat(at))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", color_scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, live_server.url)
        page.wait_for_selector(".card--inverter .flow__svg")
        flow = page.locator(".card--inverter .flow__svg").text_content()
        assert ("discharging" in flow) if scheme == "light" else ("exporting" in flow), flow
        problems: list[str] = []
        for width in (320, 360, 390, 768, 1024, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(50)
            problems += [f"{width} px: {p}" for p in page.evaluate(OVERFLOW_JS)]
            scroll = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if scroll > 0:
                problems.append(f"{width} px: the page scrolls sideways by {scroll} px")
        out = ROOT / "artifacts"
        out.mkdir(exist_ok=True)
        page.set_viewport_size({"width": 320, "height": 900})
        page.screenshot(path=str(out / f"layout-320-{scheme}.png"), full_page=True)
        assert problems == []
    finally:
        context.close()


def test_focus_scroll_and_open_panels_survive_the_refresh(browser, live_server, sim, demo_homeowner):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server.url)
        summary = page.locator(f"#device-{sim.ev_id} details[data-keep-open] > summary").first
        summary.scroll_into_view_if_needed()
        summary.click()  # opens "Change plan" and focuses its summary
        page.mouse.wheel(0, 120)
        page.wait_for_timeout(100)
        before = page.evaluate("({y: window.scrollY, text: document.activeElement.textContent.trim()})")
        assert before["y"] > 0
        page.evaluate("""() => new Promise(done => {
            document.addEventListener('htmx:afterSettle', () => setTimeout(done, 50), {once: true});
            htmx.ajax('GET', '/', {target: '#device-cards', swap: 'outerHTML'});
        })""")  # what the 30 s poll does when something changed
        after = page.evaluate(f"""() => {{
            const a = document.activeElement;
            return {{y: window.scrollY, text: a.textContent.trim(), inCard: !!a.closest('#device-{sim.ev_id}'),
                     open: document.querySelector('#device-{sim.ev_id} details[data-keep-open]').open}};
        }}""")
        assert after["inCard"] and after["text"] == before["text"], after
        assert after["open"] is True
        assert abs(after["y"] - before["y"]) <= 1, (before, after)
    finally:
        context.close()
