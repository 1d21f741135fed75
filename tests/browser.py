"""What the browser tests share: Debian's Chromium with the project's flags, and signing in.

Tests take the module-scoped `browser` fixture (tests/conftest.py) and call `sign_in(page, base)`.
"""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DEMO_EMAIL = "demo@example.com"


def sign_in(page: Any, base: str, email: str = DEMO_EMAIL, password: str | None = None) -> None:
    """Sign in through allauth's form, as a person would, and wait for the page after it."""
    from tests.conftest import PASSWORD

    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password or PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
