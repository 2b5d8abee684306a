"""The Pending Response loop with fields: the team asks the requester to fill in chosen fields
of the case's request type, the requester answers in a small form with exactly those fields,
and the case goes back to Work in Progress. Every ask is a round trip, counted on the case
(`Case.info_requests`), so reports can show which request types need more information.

`ask_requester` and `move_case` (cases.actions) ask; this module says what can be asked, which
request is open, takes the answer, and sums the round trips up for the reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum

from supportdesk.cases.actions import (
    COMMENT_MAX,
    ActionInvalid,
    ActionNotAllowed,
    _comment_event,
    _event,
    _lock,
    _name,
    _record_field_changes,
    _set_status,
    _team_members,
    _watchers,
)
from supportdesk.cases.models import Case, CaseEvent, Status
from supportdesk.cases.policy import Action
from supportdesk.catalog.models import effective_fields
from supportdesk.catalog.schema import AnswersInvalid, clean_answers
from supportdesk.notify.services import notify

# ---- asking ------------------------------------------------------------------------------


def askable_fields(case: Case) -> list[dict]:
    """The fields of the case's request type the requester can be asked to fill in: all but
    files (files come as attachments; ask for them in the question)."""
    return [d for d in effective_fields(case.request_type, case.sub_request) if d["type"] != "file"]


def _empty(value: Any) -> bool:
    return value in (None, "", [])


def ask_field_choices(case: Case) -> tuple[list[tuple[str, str]], list[str]]:
    """The askable fields as (name, label) choices, and the required ones still unanswered."""
    details, fields = case.details or {}, askable_fields(case)
    missing = [d["name"] for d in fields if d["required"] and _empty(details.get(d["name"]))]
    choices = [
        (d["name"], d["label"] + (" — required, not answered yet" if d["name"] in missing else ""))
        for d in fields
    ]
    return choices, missing


@dataclass(frozen=True)
class Ask:
    """What `ask_requester` writes: the question's text, the fields it names (event data) and
    the text of the requester's notification."""

    body: str
    data: dict[str, list[str]]
    notice: str


def prepare_ask(case: Case, question: str, names: Sequence[str]) -> Ask:
    """Check a question and the fields asked for; every problem in one ActionInvalid.

    The question is required unless fields were chosen: then it defaults to naming them.
    """
    question = (question or "").strip()
    all_fields = {d["name"]: d for d in effective_fields(case.request_type, case.sub_request)}
    wanted = list(dict.fromkeys(str(n).strip() for n in names if str(n).strip()))
    errors: dict[str, list[str]] = {}
    unknown = [n for n in wanted if n not in all_fields]
    known = [all_fields[n] for n in wanted if n in all_fields]
    files = [d["label"] for d in known if d["type"] == "file"]
    if unknown:
        listed = ", ".join(f"“{n}”" for n in unknown)
        errors["fields"] = [f"This request type has no field {listed}."]
    if files:
        errors.setdefault("fields", []).append(
            "Files cannot be asked for as fields ("
            + ", ".join(files)
            + "): ask for them in the question; the requester attaches them."
        )
    if not question and not wanted:
        errors["question"] = [
            "Say what you need from the requester, or choose fields for them to fill in."
        ]
    elif len(question) > COMMENT_MAX:
        errors["question"] = [f"Keep it under {COMMENT_MAX} characters."]
    if errors:
        raise ActionInvalid(errors)
    asked = [d for d in all_fields.values() if d["name"] in wanted or _depends(d, wanted)]
    if not asked:
        return Ask(question, {}, question)
    labels = [d["label"] for d in asked]
    fill_in = "Please fill in: " + ", ".join(labels) + "."
    data = {"fields": [d["name"] for d in asked], "field_labels": labels}
    return Ask(question or fill_in, data, f"{question}\n\n{fill_in}" if question else fill_in)


def _depends(definition: Mapping[str, Any], names: Sequence[str]) -> bool:
    """A field whose requirement depends on a field asked for comes along (not a file): the
    answer may make it required."""
    condition = definition.get("required_if") or {}
    return definition["type"] != "file" and condition.get("field") in names


