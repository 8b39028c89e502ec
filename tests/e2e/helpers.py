"""Helpers shared by the Chromium tests: signing in through the real login page, and screenshots
that are kept only when ``KOLONY_SCREENSHOT_DIR`` names a folder (for looking at the pages)."""

import os
from pathlib import Path

from tests.conftest import PASSWORD


def sign_in(page, base: str, email: str = "alice@example.com", password: str = PASSWORD) -> None:
    """Signs in on ``base``'s login page (``base``: the server's URL) and waits for the dashboard."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")


def screenshots_wanted() -> bool:
    """Whether ``KOLONY_SCREENSHOT_DIR`` is set (a test may prepare the page for a picture only then)."""
    return bool(os.environ.get("KOLONY_SCREENSHOT_DIR", ""))


def screenshot(target, name: str, **options) -> None:
    """``target.screenshot(...)`` (a page or a locator) into ``$KOLONY_SCREENSHOT_DIR/name``; does
    nothing when the variable is unset, so test runs write nothing outside their temp folders."""
    if screenshots_wanted():
        folder = os.environ["KOLONY_SCREENSHOT_DIR"]
        Path(folder).mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(Path(folder) / name), **options)
