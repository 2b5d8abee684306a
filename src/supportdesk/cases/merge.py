"""Merging a duplicate case into its master (issue 6).

An agent or lead of the duplicate's team (or an admin) closes the duplicate with the
resolution "Duplicate", pointing at a master they can see that is still open — the master may
belong to another team. In one transaction, with both rows locked (lower id first, so two
agents merging the same pair in opposite directions queue instead of deadlocking):

- the duplicate gets `duplicate_of` = master and closes through the ordinary status change
  (`actions._set_status`, so the SLA clock and `closed_at` behave as for any close);
- its requester and watchers become watchers of the master (reason "merged"), so they can see
  and follow it;
- its files are **copied** to the master: new `Attachment` rows pointing at the same stored
  file (stored files are never deleted, only hidden with `removed_at`). Copying, not
  re-pointing, keeps the duplicate's own feed and file links whole and lets each case hide its
  copy on its own. Removed files are not copied, nor files of internal notes (they would lose
  their "team only" guard on the master; they stay on the duplicate, for its team);
- both feeds get a `case.merged` event (`from`, `into`, `reason`, the watchers added and the
  files copied);
- the duplicate's requester and watchers are told, with a link to the master; the master's
  owner and watchers are told too.

Reopening a merged duplicate is allowed like reopening any closed case (the same policy): it
undoes the link (`duplicate_of` is cleared, in `actions._set_status`, and the reopen event
says so), while the watchers and file copies the master gained stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from supportdesk.cases.actions import (
    ActionInvalid,
    _event,
    _lock,
    _name,
    _required_text,
    _save,
    _set_status,
    _watch,
    _watchers,
)
from supportdesk.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Resolution,
    Status,
    format_number,
    parse_number,
)
from supportdesk.cases.policy import Action
from supportdesk.cases.queries import can_see_case, cases_visible_to
from supportdesk.notify.services import notify

MERGED = "merged"  # the reason recorded on the watchers a merge adds


@transaction.atomic
def merge_case(
    duplicate: Case,
    *,
    into: Case | str,
    agent: AbstractBaseUser,
    reason: str,
    version: int | None = None,
) -> Case:
    """Close `duplicate` as a duplicate of `into` (a case or its number); the closed duplicate.

    Refusals: ActionNotAllowed when the agent may not merge the duplicate now (not of its team,
    or it is closed); ActionInvalid naming `into` (no such case the agent can see, the same
    case, a closed case, a case that is itself a duplicate of this one) or `reason`.
    """
    master_pk = into.pk if isinstance(into, Case) else parse_number(str(into or ""))
    lock_pair(duplicate.pk, master_pk)
    duplicate = _lock(duplicate, agent, Action.MERGE, version)
    errors: dict[str, list[str]] = {}
    try:
        reason = _required_text(reason, "reason", "Say why this case is a duplicate.")
    except ActionInvalid as invalid:
        errors.update(invalid.errors)
    typed = into.number if isinstance(into, Case) else str(into or "")
    master = _master(agent, duplicate, master_pk, typed)
    if isinstance(master, str):
        errors["into"] = [master]
    if errors:
        raise ActionInvalid(errors)
    return _merge(duplicate, master, agent, reason)


def lock_pair(first: int, second: int | None) -> None:
    """Lock both case rows for this transaction, the lower id first (a missing one is skipped)."""
    for pk in sorted({first, second} - {None}):
        Case.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).first()


def _master(agent: AbstractBaseUser, duplicate: Case, pk: int | None, typed: str) -> Case | str:
    """The master, read after its row was locked, or why it cannot be one."""
    typed = typed.strip()[:30]  # echoed in the message
    if not typed:
        return "Enter the number of the case this one duplicates."
    master = None
    if pk is not None:
        related = ("team", "owner", "requester")
        master = Case.objects.select_related(*related).filter(pk=pk).first()
    if master is None or not can_see_case(agent, master):
        return f"There is no case {typed} that you can see."  # missing or hidden: the same
    if master.pk == duplicate.pk:
        return "Choose another case: a case cannot be merged into itself."
    if master.status == Status.CLOSED:
        if master.duplicate_of_id:
            target = format_number(master.duplicate_of_id)
            return f"Case {master.number} was merged into case {target}: merge into that one."
        return f"Case {master.number} is closed: merge into an open case, or reopen it first."
    if _duplicates_back(master, duplicate):
        return f"Case {master.number} is a duplicate of this case: merge it into this one instead."
    return master


def _duplicates_back(master: Case, duplicate: Case) -> bool:
    """Whether following `duplicate_of` from the master leads back to the duplicate."""
    seen, pk = {master.pk}, master.duplicate_of_id
    while pk is not None and pk not in seen:
        if pk == duplicate.pk:
            return True
        seen.add(pk)
        pk = Case.objects.filter(pk=pk).values_list("duplicate_of_id", flat=True).first()
    return False


def _merge(duplicate: Case, master: Case, agent: AbstractBaseUser, reason: str) -> Case:
    people = [duplicate.requester, *_watchers(duplicate)]
    followers = list({user.pk: user for user in people}.values())
    added = [
        user.get_username()
        for user in followers
        if user.is_active
        and user.pk != master.requester_id
        and _watch(master, user, added_by=agent, reason=MERGED)
    ]
    files = _copy_files(duplicate, master)
    data = {
        "from": duplicate.number,
        "into": master.number,
        "reason": reason,
        "watchers": added,
        "files": [a.name for a in files],
    }
    _event(duplicate, CaseEvent.MERGED, agent, **data)
    master_event = _event(master, CaseEvent.MERGED, agent, **data)
    note = f"Merged into case {master.number}: {reason}"
    duplicate.duplicate_of = master
    duplicate.resolution, duplicate.resolution_note = Resolution.DUPLICATE, note
    _set_status(
        duplicate,
        agent,
        Status.CLOSED,
        also=["duplicate_of"],
        resolution=Resolution.DUPLICATE,
        note=note,
    )
    _save(master)
    _merge_notices(duplicate, master, agent, reason, followers, master_event)
    return duplicate


def _copy_files(duplicate: Case, master: Case) -> list[Attachment]:
    """The duplicate's current, non-internal files, as new rows on the master (same stored
    file); files the master already holds are not copied again."""
    held = set(master.attachments.values_list("file", flat=True))
    files = (
        duplicate.attachments.filter(removed_at__isnull=True)
        .filter(Q(event__isnull=True) | Q(event__internal=False))
        .exclude(file__in=held)
        .order_by("created_at", "id")
    )
    return Attachment.objects.bulk_create(
        Attachment(
            case=master,
            file=a.file.name,
            name=a.name,
            size=a.size,
            content_type=a.content_type,
            uploaded_by_id=a.uploaded_by_id,
            created_at=a.created_at,
        )
        for a in files
    )


def _merge_notices(
    duplicate: Case,
    master: Case,
    agent: AbstractBaseUser,
    reason: str,
    followers: list[AbstractBaseUser],
    event: CaseEvent,
) -> None:
    """Both sides hear of it; every link goes to the master's feed, where the work goes on."""
    title = f"Case {duplicate.number} was merged into case {master.number}"
    notify(
        followers,
        kind="case.merged",
        case=master,
        title=title,
        body=f"{reason}\n\nThe work goes on in case {master.number}: follow it there.",
        actor=agent,
        event=event,
    )
    told = {u.pk for u in followers}
    audience = [master.owner, *_watchers(master)]
    notify(
        [u for u in audience if u is not None and u.pk not in told],
        kind="case.merged",
        case=master,
        title=title,
        body=f"{_name(agent)}: {reason}\n\n{duplicate.number}: {duplicate.subject}",
        actor=agent,
        event=event,
    )


# ---- the case page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MergedCase:
    case: Case
    visible: bool  # the viewer may open it


@dataclass(frozen=True)
class MergePanel:
    master: MergedCase | None  # the case this one was merged into
    duplicates: list[MergedCase]  # the cases merged into this one, oldest merge first


def merge_panel(user: AbstractBaseUser, case: Case) -> MergePanel:
    """The master of `case` and its merged duplicates, with whether the user may open each:
    one query, and none for a case `case_for` found without merges (most cases)."""
    if not case.duplicate_of_id and not getattr(case, "has_duplicates", True):
        return MergePanel(None, [])
    where = Q(duplicate_of_id=case.pk)
    if case.duplicate_of_id:
        where |= Q(pk=case.duplicate_of_id)
    rows = Case.objects.filter(where).select_related("team").order_by("closed_at", "id")
    if not user.is_staff:
        rows = rows.annotate(visible=Exists(cases_visible_to(user).filter(pk=OuterRef("pk"))))
    found = [MergedCase(row, bool(user.is_staff or getattr(row, "visible", False))) for row in rows]
    master = next((m for m in found if m.case.pk == case.duplicate_of_id), None)
    return MergePanel(master, [m for m in found if m.case.pk != case.duplicate_of_id])
