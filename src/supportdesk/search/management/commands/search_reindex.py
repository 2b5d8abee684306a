"""Rebuild the search documents of every case (or of some): after writes outside the services
(the admin, raw SQL, a bulk load) or to repair the index."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from supportdesk.cases.models import Case
from supportdesk.search.documents import index_cases

BATCH = 50_000


class Command(BaseCommand):
    help = "Rebuild the search index of cases (all, or those numbered from --from)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="start", type=int, default=1, help="first case id")

    def handle(self, *args: Any, start: int, **options: Any) -> None:
        last = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        done = 0
        for first in range(start, last + 1, BATCH):
            with transaction.atomic():  # one batch at a time: writers wait little
                index_cases(Case.objects.filter(pk__gte=first, pk__lt=first + BATCH))
            done += Case.objects.filter(pk__gte=first, pk__lt=first + BATCH).count()
            self.stdout.write(f"indexed cases {first}–{min(first + BATCH - 1, last)}")
        self.stdout.write(self.style.SUCCESS(f"Indexed {done} cases."))
