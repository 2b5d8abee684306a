"""Writes about people: create or update users, teams and memberships, issue API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import BaseUserManager
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

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


def _check_password(password: str, user: AbstractBaseUser) -> None:
    try:
        validate_password(password, user)
    except ValidationError as err:
        raise PeopleError(f"Password refused: {' '.join(err.messages)}") from None


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
    superuser; False never demotes. A password must pass AUTH_PASSWORD_VALIDATORS.
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
    if password is None and created:
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
    if password is not None:
        _check_password(password, user)
        user.set_password(password)
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


# ---- teams and memberships (the API; the admin edits the same rows) ------------------------


class TeamInvalid(PeopleError):
    """A team change with wrong fields: `errors` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(" ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


def _team_errors(team: Team, *, exclude: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    others = Team.objects.exclude(pk=exclude) if exclude else Team.objects.all()
    if not team.name:
        errors["name"] = ["A team needs a name."]
    elif len(team.name) > Team._meta.get_field("name").max_length:
        errors["name"] = ["A team's name has at most 100 characters."]
    elif others.filter(name__iexact=team.name).exists():
        errors["name"] = [f"There is a team called {team.name!r} already."]
    elif not team.slug:
        errors["name"] = ["The name needs a letter or digit (the team's slug is made from it)."]
    elif others.filter(slug=team.slug).exists():
        errors["name"] = [f"The slug {team.slug!r} is taken by another team."]
    if len(team.description) > Team._meta.get_field("description").max_length:
        errors["description"] = ["A description has at most 300 characters."]
    return errors


@transaction.atomic
def team_create(*, name: str, description: str = "", aliases: Iterable[str] = ()) -> Team:
    """Create an active team, listed after the others; its slug is made from the name.

    A new team works with the site's default business hours and SLA targets until an admin
    sets its own (sla.engine), and receives requests once the catalog gives it request types.
    """
    name = name.strip()
    team = Team(
        name=name,
        slug=slugify(name)[: Team._meta.get_field("slug").max_length],
        description=description.strip(),
        aliases=[a.strip() for a in aliases if a.strip()],
    )
    if errors := _team_errors(team, exclude=None):
        raise TeamInvalid(errors)
    last = Team.objects.aggregate(last=Max("position"))["last"]
    team.position = 0 if last is None else last + 1
    team.save()
    return team


@transaction.atomic
def team_update(
    team: Team,
    *,
    name: str | None = None,
    description: str | None = None,
    aliases: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> Team:
    """Change what is given (None leaves a field); the slug stays, so links keep working."""
    if name is not None:
        team.name = name.strip()
    if description is not None:
        team.description = description.strip()
    if aliases is not None:
        team.aliases = [a.strip() for a in aliases if a.strip()]
    if is_active is not None:
        team.is_active = is_active
    if errors := _team_errors(team, exclude=team.pk):
        raise TeamInvalid(errors)
    team.save()
    return team


def membership_set(team: Team, user: AbstractBaseUser, role: str) -> tuple[Membership, bool]:
    """Make the user a member of the team in `role` (or give them that role); True if new."""
    if role not in Membership.Role.values:
        valid = ", ".join(Membership.Role.values)
        raise TeamInvalid({"role": [f"Unknown role {role!r}; use one of: {valid}."]})
    if not user.is_active:
        raise TeamInvalid({"user": [f"User {user.get_username()} is inactive."]})
    return Membership.objects.update_or_create(user=user, team=team, defaults={"role": role})


def membership_remove(team: Team, user: AbstractBaseUser) -> bool:
    """Take the user out of the team; False if they were not a member."""
    deleted, _ = Membership.objects.filter(team=team, user=user).delete()
    return bool(deleted)