# ---- the open request --------------------------------------------------------------------


@dataclass(frozen=True)
class InfoRequest:
    """The fields a Pending Response case waits on, as the answer form shows them."""

    event_id: int  # the question (comment.added) or the move (case.team_moved) that asked
    asked_by: AbstractBaseUser | None
    question: str
    definitions: list[dict]  # asked fields of the current schema, as the answer form has them

    @property
    def names(self) -> list[str]:
        return [d["name"] for d in self.definitions]

    @property
    def labels(self) -> list[str]:
        return [d["label"] for d in self.definitions]


def _to_answer(definition: Mapping[str, Any]) -> dict:
    """Asked for, so required; but a conditional field keeps its condition, and a checkbox its
    own rule ("required" would mean "must be ticked")."""
    keep = definition["type"] == "checkbox" or definition.get("required_if")
    return {**definition, "required": bool(definition.get("required")) if keep else True}


ASKING = Q(kind=CaseEvent.COMMENTED, data__question=True) | Q(kind=CaseEvent.TEAM_MOVED)
_CACHE = "_info_request"


def open_info_request(case: Case) -> InfoRequest | None:
    """The fields the requester was asked to fill in, while the case waits on them.

    The request is the latest question or move, if it named fields. A case that is not
    Pending Response waits on nothing and costs no query; lists prime many cases in one
    (`prime_info_requests`).
    """
    if case.status != Status.PENDING_RESPONSE:  # also after answering: the cache is stale
        return None
    if _CACHE not in case.__dict__:
        prime_info_requests([case])
    return case.__dict__[_CACHE]


def prime_info_requests(cases: Iterable[Case]) -> None:
    """Find the open requests of many cases in one query (none when none is pending)."""
    cases = list(cases)
    pending = {c.pk: c for c in cases if c.status == Status.PENDING_RESPONSE}
    latest: dict[int, CaseEvent] = {}
    if pending:
        asking = (
            CaseEvent.objects.filter(ASKING, case_id__in=list(pending), internal=False)
            .select_related("actor")
            .order_by("-pk")
        )
        for event in asking:
            latest.setdefault(event.case_id, event)
    for case in cases:
        event = latest.get(case.pk)
        case.__dict__[_CACHE] = _request(case, event) if event is not None else None


def _request(case: Case, asking: CaseEvent) -> InfoRequest | None:
    names = asking.data.get("fields") or []
    by_name = {d["name"]: d for d in askable_fields(case)} if names else {}
    definitions = [_to_answer(by_name[n]) for n in names if n in by_name]
    if not definitions:  # a plain question, or the catalog dropped the fields meanwhile
        return None
    question = asking.data.get("body", "") if asking.kind == CaseEvent.COMMENTED else ""
    return InfoRequest(asking.pk, asking.actor, question, definitions)


# ---- answering ---------------------------------------------------------------------------


def _clean(case: Case, request: InfoRequest, answers: Mapping[str, Any]) -> tuple[dict, dict]:
    """The asked fields' new answers (current ones where none is given), and the errors.

    A `required_if` may name a field that was not asked for: its current answer decides.
    """
    asked = set(request.names)
    errors = {f"answers.{k}": ["This field was not asked for."] for k in answers if k not in asked}
    by_name = {d["name"]: d for d in askable_fields(case)}
    conditions = {
        c["field"] for d in request.definitions if (c := d.get("required_if")) and c.get("field")
    }
    context = [n for n in conditions - asked if n in by_name]
    definitions = request.definitions + [
        {**by_name[n], "required": False, "required_if": None} for n in context
    ]
    details = case.details or {}
    data = {n: details[n] for n in [*context, *request.names] if n in details}
    data |= {k: v for k, v in answers.items() if k in asked}
    try:
        cleaned = clean_answers(definitions, data, strict=False)
    except AnswersInvalid as invalid:
        errors |= {f"answers.{k}": v for k, v in invalid.errors.items()}
        cleaned = {}
    return {k: v for k, v in cleaned.items() if k in asked}, errors


