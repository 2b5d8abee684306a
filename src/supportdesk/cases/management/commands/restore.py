"""`supportdesk restore DIR [--force]`: put a `supportdesk backup` back in place."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supportdesk.backup import BackupError, migration_state, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `supportdesk backup` (its folder): checks its checksum, then "
        "replaces the database and copies the attachments back. Stop the site and the workers "
        "first. Refuses to replace a database that holds data unless --force."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("folder", type=Path, help="a supportdesk-YYYYmmdd-HHMMSS folder")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )

    def handle(self, *args: Any, folder: Path, force: bool, **options: Any) -> None:
        try:
            manifest = restore_backup(folder, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {manifest['counts']['cases']:,} cases and {manifest['media']['files']:,} "
            f"files from the backup of {manifest['created_at']}."
        )
        pending, unknown = migration_state()
        if pending:
            self.stderr.write(
                f"The backup is older than the code: {pending} migrations to apply. "
                "Run `supportdesk migrate`."
            )
        if unknown:
            self.stderr.write(
                "The backup was made by newer code (migrations this code does not have: "
                f"{', '.join(unknown)}); run the matching version of supportdesk."
            )
