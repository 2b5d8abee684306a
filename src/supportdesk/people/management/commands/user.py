"""`supportdesk user add USERNAME --password P [--email E] [--name N] [--team T [--role R]]…
[--approval-role SLUG]…`"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportdesk.people.models import Membership
from supportdesk.people.services import PeopleError, user_upsert


class _Team(argparse.Action):
    """--team starts a [team, role] pair in `memberships`; the role is filled by --role."""

    def __call__(self, parser: Any, namespace: Any, value: Any, option_string: Any = None) -> None:
        namespace.memberships = [*namespace.memberships, [value, None]]


class _Role(argparse.Action):
    """--role sets the role of the --team just before it."""

    def __call__(self, parser: Any, namespace: Any, value: Any, option_string: Any = None) -> None:
        pairs = namespace.memberships
        if not pairs or pairs[-1][1] is not None:
            parser.error("each --role must follow its own --team")
        pairs[-1][1] = value


class Command(BaseCommand):
    help = "Create or update a user (idempotent): password, email, name, team memberships, admin."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="create the user, or update the existing one")
        add.add_argument("username")
        add.add_argument("--password", required=True)
        add.add_argument("--email")
        add.add_argument("--name", dest="full_name", metavar='"FULL NAME"')
        add.add_argument(
            "--team",
            dest="memberships",
            metavar="TEAM",
            action=_Team,
            default=[],
            help="team name or alias; repeat for several teams",
        )
        add.add_argument(
            "--role",
            action=_Role,
            choices=Membership.Role.values,
            help="role in the --team before it (default: agent)",
        )
        add.add_argument(
            "--approval-role",
            dest="approval_roles",
            metavar="SLUG",
            action="append",
            default=[],
            help="an approval role of the catalog (e.g. compensation); repeat for several",
        )
        add.add_argument("--admin", action="store_true", help="make staff and superuser")

    def handle(self, *args: Any, **options: Any) -> None:
        memberships = [
            (team, role or Membership.Role.AGENT) for team, role in options["memberships"]
        ]
        try:
            user = user_upsert(
                username=options["username"],
                password=options["password"],
                email=options["email"],
                full_name=options["full_name"],
                memberships=memberships,
                approval_roles=options["approval_roles"],
                is_admin=options["admin"],
            )
        except PeopleError as err:
            raise CommandError(str(err)) from None
        teams = user.memberships.select_related("team").order_by("team__name")
        joined = ", ".join(f"{m.role} in {m.team.name}" for m in teams) or "no team"
        slugs = ", ".join(user.approval_roles.order_by("slug").values_list("slug", flat=True))
        approves = f"; approval roles: {slugs}" if slugs else ""
        admin = "; admin" if user.is_superuser else ""
        self.stdout.write(f"User {user.get_username()}: {joined}{approves}{admin}.")
