"""Catalog test helpers: the packaged catalog as data, and a way to load an edited copy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from supportdesk.catalog.loader import DEFAULT_PATH


@pytest.fixture
def catalog_data() -> dict[str, Any]:
    """A fresh, editable copy of the packaged catalog."""
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def write_catalog(tmp_path: Path) -> Callable[[Any], Path]:
    """Write catalog data (or raw YAML text) to a file and return its path."""

    def write(data: Any) -> Path:
        path = tmp_path / "catalog.yaml"
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def group(data: dict[str, Any], *, team: str, kind: str = "opportunity") -> dict[str, Any]:
    """The request_types group of one team (as written) for one kind."""
    for entry in data["request_types"]:
        if entry["team"] == team and kind in entry["kinds"]:
            return entry
    raise LookupError(f"no group for {team!r} / {kind!r}")


def request_type(data: dict[str, Any], *, team: str, name: str, kind: str = "opportunity") -> dict:
    return next(t for t in group(data, team=team, kind=kind)["types"] if t["name"] == name)
