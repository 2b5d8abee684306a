"""Reads about people: which teams a user belongs to, and in what role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from supportdesk.people.models import ApiToken, Membership, Team

TOKEN_STATES = ("active", "expired", "revoked")


def team_roles_of(user: AbstractBaseUser | AnonymousUser) -> dict[int, str]:
    """Team id → the user's role there ('agent' or 'lead'), for the teams the user is a
    member of (one query, cached on the user object per request)."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, "_team_roles", None)
    if cached is None:
        # Plain SQL: every page asks this, and the ORM takes longer to build it than to run it.
        with connection.cursor() as cursor:
            cursor.execute(_TEAM_ROLES, [user.pk])
            cached = dict(cursor.fetchall())
        user._team_roles = cached
    return cached


_TEAM_ROLES = f"SELECT team_id, role FROM {Membership._meta.db_table} WHERE user_id = %s"  # noqa: S608


def team_ids_of(user: AbstractBaseUser | AnonymousUser) -> list[int]:
    """Ids of the teams the user is a member of (cached on the user object per request)."""
    return list(team_roles_of(user))


def is_agent_of(user: AbstractBaseUser, team: Team) -> bool:
    return team.pk in team_ids_of(user)


def teams_by_name(name: str) -> Team | None:
    """The active team called `name`, or having it as an alias (the seed spells some two ways)."""
    name = name.strip()
    for team in Team.objects.filter(is_active=True):
        if team.name == name or name in team.aliases:
            return team
    return None


def token_state(token: ApiToken) -> str:
    """'revoked', 'expired' or 'active' (revoked wins over expired)."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    return "active"


def tokens_in_state(tokens: QuerySet[ApiToken], state: str) -> QuerySet[ApiToken]:
    """Narrow `tokens` to one of TOKEN_STATES; any other value leaves them all."""
    now = timezone.now()
    expired = Q(expires_at__isnull=False, expires_at__lte=now)
    if state == "revoked":
        return tokens.filter(revoked_at__isnull=False)
    if state == "expired":
        return tokens.filter(expired, revoked_at__isnull=True)
    if state == "active":
        return tokens.filter(revoked_at__isnull=True).exclude(expired)
    return tokens
