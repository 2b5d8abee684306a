"""Helpers shared by the browser flow tests: logging in, waiting for a flash message, and the
request catalog's (team, record kind) pairs. The shared fixtures (pages, screenshots) are in
conftest.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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


def suggest_mentions(page: Any, field: str, text: str, *, attempts: int = 3) -> None:
    """Type `text` (an "@" and the start of a name) into `field` and wait for the suggestions.

    The page asks once per pause in typing and shows nothing if that one request fails, as a
    person would type on; on a saturated CI machine a request can (and a swap still settling
    can take the first keys), so type it all again before giving up.
    """
    box = page.locator(field)
    options = page.locator(".mention-menu [role=option]")
    for attempt in range(attempts):
        box.fill("")
        box.press_sequentially(text)
        try:
            options.first.wait_for(timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise


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
