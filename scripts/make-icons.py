#!/usr/bin/env python
"""Render the app icons (static/icons/*.png) from static/favicon.svg in Debian's Chromium.

    .venv/bin/python scripts/make-icons.py

The PNGs are committed; run this again only when the favicon changes. "maskable" icons keep the bolt
inside the central 80 % safe zone on a full-bleed square, as Android crops them to its shape.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    svg = (ROOT / "static" / "favicon.svg").read_text()
    colour = re.search(r'fill="(#[0-9a-fA-F]{6})"', svg).group(1)
    bolt = re.search(r'<path[^>]*/>', svg).group(0)
    full = svg.replace('rx="6"', 'rx="0"')
    maskable = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" '
                f'fill="{colour}"/><g transform="translate(4.8 4.8) scale(0.6)">{bolt}</g></svg>')
    out = ROOT / "static" / "icons"
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, source in (("icon", full), ("maskable", maskable)):
            for size in (192, 512):
                page = browser.new_page(viewport={"width": size, "height": size})
                page.set_content(f'<html><body style="margin:0">{source.replace("<svg ", f"<svg width={size} height={size} ")}</body></html>')
                page.screenshot(path=str(out / f"{name}-{size}.png"), omit_background=True)
                page.close()
        browser.close()
    print("wrote", sorted(p.name for p in out.glob("*.png")))


if __name__ == "__main__":
    main()
