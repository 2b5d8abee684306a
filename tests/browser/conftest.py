"""Playwright driving the system's Chromium (never a browser Playwright downloads itself).

`browser` (session) and `page` (per test, fresh context) skip with a reason when Playwright or
Chromium is missing, unless SUPPORTDESK_REQUIRE_BROWSER=1 (CI), where that is a failure.
Chromium is /usr/bin/chromium unless CHROMIUM_PATH names another executable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("SUPPORTDESK_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (SUPPORTDESK_REQUIRE_BROWSER is set, so this is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    chromium = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        _unavailable(f"no Chromium at {chromium} (apt-get install chromium, or set CHROMIUM_PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (use the dev lock)")
    # Playwright's sync API keeps an event loop running in this thread; Django would refuse
    # ORM calls from tests and fixtures while it runs, though they are really synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _new_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context (no cookies shared between tests)."""
    yield from _new_page(browser)


@pytest.fixture
def second_page(browser: Any) -> Iterator[Any]:
    """Another person's page: its own browser context, so its own session."""
    yield from _new_page(browser)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BROWSER_SCREENSHOTS if set (CI keeps it as an artifact), else under pytest's basetemp."""
    configured = os.environ.get("BROWSER_SCREENSHOTS", "").strip()
    directory = Path(configured) if configured else tmp_path_factory.getbasetemp() / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def screenshot(screenshot_dir: Path, request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """`screenshot(page, "state")` saves the page as <test name>--<state>.png and returns it."""

    def take(page: Any, state: str) -> Path:
        test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        path = screenshot_dir / f"{test_name}--{state}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    return take
