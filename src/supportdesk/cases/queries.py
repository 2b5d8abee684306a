"""Every read of cases, with the one access rule for cases (DESIGN.md, "Who sees a case").

A case is visible to its requester, its watchers, members of the owning team, users with
edit access to its record, and ops admins. Nobody else. Hidden cases answer 404.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from supportdesk.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseRating,
    CaseWatcher,
    Status,
    parse_number,
)
from supportdesk.people.queries import team_ids_of
from supportdesk.records.models import RecordShare


def cases_visible_to(user: AbstractBaseUser) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_staff:
        return Case.objects.all()
    team_ids = team_ids_of(user)
    watching = CaseWatcher.objects.filter(case=OuterRef("pk"), user=user)
    record_edit_share = RecordShare.objects.filter(
        Q(user=user) | Q(team_id__in=team_ids),
        record=OuterRef("record_id"),
        level=RecordShare.Level.EDIT,
    )
    return Case.objects.filter(
        Q(requester=user)
        | Q(team_id__in=team_ids)
        | Q(record__owner=user)
        | Exists(watching)
        | Exists(record_edit_share)
    )


def can_see_case(user: AbstractBaseUser, case: Case) -> bool:
    return cases_visible_to(user).filter(pk=case.pk).exists()


def case_for(user: AbstractBaseUser, number: str) -> Case:
    """The case with this number if the user may see it; 404 otherwise."""
    pk = parse_number(number)
    if pk is None:
        raise Http404("No such case.")
    try:
        return (
            cases_visible_to(user)
            .select_related(
                "record", "team", "request_type", "sub_request", "owner", "requester", "rating"
            )
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


def cases_requested_by(user: AbstractBaseUser) -> QuerySet[Case]:
    """My Cases: what the user requested, newest first."""
    return (
        cases_visible_to(user)
        .filter(requester=user)
        .select_related("team", "request_type", "sub_request", "record")
        .order_by("-created_at", "-id")
    )


def is_case_team_member(user: AbstractBaseUser, case: Case) -> bool:
    """Members of the owning team and admins see internal notes and their files."""
    return user.is_staff or case.team_id in team_ids_of(user)


def feed_for(user: AbstractBaseUser, case: Case) -> QuerySet[CaseEvent]:
    """The case's events this user may see, newest first (internal notes: team and admins)."""
    events = case.events.select_related("actor").order_by("-created_at", "-id")
    if not is_case_team_member(user, case):
        events = events.filter(internal=False)
    return events


def visible_attachments(user: AbstractBaseUser) -> QuerySet[Attachment]:
    """Current files of cases the user may see, less internal notes' files outside the team.

    Filter it by case (or prefetch it for a page of cases): it assumes the cases are visible.
    """
    files = Attachment.objects.filter(removed_at__isnull=True)
    if user.is_staff:
        return files
    return files.filter(
        Q(event__isnull=True) | Q(event__internal=False) | Q(case__team_id__in=team_ids_of(user))
    )


def attachments_visible_to(user: AbstractBaseUser, case: Case) -> QuerySet[Attachment]:
    """The case's current files this user may see."""
    return visible_attachments(user).filter(case=case)


def closed_case_rating(case: Case) -> CaseRating | None:
    """The requester's rating, shown while the case is closed (load it with the case)."""
    if case.status != Status.CLOSED:
        return None
    try:
        return case.rating
    except CaseRating.DoesNotExist:
        return None
