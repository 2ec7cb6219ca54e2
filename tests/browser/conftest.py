"""Browser tests: the real application served by uvicorn on a loopback port, driven by Playwright
in Debian's Chromium (headless; ``.ci/run`` installs the ``chromium`` package — Playwright cannot
download its own browser here). SQLite only: the service tests cover PostgreSQL.

Screenshots of each key screen go to ``$M2C_SCREENSHOTS`` (default ``var/screenshots``)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from meter2cash.interfaces.web.app import create_app
from meter2cash.platform.context import AppContext
from sqlite_copies import sqlite_context

CHROMIUM = Path(os.environ.get("M2C_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def bureau(sqlite_template: Path, tmp_path: Path) -> Iterator[AppContext]:
    """A fresh SQLite bureau with one staff user per role (password ``password-<role>``)."""
    context = sqlite_context(sqlite_template, tmp_path)
    yield context
    context.engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_server(bureau: AppContext) -> Iterator[str]:
    """The application on http://127.0.0.1:PORT, in a thread, stopped after the test."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(bureau), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test web server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set M2C_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()
