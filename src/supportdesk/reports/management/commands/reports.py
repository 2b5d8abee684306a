"""`supportdesk reports verify|rebuild`: check the dashboards' rollups, or recompute them."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supportdesk.reports.rollups import rebuild, verify

SHOWN = 50


class Command(BaseCommand):
    help = (
        "verify: compare the reports' rollups with a full recomputation from the cases; prints "
        "the differences and exits 1 if there are any. rebuild: recompute them (needed after a "
        "team's business hours or the site's time zone change, or cases loaded by raw SQL)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["verify", "rebuild"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        started = time.perf_counter()
        if action == "rebuild":
            cases = rebuild()
            took = time.perf_counter() - started
            self.stdout.write(f"Rebuilt the rollups from {cases:,} cases in {took:.1f} s.")
            return
        differences = verify()
        took = time.perf_counter() - started
        if not differences:
            self.stdout.write(f"The rollups equal a full recomputation ({took:.1f} s).")
            return
        for difference in differences[:SHOWN]:
            self.stdout.write(str(difference))
        if len(differences) > SHOWN:
            self.stdout.write(f"… and {len(differences) - SHOWN:,} more.")
        raise CommandError(
            f"{len(differences):,} rollup values differ from a full recomputation; "
            "`supportdesk reports rebuild` recomputes them.",
            returncode=1,
        )
