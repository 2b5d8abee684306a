"""Teams (queues) and who works in them: GET /teams for everyone (active teams, as the
request wizard shows them); admins also see inactive teams and members, and alone may create
and change teams and memberships (anyone else: 404, as if the route held nothing).

The writes are the `people.services` functions behind the `supportdesk user` command.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from supportdesk.api.cases import IDEMPOTENCY_KEY
from supportdesk.api.errors import FieldErrors, problems
from supportdesk.api.schemas import BodyIn
from supportdesk.people.models import Membership, Team
from supportdesk.people.services import (
    TeamInvalid,
    membership_remove,
    membership_set,
    team_create,
    team_update,
)

router = Router(tags=["teams"])

ROLE = Field(description="`agent` or `lead`.")


class MemberOut(Schema):
    user: str
    name: str
    role: str = ROLE


class TeamOut(Schema):
    name: str
    slug: str
    description: str
    aliases: list[str]
    is_active: bool
    members: list[MemberOut] | None = Field(description="Admins only; null for others.")


class TeamIn(BodyIn):
    name: str
    description: str = ""
    aliases: list[str] = []


class TeamPatchIn(BodyIn):
    name: str | None = None
    description: str | None = None
    aliases: list[str] | None = None
    is_active: bool | None = None


class MemberIn(BodyIn):
    user: str = Field(description="Username.")
    role: str = Field(Membership.Role.AGENT, description="`agent` (default) or `lead`.")


class RoleIn(BodyIn):
    role: str = ROLE


def _admin(user: AbstractBaseUser) -> None:
    if not user.is_staff:
        raise Http404("Not found.")


def _members(team: Team) -> list[dict[str, str]]:
    return [member_out(m) for m in team.memberships.all()]


def member_out(membership: Membership) -> dict[str, str]:
    user = membership.user
    return {
        "user": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "role": membership.role,
    }


def team_out(team: Team, *, members: bool) -> dict[str, Any]:
    return {
        "name": team.name,
        "slug": team.slug,
        "description": team.description,
        "aliases": team.aliases,
        "is_active": team.is_active,
        "members": _members(team) if members else None,
    }


def _memberships() -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.select_related("user").order_by("user__username"),
    )


def _team(slug: str) -> Team:
    return get_object_or_404(Team.objects.prefetch_related(_memberships()), slug=slug)


def _user(username: str, *, field: str | None) -> AbstractBaseUser:
    """The user; a 422 on `field` when named in the body, a 404 when named in the path."""
    user = get_user_model().objects.filter(username__iexact=username.strip()).first()
    if user is None:
        if field:
            raise FieldErrors({field: [f"No user {username!r}."]})
        raise Http404("No such member.")
    return user


def _invalid(err: TeamInvalid) -> FieldErrors:
    return FieldErrors(err.errors)


@router.get("/teams", response={200: list[TeamOut], **problems(401)})
def team_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Active teams in catalog order; admins get inactive teams and the members too."""
    admin = request.auth.is_staff
    teams = Team.objects.order_by("position", "name")
    teams = teams.prefetch_related(_memberships()) if admin else teams.filter(is_active=True)
    return [team_out(team, members=admin) for team in teams]


@router.post("/teams", response={200: TeamOut, 201: TeamOut, **problems(401, 404, 422)})
def team_add(
    request: HttpRequest, payload: TeamIn, idempotency_key: str | None = IDEMPOTENCY_KEY
) -> Status:
    """Create a team (admins); 201. Team names are unique: with an `Idempotency-Key`, a retry
    that finds the team it asked for (same name and description) answers 200 with it."""
    _admin(request.auth)
    if idempotency_key:
        same = Team.objects.filter(
            name=payload.name.strip(), description=payload.description.strip()
        ).first()
        if same is not None:
            return Status(200, team_out(_team(same.slug), members=True))
    try:
        team = team_create(
            name=payload.name, description=payload.description, aliases=payload.aliases
        )
    except TeamInvalid as err:
        raise _invalid(err) from None
    return Status(201, team_out(_team(team.slug), members=True))


@router.patch("/teams/{slug}", response={200: TeamOut, **problems(401, 404, 422)})
def team_change(request: HttpRequest, slug: str, payload: TeamPatchIn) -> dict[str, Any]:
    """Rename, describe, (de)activate a team (admins); only the fields sent change."""
    _admin(request.auth)
    team = _team(slug)
    try:
        team_update(team, **payload.model_dump(exclude_unset=True))
    except TeamInvalid as err:
        raise _invalid(err) from None
    return team_out(team, members=True)


@router.get("/teams/{slug}/members", response={200: list[MemberOut], **problems(401, 404)})
def member_list(request: HttpRequest, slug: str) -> list[dict[str, str]]:
    """The team's agents and leads, by username (admins)."""
    _admin(request.auth)
    return _members(_team(slug))


@router.post(
    "/teams/{slug}/members",
    response={200: MemberOut, 201: MemberOut, **problems(401, 404, 422)},
)
def member_add(
    request: HttpRequest,
    slug: str,
    payload: MemberIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status:
    """Add a member (admins): 201, or 200 if they were one (with the role now given).

    Adding is idempotent by nature: a retry, with or without a key, finds the membership."""
    _admin(request.auth)
    team = _team(slug)
    user = _user(payload.user, field="user")
    try:
        membership, created = membership_set(team, user, payload.role.strip())
    except TeamInvalid as err:
        raise _invalid(err) from None
    return Status(201 if created else 200, member_out(membership))


def _membership(slug: str, username: str) -> Membership:
    team = _team(slug)
    user = _user(username, field=None)
    return get_object_or_404(
        Membership.objects.select_related("user", "team"), team=team, user=user
    )


@router.patch(
    "/teams/{slug}/members/{username}", response={200: MemberOut, **problems(401, 404, 422)}
)
def member_change(
    request: HttpRequest, slug: str, username: str, payload: RoleIn
) -> dict[str, str]:
    """Make a member an agent or a lead of the team (admins)."""
    _admin(request.auth)
    membership = _membership(slug, username)
    try:
        membership, _ = membership_set(membership.team, membership.user, payload.role.strip())
    except TeamInvalid as err:
        raise _invalid(err) from None
    return member_out(membership)


@router.delete("/teams/{slug}/members/{username}", response={204: None, **problems(401, 404)})
def member_remove(request: HttpRequest, slug: str, username: str) -> Status:
    """Take a member out of the team (admins)."""
    _admin(request.auth)
    membership = _membership(slug, username)
    membership_remove(membership.team, membership.user)
    return Status(204, None)
