"""`supportdesk token create USERNAME [--name N] [--scope read|read+write] [--expires-days N]`
and `supportdesk token revoke ID` (the id is on Settings › API tokens and in GET /tokens)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from supportdesk.people.models import ApiToken
from supportdesk.people.services import PeopleError, token_create, token_revoke


def _days(raw: str) -> int:
    if not raw.isdecimal() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of days, 1 or more, not {raw!r}")
    return int(raw)


class Command(BaseCommand):
    help = "Create a personal API token; the raw token is printed once, as the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a token for a user")
        create.add_argument("username")
        create.add_argument("--name", default="cli", help="a label to recognise it (default: cli)")
        create.add_argument(
            "--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ_WRITE
        )
        create.add_argument(
            "--expires-days",
            type=_days,
            metavar="N",
            help="expire after N days (default: never)",
        )
        revoke = actions.add_parser("revoke", help="revoke a token: it stops working at once")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "revoke":
            self._revoke(options["id"])
            return
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}.") from None
        days = options["expires_days"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            token, raw = token_create(
                user=user, name=options["name"], scope=options["scope"], expires_at=expires_at
            )
        except PeopleError as err:
            raise CommandError(str(err)) from None
        expiry = (
            f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}" if token.expires_at else "never expires"
        )
        self.stdout.write(
            f"Token {token.name!r} for {user.get_username()}: scope {token.scope}, {expiry}."
        )
        self.stdout.write("Shown once; only its hash is stored. The token is the next line:")
        self.stdout.write(raw)

    def _revoke(self, pk: int) -> None:
        token = ApiToken.objects.select_related("user").filter(pk=pk).first()
        if token is None:
            raise CommandError(f"No token with id {pk}.")
        done = "revoked" if token_revoke(token) else "was already revoked"
        self.stdout.write(f"Token {token.name!r} of {token.user.get_username()} {done}.")
