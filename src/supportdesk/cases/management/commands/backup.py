"""`supportdesk backup [--to DIR]`: an online copy of the SQLite database and the attachments."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from supportdesk.backup import MANIFEST, BackupError, make_backup


class Command(BaseCommand):
    help = (
        "Copy the SQLite database (SQLite's backup API: consistent while the site runs) and the "
        "attachments into DIR/supportdesk-YYYYmmdd-HHMMSS/ with a manifest.json. "
        "PostgreSQL: use pg_dump (README, 'Health checks and backups')."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--to",
            type=Path,
            default=None,
            help="the folder to put the backup in (default: the var dir's backups/)",
        )

    def handle(self, *args: Any, to: Path | None, **options: Any) -> None:
        try:
            folder = make_backup(to or settings.VAR_DIR / "backups")
        except (BackupError, FileExistsError) as error:
            raise CommandError(str(error)) from error
        manifest = json.loads((folder / MANIFEST).read_text())
        counts = manifest["counts"]
        self.stdout.write(
            f"Backed up {counts['cases']:,} cases and {manifest['media']['files']:,} files "
            f"({manifest['database']['bytes'] + manifest['media']['bytes']:,} bytes) to {folder}"
        )
