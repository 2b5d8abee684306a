from __future__ import annotations

from django.core.management.base import BaseCommand

from supportdesk.catalog.models import RequestType
from supportdesk.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Create demo people, records and cases (idempotent) and print the demo logins."

    def handle(self, *args, **options) -> None:
        if not RequestType.objects.exists():
            from django.core.management import call_command

            call_command("loadcatalog")
        logins, records, cases = load_demo()
        self.stdout.write(f"Demo data ready: {records} records, {cases} cases.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username.ljust(width)}  {login.name} — {login.role}")
