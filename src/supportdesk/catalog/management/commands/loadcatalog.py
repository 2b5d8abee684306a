"""`supportdesk loadcatalog [--file PATH]`: bring the database in line with the catalog file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from supportdesk.catalog.definitions import CatalogError
from supportdesk.catalog.loader import DEFAULT_PATH, load_catalog


class Command(BaseCommand):
    help = (
        "Load the request catalog (teams, redirects, request types, sub-requests) from a YAML "
        "file. Idempotent; entries the file dropped are deactivated, never deleted; entries "
        "added by admins (API, UI) are left alone."
    )
    # Like migrate: it needs the models only, so it runs even while other apps' checks fail.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, default=None, help=f"Catalog file (default: {DEFAULT_PATH})."
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default)."
        )

    def handle(self, *args: Any, file: Path | None, database: str, **options: Any) -> None:
        try:
            report = load_catalog(file, using=database)
        except CatalogError as err:
            raise CommandError(str(err)) from err
        self.stdout.write(report.summary())
        if options["verbosity"] >= 2:
            for line in report.details():
                self.stdout.write(f"  {line}")
