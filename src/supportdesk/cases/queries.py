"""Every read of cases, with the one access rule for cases (DESIGN.md, "Who sees a case").

A case is visible to its requester, its watchers, members of the owning team, members of
teams that own a linked parent or child case, users with edit access to its record, and ops
admins. Nobody else. Hidden cases answer 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
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
from supportdesk.people.models import Team
from supportdesk.people.queries import team_ids_of
from supportdesk.prepared import PreparedQuery
from supportdesk.records.models import Record, RecordShare


def cases_visible_to(user: AbstractBaseUser) -> QuerySet[Case]:
    """The cases the user may see. Building the rule costs about a millisecond and a page asks
    several times (the case, other cases on its record, linked cases): it is built once per
    user object — per request, like `team_ids_of` — and each caller gets its own copy."""
    flags = (user.is_authenticated, user.is_active, user.is_staff)
    built = getattr(user, "_visible_cases", None)
    if built is None or built[0] != flags:
        built = user._visible_cases = (flags, _visible_cases(user))
    return built[1].all()  # a fresh QuerySet: nobody shares (or fills) the built one's results


def _visible_cases(user: AbstractBaseUser) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_staff:
        return Case.objects.all()
    team_ids = team_ids_of(user)
    return Case.objects.filter(
        Q(requester=user)
        | Q(team_id__in=team_ids)
        | _through_others(user, team_ids)
        | _linked_to_cases_of(team_ids)
    )


def _through_others(user: AbstractBaseUser, team_ids: list[int]) -> Q:
    """Watched cases and cases on records the user owns or may edit: terms on the case's own
    columns, never a join, so a list's count can stay inside one index (`case_open_access`,
    `case_closed_id`) however many cases it passes.

    SQLite: sets of ids, read once. PostgreSQL: EXISTS, which it runs either way — a hashed
    set for a long list, a probe per case for a few (a search's matches) — where with IN it
    would always hash, and scan every case to use the hash.
    """
    watched = CaseWatcher.objects.filter(user=user)
    owned = Record.objects.filter(owner=user)
    shared = RecordShare.objects.filter(
        Q(user=user) | Q(team_id__in=team_ids), level=RecordShare.Level.EDIT
    )
    if connection.vendor == "postgresql":
        return (
            Q(Exists(watched.filter(case=OuterRef("pk"))))
            | Q(Exists(owned.filter(pk=OuterRef("record_id"))))
            | Q(Exists(shared.filter(record=OuterRef("record_id"))))
        )
    return (
        Q(pk__in=watched.values("case_id"))
        | Q(record_id__in=owned.values("pk"))
        | Q(record_id__in=shared.values("record_id"))
    )


def _linked_to_cases_of(team_ids: list[int]) -> Q:
    """Parents and children of the teams' cases. Linked cases are few and have partial
    indexes of their own (`case_team_parent`, `case_team_has_children`): two small sets of
    ids per query, however many cases there are (never a pass over the teams' cases)."""
    if not team_ids:
        return Q(pk__in=[])
    their_children = Case.objects.filter(team_id__in=team_ids, parent__isnull=False)
    their_parents = Case.objects.filter(team_id__in=team_ids, child_count__gt=0)
    return Q(pk__in=their_children.values("parent_id")) | Q(
        parent_id__in=their_parents.values("pk")
    )


def cases_on_record_visible_to(user: AbstractBaseUser, record: Record) -> QuerySet[Case]:
    """The cases raised on `record` that the user may see: all of them for the record's owner
    and for admins (terms of the rule that the record answers, no subquery), else the rule."""
    if user.is_authenticated and user.is_active and (user.is_staff or record.owner_id == user.pk):
        return Case.objects.filter(record=record)
    return cases_visible_to(user).filter(record=record)


def other_cases_on_record(
    user: AbstractBaseUser, case: Case, limit: int
) -> list[tuple[int, str, str, str, int]]:
    """(pk, subject, status, team name, SLA stage) of the other cases on the case's record
    that the user may see, newest first, at most `limit`: `cases_on_record_visible_to` in one
    plain query."""
    if case.record_id is None or not user.is_authenticated or not user.is_active:
        return []
    sql = (
        f"SELECT c.id, c.subject, c.status, t.name, c.sla_stage FROM {_CASE} c"  # noqa: S608
        f" INNER JOIN {_TEAM} t ON t.id = c.team_id WHERE c.record_id = %s AND c.id <> %s"
    )
    params: list = [case.record_id, case.pk]
    if not (user.is_staff or case.record.owner_id == user.pk):
        rule, more = _visible_sql(user, "c")
        sql, params = f"{sql} AND ({rule})", params + more
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY c.created_at DESC, c.id DESC LIMIT %s", [*params, limit])
        return cursor.fetchall()


def can_see_case(user: AbstractBaseUser, case: Case) -> bool:
    """`cases_visible_to` for one case: one small EXISTS in plain SQL (`_visible_sql`)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    rule, params = _visible_sql(user, "c")
    sql = f"SELECT 1 FROM {_CASE} c WHERE c.id = %s AND ({rule}) LIMIT 1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [case.pk, *params])
        return cursor.fetchone() is not None


# The same rule as `_visible_cases`, written out in SQL for the hot single-case checks of the
# case page (the ORM takes about a millisecond to build and compile the rule; this takes a few
# microseconds). tests/cases/test_visibility.py checks that both agree for every persona.
# Only table names and %s placeholders are formatted into it: every value is a parameter.
_CASE = Case._meta.db_table
_WATCHER = CaseWatcher._meta.db_table
_RECORD = Record._meta.db_table
_SHARE = RecordShare._meta.db_table
_TEAM = Team._meta.db_table
_USER = CaseWatcher._meta.get_field("user").related_model._meta.db_table


def _visible_sql(user: AbstractBaseUser, alias: str) -> tuple[str, list]:
    """The rule's WHERE condition on the case table aliased `alias`, for an active non-admin
    user, and its parameters."""
    team_ids = [int(t) for t in team_ids_of(user)]
    teams = ", ".join(["%s"] * len(team_ids))
    terms = [
        f"{alias}.requester_id = %s",
        f"{alias}.record_id IN (SELECT r.id FROM {_RECORD} r WHERE r.owner_id = %s)",  # noqa: S608
        f"{alias}.id IN (SELECT w.case_id FROM {_WATCHER} w WHERE w.user_id = %s)",  # noqa: S608
    ]
    params: list = [user.pk, user.pk, user.pk]
    share = f"SELECT s.record_id FROM {_SHARE} s WHERE s.level = %s AND (s.user_id = %s"  # noqa: S608
    params += [RecordShare.Level.EDIT.value, user.pk]
    if team_ids:
        share += f" OR s.team_id IN ({teams})"
        params += team_ids
    terms.append(f"{alias}.record_id IN ({share}))")
    if team_ids:
        terms += [
            f"{alias}.team_id IN ({teams})",
            f"{alias}.id IN (SELECT k.parent_id FROM {_CASE} k"  # noqa: S608
            f" WHERE k.team_id IN ({teams}) AND k.parent_id IS NOT NULL)",
            f"{alias}.parent_id IN (SELECT p.id FROM {_CASE} p"  # noqa: S608
            f" WHERE p.team_id IN ({teams}) AND p.child_count > 0)",
        ]
        params += team_ids * 3
    return " OR ".join(terms), params


def may_see_case(user: AbstractBaseUser, case: Case) -> bool:
    """`cases_visible_to` for one case in hand, answered once per case object (per request).

    The rule's terms that the case row itself answers (admin, requester, owning team) need no
    query; otherwise the whole rule runs in SQL, as `can_see_case`.
    """
    checked = case.__dict__.setdefault("_visible_to", {})
    if user.pk not in checked:
        if not user.is_authenticated or not user.is_active:
            checked[user.pk] = False
        elif user.is_staff or case.requester_id == user.pk or case.team_id in team_ids_of(user):
            checked[user.pk] = True
        else:
            checked[user.pk] = can_see_case(user, case)
    return checked[user.pk]


def mark_visible(user: AbstractBaseUser, cases: Iterable[Case]) -> None:
    """Note that `user` may see these cases because they came from `cases_visible_to(user)`
    (a page of a list), so `may_see_case` asks the database nothing more about them."""
    for case in cases:
        case.__dict__.setdefault("_visible_to", {})[user.pk] = True


def _case_row(pk: int) -> QuerySet[Case]:
    return (
        Case.objects.select_related(
            *("record__owner", "record__account", "team", "request_type", "sub_request"),
            *("owner", "requester", "rating"),
        )
        # Whether duplicates were merged into it (cases.merge.merge_panel): most have none.
        .annotate(has_duplicates=Exists(Case.objects.filter(duplicate_of_id=OuterRef("pk"))))
        .filter(pk=pk)
    )


_CASE_ROW = PreparedQuery(Case, _case_row)  # eight tables: compiled once, not per page


def case_for(user: AbstractBaseUser, number: str) -> Case:
    """The case with this number if the user may see it; 404 otherwise (`may_see_case`)."""
    pk = parse_number(number)
    if pk is None:
        raise Http404("No such case.")
    case = _CASE_ROW.first(pk=pk)
    if case is None or not may_see_case(user, case):
        raise Http404("No such case.")
    return case


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


def watcher_names(case: Case) -> list[tuple[str, str, str]]:
    """(username, first name, last name) of the case's watchers, first added first: plain
    SQL, as the case page shows them (the ORM takes longer to build it than to run it)."""
    with connection.cursor() as cursor:
        cursor.execute(_WATCHER_NAMES, [case.pk])
        return cursor.fetchall()


_WATCHER_NAMES = (
    f"SELECT u.username, u.first_name, u.last_name FROM {_WATCHER} w"  # noqa: S608
    f" INNER JOIN {_USER} u ON u.id = w.user_id WHERE w.case_id = %s"
    " ORDER BY w.created_at ASC, w.id ASC"
)


def feed_for(user: AbstractBaseUser, case: Case) -> QuerySet[CaseEvent]:
    """The case's events this user may see, newest first (internal notes: team and admins)."""
    events = case.events.select_related("actor").order_by("-created_at", "-id")
    if not is_case_team_member(user, case):
        events = events.filter(internal=False)
    return events


@dataclass(frozen=True, slots=True)
class FeedActor:
    """Who did a feed event: the fields of the User that the feed shows, and its methods."""

    username: str
    first_name: str
    last_name: str

    def get_username(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()  # as User.get_full_name


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """A CaseEvent as the feed reads it, from a plain row: model instances for an event and
    its actor cost several times as much, and a page of the feed makes thirty of each."""

    pk: int
    kind: str
    actor: FeedActor | None
    data: Any
    internal: bool
    created_at: dt.datetime


_FEED_COLUMNS = ("pk", "kind", "data", "internal", "created_at")
_FEED_COLUMNS += ("actor__username", "actor__first_name", "actor__last_name")  # FeedActor


def _feed_events(rows: Iterable[tuple]) -> list[FeedEvent]:
    events = []
    for pk, kind, data, internal, created_at, username, first, last in rows:
        actor = None if username is None else FeedActor(username, first, last)
        events.append(FeedEvent(pk, kind, actor, data, internal, created_at))
    return events


def _feed_start(internal_too: bool, limit: int) -> PreparedQuery[CaseEvent]:
    def build(case_id: int) -> QuerySet[CaseEvent]:
        events = CaseEvent.objects.filter(case_id=case_id)
        events = events if internal_too else events.filter(internal=False)
        return events.order_by("-created_at", "-id")[:limit].values_list(*_FEED_COLUMNS)

    return PreparedQuery(CaseEvent, build)


_FEED_STARTS: dict[tuple[bool, int], PreparedQuery[CaseEvent]] = {}


def feed_slice(user: AbstractBaseUser, case: Case, start: int, stop: int) -> list[FeedEvent]:
    """`feed_for(user, case)[start:stop]` as plain rows; the feed's first page (the one nearly
    every view shows) from SQL compiled once per process."""
    if start != 0:
        return _feed_events(feed_for(user, case)[start:stop].values_list(*_FEED_COLUMNS))
    key = (is_case_team_member(user, case), stop)
    if (prepared := _FEED_STARTS.get(key)) is None:
        prepared = _FEED_STARTS.setdefault(key, _feed_start(*key))
    return _feed_events(prepared.rows(case_id=case.pk))


def feed_page_of(user: AbstractBaseUser, case: Case, event_id: int, *, page_size: int) -> int:
    """The page of `feed_for` (newest first) that shows the event; 1 if the user can't see it."""
    events = feed_for(user, case)
    event = events.filter(pk=event_id).values("created_at").first()
    if event is None:
        return 1
    newer = events.filter(
        Q(created_at__gt=event["created_at"]) | Q(created_at=event["created_at"], pk__gt=event_id)
    ).count()
    return newer // page_size + 1


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


_TEAM_FILES = PreparedQuery(
    Attachment,
    lambda case_id: Attachment.objects.filter(
        removed_at__isnull=True, case_id=case_id
    ).select_related("uploaded_by"),
)


def attachments_with_uploaders(user: AbstractBaseUser, case: Case) -> list[Attachment]:
    """`attachments_visible_to` with who uploaded each; for the case's team from SQL compiled
    once per process."""
    if is_case_team_member(user, case):
        return _TEAM_FILES.all(case_id=case.pk)
    return list(visible_attachments(user).filter(case=case).select_related("uploaded_by"))


def attachments_visible_to(user: AbstractBaseUser, case: Case) -> QuerySet[Attachment]:
    """The case's current files this user may see."""
    if is_case_team_member(user, case):  # all of them: the same rule, without its joins
        return Attachment.objects.filter(removed_at__isnull=True, case=case)
    return visible_attachments(user).filter(case=case)


def closed_case_rating(case: Case) -> CaseRating | None:
    """The requester's rating, shown while the case is closed (load it with the case)."""
    if case.status != Status.CLOSED:
        return None
    try:
        return case.rating
    except CaseRating.DoesNotExist:
        return None