@transaction.atomic
def answer_info_request(
    case: Case,
    *,
    requester: AbstractBaseUser,
    answers: Mapping[str, Any],
    comment: str = "",
    version: int | None = None,
) -> Case:
    """The requester fills in the fields the team asked for, with an optional comment.

    One `case.field_changed` per changed answer, the comment, a `case.info_answered` event and
    the status back to Work in Progress; the owner (or the team's queue) and the watchers are
    told. All or nothing: any wrong answer changes nothing.
    """
    case = _lock(case, requester, Action.COMMENT, version)
    if requester.pk != case.requester_id:
        raise ActionNotAllowed(
            f"Only the requester can answer the team's request on case {case.number}."
        )
    request = open_info_request(case)
    if request is None:
        raise ActionNotAllowed(f"Case {case.number} is not waiting for details from you.")
    cleaned, errors = _clean(case, request, answers or {})
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [f"Keep it under {COMMENT_MAX} characters."]
    if errors:
        raise ActionInvalid(errors)
    new_details = {**(case.details or {}), **cleaned}
    changed = _record_field_changes(case, requester, {}, new_details, request.definitions)
    case.details = new_details
    reply, mentioned = (None, [])
    if comment:
        reply, mentioned = _comment_event(case, requester, comment, internal=False)
    answered = _event(
        case,
        CaseEvent.INFO_ANSWERED,
        requester,
        request=request.event_id,
        fields=request.names,
        field_labels=request.labels,
        changed=changed,
        comment=reply.pk if reply else None,
    )
    _set_status(case, requester, Status.WORK_IN_PROGRESS, also=["details"], reply=answered.pk)
    _answer_notices(case, requester, request, comment, mentioned, answered)
    return case


def _answer_notices(
    case: Case,
    requester: AbstractBaseUser,
    request: InfoRequest,
    comment: str,
    mentioned: list[AbstractBaseUser],
    event: CaseEvent,
) -> None:
    audience = [case.owner] if case.owner is not None else _team_members(case)
    audience += _watchers(case)
    body = "Filled in: " + ", ".join(request.labels) + "."
    if comment:
        body += f"\n\n{comment[:300]}"
    notify(
        audience,
        kind="case.info_answered",
        case=case,
        title=f"{_name(requester)} answered the request for details on case {case.number}",
        body=body,
        actor=requester,
        event=event,
    )
    already = {u.pk for u in audience if u is not None}
    notify(
        [u for u in mentioned if u.pk not in already],
        kind="case.mentioned",
        case=case,
        title=f"{_name(requester)} mentioned you on case {case.number}",
        body=comment[:300],
        actor=requester,
        event=event,
    )


# ---- reports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InfoRequestRate:
    """How often cases of one request type needed more information from their requester."""

    request_type_id: int
    team: str
    request_type: str  # its name, as in the catalog
    cases: int
    cases_asked: int  # cases with at least one round trip
    round_trips: int

    @property
    def rate(self) -> float:
        """Share of the cases that needed more information, 0 to 1."""
        return self.cases_asked / self.cases if self.cases else 0.0

    @property
    def avg_round_trips(self) -> float:
        """Round trips per case (over all the type's cases, asked or not)."""
        return self.round_trips / self.cases if self.cases else 0.0


def info_request_rate_by_request_type(cases_qs: QuerySet[Case]) -> list[InfoRequestRate]:
    """For the cases given (any filtered, access-checked queryset), one row per request type:
    cases, cases with at least one round trip, the rate and the average round trips; highest
    rate first. One query."""
    rows = (
        Case.objects.filter(pk__in=cases_qs.order_by().values("pk"))  # joins cannot double-count
        .values("request_type_id", "request_type__name", "request_type__team__name")
        .annotate(
            n=Count("pk"),
            asked=Count("pk", filter=Q(info_requests__gte=1)),
            trips=Sum("info_requests"),
        )
        .order_by()
    )
    result = [
        InfoRequestRate(
            r["request_type_id"],
            r["request_type__team__name"],
            r["request_type__name"],
            r["n"],
            r["asked"],
            r["trips"] or 0,
        )
        for r in rows
    ]
    return sorted(result, key=lambda r: (-r.rate, r.team, r.request_type))
