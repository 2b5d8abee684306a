"""Writes about people: create or update users and their memberships, issue API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import BaseUserManager
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from supportdesk.cases.models import Case
from supportdesk.people.models import ApiToken, ApprovalRole, Membership, Team, hash_token
from supportdesk.people.queries import teams_by_name
from supportdesk.search.documents import index_cases


class PeopleError(ValueError):
    """A request about people that cannot be carried out; the message says why."""


def _team_named(name: str) -> Team:
    team = teams_by_name(name)
    if team is None:
        valid = ", ".join(Team.objects.filter(is_active=True).values_list("name", flat=True))
        raise PeopleError(f"Unknown team {name!r}. Valid teams: {valid or '(none loaded)'}.")
    return team


def _resolve_memberships(memberships: Iterable[tuple[str, str]]) -> list[tuple[Team, str]]:
    resolved = []
    for team_name, role in memberships:
        if role not in Membership.Role.values:
            valid = ", ".join(Membership.Role.values)
            raise PeopleError(f"Unknown role {role!r}; use one of: {valid}.")
        resolved.append((_team_named(team_name), role))
    return resolved


def _resolve_approval_roles(slugs: Iterable[str]) -> list[ApprovalRole]:
    wanted = [slug.strip() for slug in slugs]
    found = {role.slug: role for role in ApprovalRole.objects.filter(slug__in=wanted)}
    if missing := [slug for slug in wanted if slug not in found]:
        valid = ", ".join(ApprovalRole.objects.values_list("slug", flat=True))
        raise PeopleError(
            f"Unknown approval role {missing[0]!r}. Valid roles: {valid or '(none loaded)'}."
        )
    return list(found.values())


@transaction.atomic
def user_upsert(
    *,
    username: str,
    password: str | None = None,
    email: str | None = None,
    full_name: str | None = None,
    memberships: Iterable[tuple[str, str]] = (),
    approval_roles: Iterable[str] = (),
    is_admin: bool = False,
) -> AbstractBaseUser:
    """Create the user or update the one with this username; None leaves a field unchanged.

    `memberships` are (team name or alias, role) pairs, added or given the new role; other
    memberships stay. `approval_roles` are slugs of approval roles (from the catalog) to give
    the user; roles they hold already stay. `is_admin=True` makes the user staff and
    superuser; False never demotes.
    """
    User = get_user_model()
    username = username.strip()
    try:
        User._meta.get_field(User.USERNAME_FIELD).run_validators(username)
    except ValidationError as err:
        raise PeopleError(f"Invalid username {username!r}: {' '.join(err.messages)}") from None
    if not username:
        raise PeopleError("A username is required.")
    wanted = _resolve_memberships(memberships)
    roles = _resolve_approval_roles(approval_roles)
    user, created = User.objects.get_or_create(**{User.USERNAME_FIELD: username})
    if password is not None:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    if email is not None:
        user.email = BaseUserManager.normalize_email(email.strip())
    renamed = False
    if full_name is not None:
        first, _, last = full_name.strip().partition(" ")
        renamed = not created and (user.first_name, user.last_name) != (first, last.strip())
        user.first_name, user.last_name = first, last.strip()
    if is_admin:
        user.is_staff = user.is_superuser = True
    user.save()
    if renamed:  # their requests are found by their name (search.documents)
        index_cases(Case.objects.filter(requester=user))
    for team, role in wanted:
        Membership.objects.update_or_create(user=user, team=team, defaults={"role": role})
    if roles:
        user.approval_roles.add(*roles)
    return user


@transaction.atomic
def token_create(
    *, user: AbstractBaseUser, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a personal API token. Returns the row (holding only the hash) and the raw token,
    which exists nowhere else: show it once."""
    name = name.strip()
    if not name or len(name) > ApiToken._meta.get_field("name").max_length:
        raise PeopleError("A token needs a name of 1 to 100 characters.")
    if scope not in ApiToken.Scope.values:
        valid = ", ".join(ApiToken.Scope.values)
        raise PeopleError(f"Unknown scope {scope!r}; use one of: {valid}.")
    if expires_at is not None and expires_at <= timezone.now():
        raise PeopleError("A token cannot expire in the past.")
    if not user.is_active:
        raise PeopleError(f"User {user.get_username()} is inactive.")
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_token(raw),
        hint=raw[:8],
        scope=scope,
        expires_at=expires_at,
    )
    return token, raw


def token_revoke(token: ApiToken) -> bool:
    """Revoke the token from now on. Idempotent: False (and nothing changes) when it was
    revoked already."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    return bool(revoked)
