from __future__ import annotations

from django.core.management.base import BaseCommand

from supportdesk.cases.services import purge_expired_uploads


class Command(BaseCommand):
    help = "Delete uploaded files that were never attached to a case before they expired."

    def handle(self, *args, **options) -> None:
        count = purge_expired_uploads()
        self.stdout.write(f"Deleted {count} expired upload(s).")
