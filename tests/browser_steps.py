"""Steps the browser tests share: log in, take a screenshot of a key screen."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(os.environ.get("M2C_SCREENSHOTS", "var/screenshots"))


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot of a key screen for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, base: str, username: str, password: str | None = None) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or f"password-{username}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def log_out(page: Page, base: str) -> None:
    page.click("header form[action='/logout'] button")
    page.wait_for_url(f"{base}/login")
