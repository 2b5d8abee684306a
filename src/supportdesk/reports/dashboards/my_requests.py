"""My requests (every user): my open requests by status, what waits on me, how long my
requests took to resolve, and what happened on them lately."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, Q, QuerySet
from django.urls import reverse

from supportdesk.cases.models import OPEN_STATUSES, Case, CaseEvent, Status, format_number
from supportdesk.cases.queries import cases_visible_to
from supportdesk.lists.filters import OpenCase
from supportdesk.reports.blocks import ActivityItem, Chart, Dashboard, Figure, Series
from supportdesk.reports.filters import ReportFilters
from supportdesk.reports.queries import SecondsBetween, narrowed

ACTIVITY_ITEMS = 10
BUSY_REQUESTER_CASES = 2000  # from this many requests on, recent activity walks all events
WALK_CHUNK = 500
WALK_CHUNKS = 10
MINE = ("requester", "me")


def build(user: AbstractBaseUser, filters: ReportFilters) -> Dashboard:
    mine = narrowed(Case.objects.filter(requester=user), filters)
    by_status = dict(
        mine.filter(status__in=OPEN_STATUSES)
        .filter(OpenCase())  # said again as SQLite's partial index says it
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    open_total = sum(by_status.values())
    in_range = mine.filter(created_at__gte=filters.start_at, created_at__lt=filters.end_before)
    closed = (
        mine.filter(closed_at__gte=filters.start_at, closed_at__lt=filters.end_before)
        .order_by()
        .aggregate(
            n=Count("pk"),
            seconds=Avg(SecondsBetween("created_at", "closed_at")),
        )
    )
    average = closed["seconds"] / 3600 if closed["seconds"] is not None else None
    figures = [
        Figure(
            "open",
            "My open requests",
            open_total,
            url=filters.cases_url(MINE, ("status", "open"), dated=None),
        ),
        Figure(
            "waiting_on_me",
            "Waiting on me",
            by_status.get(Status.PENDING_RESPONSE, 0),
            url=filters.cases_url(MINE, ("status", Status.PENDING_RESPONSE), dated=None),
            note="The team asked you something: answer on the case.",
        ),
        Figure(
            "raised",
            "Raised in the period",
            in_range.count(),
            url=filters.cases_url(MINE),
        ),
        Figure(
            "avg_resolution_hours",
            "Average time to resolution",
            round(average, 1) if average is not None else None,
            unit="h",
            url=filters.cases_url(MINE, dated="closed"),
            note=f"Wall-clock hours from raising to closing, over {closed['n']} requests "
            "closed in the period.",
        ),
    ]
    statuses = [s for s in Status if s.value in OPEN_STATUSES]
    chart = Chart(
        "open_by_status",
        "My open requests by status",
        "bar",
        [s.label for s in statuses],
        [
            Series(
                "requests",
                "Requests",
                [by_status.get(s.value, 0) for s in statuses],
                [filters.cases_url(MINE, ("status", s.value), dated=None) for s in statuses],
            )
        ],
    )
    return Dashboard(
        "my-requests",
        "My requests",
        figures,
        [chart],
        recent_activity(user),
        subtitle="The requests you raised.",
    )


def recent_activity(user: AbstractBaseUser) -> list[ActivityItem]:
    """The latest things others did on my requests that I may see (no internal notes)."""
    items = []
    for event in _latest_events(user):
        number = format_number(event.case_id)
        items.append(
            ActivityItem(
                event.created_at,
                number,
                f"{reverse('cases:detail', args=[number])}?event={event.pk}#event-{event.pk}",
                describe(event),
            )
        )
    return items


def _latest_events(user: AbstractBaseUser) -> list[CaseEvent]:
    """The newest events by others (no internal notes) on my requests that I may see.

    Most requesters have a few hundred requests: their cases' events are read through the
    index (case, created_at). For someone with thousands, the newest events of everyone are
    walked instead (index (created_at, id)), a chunk at a time, keeping those on my cases: my
    requests are then a large share of all, so the first chunk or two hold the ten. Both give
    exactly the same events.
    """
    mine = cases_visible_to(user).filter(requester=user)
    events = (
        CaseEvent.objects.filter(internal=False)
        .exclude(actor=user)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    busy = mine.order_by().values("pk")[BUSY_REQUESTER_CASES : BUSY_REQUESTER_CASES + 1]
    if busy.exists():
        found = _walk_newest(events, mine)
        if found is not None:
            return found
    return list(events.filter(case__in=mine)[:ACTIVITY_ITEMS])


def _walk_newest(events: QuerySet[CaseEvent], mine: QuerySet[Case]) -> list[CaseEvent] | None:
    """The first ACTIVITY_ITEMS of `events` on `mine`, walking all events newest first;
    None after WALK_CHUNKS chunks without them (then the per-case read is the cheaper one)."""
    kept: list[tuple[int, int]] = []
    page = events.values_list("pk", "case_id", "created_at")
    for _ in range(WALK_CHUNKS):
        chunk = list(page[:WALK_CHUNK])
        on_mine = set(
            mine.filter(pk__in={case for _, case, _ in chunk}).values_list("pk", flat=True)
        )
        kept += [(pk, case) for pk, case, _ in chunk if case in on_mine]
        if len(kept) >= ACTIVITY_ITEMS or len(chunk) < WALK_CHUNK:
            ids = [pk for pk, _ in kept[:ACTIVITY_ITEMS]]
            return list(events.filter(pk__in=ids))
        last_pk, _, last_at = chunk[-1]
        page = events.filter(
            Q(created_at__lt=last_at) | Q(created_at=last_at, pk__lt=last_pk)
        ).values_list("pk", "case_id", "created_at")
    return None


def describe(event: CaseEvent) -> str:
    who = (event.actor.get_full_name() or event.actor.get_username()) if event.actor else "—"
    data = event.data or {}
    if event.kind == CaseEvent.STATUS_CHANGED:
        to = data.get("to", "")
        label = Status(to).label if to in Status.values else to
        return f"{who} changed the status to {label}"
    texts = {
        CaseEvent.COMMENTED: "commented",
        CaseEvent.OWNER_CHANGED: "changed the owner",
        CaseEvent.TEAM_MOVED: "moved the case to another team",
        CaseEvent.FIELD_CHANGED: f"changed {data.get('label', 'a field')}",
        CaseEvent.ATTACHMENT_ADDED: "added a file",
        CaseEvent.PRIORITY_CHANGED: "changed the priority",
        CaseEvent.MERGED: "merged cases",
        CaseEvent.APPROVAL_DECIDED: "decided an approval",
        CaseEvent.LINKED: "linked a case",
    }
    return f"{who} {texts.get(event.kind, event.kind.replace('.', ' ').replace('_', ' '))}"
