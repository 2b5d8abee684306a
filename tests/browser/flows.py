"""Helpers shared by the browser flow tests: logging in, a second person's page, screenshots
of each final state, and the request catalog's (team, record kind) pairs."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.factories import PASSWORD

CATALOG_FILE = Path(__file__).parents[2] / "src" / "supportdesk" / "catalog" / "catalog.yaml"
NO_RECORD = "none"  # the catalog's kind for requests without a record (the problem report)


def log_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    page.wait_for_url(re.compile(r"/$"))


def message(page: Any, text: str) -> None:
    """Wait for the flash message a finished action leaves on the reloaded page."""
    page.locator(".messages").get_by_text(text).wait_for()


def catalog_team_kind_pairs() -> list[tuple[str, str]]:
    """Every (team name, record kind) the catalog file offers a request type for, in file order.

    Read from the file itself at collection time (no database yet), aliases resolved."""
    catalog = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    names = {}
    for team in catalog["teams"]:
        for spelling in [team["name"], *team.get("aliases", [])]:
            names[spelling] = team["name"]
    pairs: list[tuple[str, str]] = []
    for group in catalog["request_types"]:
        for kind in group["kinds"]:
            pair = (names[group["team"]], kind)
            if kind != NO_RECORD and pair not in pairs:
                pairs.append(pair)
    return pairs


def covering_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Few pairs that still name every team and every kind at least once (greedy: the pair
    adding most not yet covered first, file order breaking ties)."""
    teams, kinds = {t for t, _ in pairs}, {k for _, k in pairs}
    chosen: list[tuple[str, str]] = []
    while teams or kinds:
        best = max(pairs, key=lambda p: (p[0] in teams) + (p[1] in kinds))
        chosen.append(best)
        teams.discard(best[0])
        kinds.discard(best[1])
    return chosen


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


@pytest.fixture
def second_page(browser: Any) -> Iterator[Any]:
    """Another person's page: its own browser context, so its own session."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()
