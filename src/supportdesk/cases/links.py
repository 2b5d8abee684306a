"""Linked cases: asking another team for help from a case, and follow-ups to closed cases.

Messages go to individuals, never to groups: a team handle (@billing) in a comment notifies
nobody. Instead the case offers "Ask <team> for help", which opens the guided request for
that team as a child case of this one (`Case.parent`). A requester whose case was closed too
long ago to reopen is offered "Request a follow-up" instead: the same, linked to the closed
case. Who may do either is `policy.may_ask_for_help` / `policy.may_follow_up`; the child is
created by `services.submit_case(parent=…)`, which writes `case.linked` on both cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import slugify

from supportdesk.cases.models import Case, Priority, RequestDraft, Status
from supportdesk.cases.policy import (
    Action,
    link_refusal,
    may_ask_for_help,
    may_follow_up,
    may_link_from,
)
from supportdesk.cases.queries import cases_visible_to
from supportdesk.cases.services import LinkNotAllowed
from supportdesk.catalog.models import NO_RECORD
from supportdesk.people.models import Team

TEAM_SUGGESTIONS = 4
ASK_LABEL = "Ask another team for help…"
FOLLOW_UP_LABEL = "Request a follow-up…"


def case_kind(case: Case) -> str:
    """The kind of record requests linked to `case` are for (no record: NO_RECORD)."""
    if case.record_id is None:
        return NO_RECORD
    return case.record.kind


def teams_offered(kind: str) -> list[Team]:
    """Active teams that take requests for this kind of record, in the wizard's order."""
    return list(
        Team.objects.filter(is_active=True, request_types__kind=kind, request_types__is_active=True)
        .distinct()
        .order_by("position", "name")
    )


def team_handles(team: Team) -> list[str]:
    """What may follow "@" to name the team: its slug and its aliases, slugified."""
    return list(dict.fromkeys([team.slug, *(slugify(a) for a in team.aliases or [])]))


def ask_url(case: Case, team: Team | None = None) -> str:
    url = reverse("cases:ask_for_help", args=[case.number])
    return f"{url}?{urlencode({'team': team.slug})}" if team is not None else url


def linked_subject(parent: Case) -> str:
    """The subject a linked request starts with (the requester may change it)."""
    what = "Follow-up to" if parent.status == Status.CLOSED else "Help with"
    return f"{what} case {parent.number}: {parent.subject}"[:300]


# ---- starting the guided request -------------------------------------------------------------


def start_linked_draft(
    user: AbstractBaseUser, parent: Case, *, team: Team | None = None
) -> RequestDraft:
    """The user's unsubmitted linked request from `parent` (or a new one), on the parent's
    record, with its subject filled in; `team` presets the team step."""
    if not may_link_from(user, parent):
        raise LinkNotAllowed(link_refusal(user, parent))
    draft = (
        RequestDraft.objects.filter(user=user, parent=parent, case__isnull=True)
        .order_by("-updated_at")
        .first()
    )
    if draft is None:
        common = {"priority": Priority.MEDIUM, "subject": linked_subject(parent)}
        draft = RequestDraft.objects.create(
            user=user,
            record_id=parent.record_id,
            parent=parent,
            data={"common": common, "answers": {}},
        )
    if team is not None and draft.team_id != team.pk:
        draft.team = team
        draft.save(update_fields=["team", "updated_at"])
    return draft


# ---- the case page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedCase:
    case: Case
    relation: str  # "parent" | "child"
    visible: bool  # the viewer may open it; otherwise only its number, team and status show


@dataclass(frozen=True)
class LinkPanel:
    """The case page's "Linked cases" list and the actions that raise a linked case."""

    cases: list[LinkedCase] = field(default_factory=list)
    primary: list = field(default_factory=list)  # display.page.ActionLink
    menu: list = field(default_factory=list)
    ask_url: str = ""
    follow_up_url: str = ""

    @property
    def open_children(self) -> int:
        return sum(
            1 for c in self.cases if c.relation == "child" and c.case.status != Status.CLOSED
        )


def link_panel(user: AbstractBaseUser, case: Case, allowed: set[Action]) -> LinkPanel:
    """Parent and children of `case` (one query, however many) and the link actions."""
    from supportdesk.cases.display.page import ActionLink  # display.page shows this panel

    ask = may_ask_for_help(user, case, allowed)
    follow_up = not ask and may_follow_up(user, case)
    ask_link = ask_url(case) if ask else ""
    follow_link = reverse("cases:follow_up", args=[case.number]) if follow_up else ""
    primary, menu = [], []
    if ask:
        menu.append(ActionLink("ask_for_help", ASK_LABEL, ask_link, False))
    if follow_up:
        primary.append(ActionLink("follow_up", FOLLOW_UP_LABEL.rstrip("…"), follow_link, False))
    return LinkPanel(linked_cases(user, case), primary, menu, ask_link, follow_link)


def linked_cases(user: AbstractBaseUser, case: Case) -> list[LinkedCase]:
    """The parent first, then the children oldest first; hidden ones are marked. One query,
    and none for a case that has neither (most cases)."""
    if case.parent_id is None and not case.child_count:
        return []
    where = Q(parent_id=case.pk) | Q(pk=case.parent_id) if case.parent_id else Q(parent_id=case.pk)
    rows = Case.objects.filter(where).select_related("team", "owner").order_by("created_at", "id")
    if not user.is_staff:
        rows = rows.annotate(visible=Exists(cases_visible_to(user).filter(pk=OuterRef("pk"))))
    found = [
        LinkedCase(row, "parent" if row.pk == case.parent_id else "child", _visible(row, user))
        for row in rows
    ]
    return sorted(found, key=lambda link: link.relation != "parent")


def _visible(row: Case, user: AbstractBaseUser) -> bool:
    return bool(user.is_staff or getattr(row, "visible", False))


# ---- team handles in the composer ------------------------------------------------------------


@dataclass(frozen=True)
class TeamSuggestion:
    team: Team
    handle: str
    url: str


def team_suggestions(user: AbstractBaseUser, case: Case, prefix: str) -> list[TeamSuggestion]:
    """ "Ask <team> for help" for teams whose handle starts with `prefix` (none when the user
    may not ask for help on this case)."""
    prefix = prefix.strip().lstrip("@").lower()
    if not prefix or not may_ask_for_help(user, case):
        return []
    found = []
    for team in teams_offered(case_kind(case)):
        handle = next((h for h in team_handles(team) if h.startswith(prefix)), None)
        if handle is not None:
            found.append(TeamSuggestion(team, handle, ask_url(case, team)))
    return found[:TEAM_SUGGESTIONS]


def team_handle_notices(user: AbstractBaseUser, case: Case, handles: list[str]) -> list[SafeString]:
    """What to tell someone whose comment named teams: nobody was notified; ask them instead."""
    if not handles:
        return []
    teams = {t.slug: t for t in Team.objects.filter(slug__in=handles)}
    can_ask = may_ask_for_help(user, case)
    offered = {t.pk for t in teams_offered(case_kind(case))} if can_ask and teams else set()
    notices = []
    for handle in handles:
        if (team := teams.get(handle)) is None:
            continue
        notice = format_html(
            "@{} is a team — messages go to individuals, so nobody was notified.", handle
        )
        if team.pk in offered:
            notice = format_html(
                '{} <a href="{}">Ask {} for help</a>: a request to them, linked to this case.',
                notice,
                ask_url(case, team),
                team.name,
            )
        notices.append(notice)
    return notices
