"""Catalog writes made one row at a time (the admin) forget cached catalog lookups."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from supportdesk.catalog.queries import bump_catalog_version


def catalog_changed(sender: type, **kwargs: Any) -> None:
    transaction.on_commit(bump_catalog_version)
