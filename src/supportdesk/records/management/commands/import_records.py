"""`supportdesk import-records FILE.csv --kind KIND [--mapping M.yaml] [--dry-run]
[--batch-size N] [--rejects PATH] [--show-mapping]` (also `supportdesk import_records`).

See `supportdesk.records.importing` for the mappings, the import order and what is rejected.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportdesk.records.import_mappings import MappingError, load_mapping
from supportdesk.records.importing import (
    BATCH_SIZE,
    ImportFileError,
    ImportSummary,
    default_rejects_path,
    import_records,
    progress_printer,
    write_rejects,
)
from supportdesk.records.models import Kind

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Import CRM records of one kind from a Salesforce-style CSV export: upsert by Id, "
        "owners by email or username, parent accounts by Id (import accounts first). Prints "
        "created / updated / unchanged / rejected and writes the rejected rows with reasons."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", metavar="FILE.csv")
        parser.add_argument("--kind", required=True, choices=Kind.values)
        parser.add_argument("--mapping", metavar="YAML", help="extends the kind's default")
        parser.add_argument("--show-mapping", action="store_true", help="print it and stop")
        parser.add_argument("--dry-run", action="store_true", help="check, write nothing")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, metavar="N")
        parser.add_argument("--rejects", metavar="PATH", help="default: FILE.rejects.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            mapping = load_mapping(options["kind"], options["mapping"])
        except MappingError as err:
            raise CommandError(str(err)) from None
        if options["show_mapping"]:
            self.stdout.write(mapping.as_yaml(), ending="")
            return
        if not options["file"]:
            raise CommandError("Give the CSV file to import (or --show-mapping).")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        progress = None
        if options["verbosity"] > 0:

            def write(text: str) -> None:
                self.stderr.write(text, ending="")
                self.stderr.flush()

            progress = progress_printer(write, tty=self.stderr.isatty())
        try:
            summary = import_records(
                options["file"],
                kind=options["kind"],
                mapping=mapping,
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                progress=progress,
            )
        except ImportFileError as err:
            raise CommandError(str(err)) from None
        self._report(summary, options["file"])
        if summary.rejects:
            path = options["rejects"] or default_rejects_path(options["file"])
            write_rejects(path, summary)
            self.stdout.write(f"Rejected rows and their reasons: {path}")

    def _report(self, summary: ImportSummary, file: str) -> None:
        would = " (dry run: nothing was written)" if summary.dry_run else ""
        self.stdout.write(
            f"{file}: {summary.total:,} {summary.kind} row{'' if summary.total == 1 else 's'} — "
            f"{summary.created:,} created, "
            f"{summary.updated:,} updated, {summary.unchanged:,} unchanged, "
            f"{summary.rejected:,} rejected{would}."
        )
        if summary.unresolved:
            self.stdout.write(
                f"{len(summary.unresolved):,} unresolved references (rows imported, those fields "
                "left as they were):"
            )
            groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
            for ref in summary.unresolved:
                groups[ref.field, ref.value, ref.reason].append(ref.line)
            for (name, value, reason), lines in list(groups.items())[:SHOWN]:
                shown = ", ".join(map(str, lines[:5])) + (", …" if len(lines) > 5 else "")
                rows = f"{len(lines):,} rows (lines" if len(lines) > 1 else "1 row (line"
                self.stdout.write(f"  {name} “{value}”: {reason} — {rows} {shown})")
            if len(groups) > SHOWN:
                self.stdout.write(f"  … and {len(groups) - SHOWN:,} more.")
