"""Possible duplicates of a request before it is submitted (the wizard's review step, the API).

Two checks, both over open cases only:

- the same request: open cases on the same record for the same team, request type and
  sub-request — a duplicate by the catalog's own definition, whatever the wording;
- similar text: open cases on the same account (the record's account, or the record itself
  when it is an account: every case on the account's records) whose subject and description
  read alike. The search index finds the cases sharing words with the new request
  (`_text_matches`, any word); `cases.similarity` scores them and those at or
  above SIMILARITY_THRESHOLD (tuned by bench/duplicates.py) are shown.

What a requester is shown: only cases they may see (`cases_visible_to`). A request is made
from a record the requester may edit, which already lets them see every case on that record,
so the same-request check loses nothing; cases on the account's other records show only when
the requester may see them (own, watched, their team's, or a record they may edit) — a
duplicate on a record they cannot see is never revealed, not even its number.

Linked requests (asking another team for help from a case) are not checked: they are raised
on purpose next to a case the requester already knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from supportdesk.cases.models import OPEN_STATUSES, Case
from supportdesk.cases.queries import cases_visible_to
from supportdesk.cases.services import CaseError, SubmissionInvalid
from supportdesk.cases.similarity import similarity, terms, words
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.records.models import ACCOUNT_KINDS, Record
from supportdesk.search.documents import CONFIG, TABLE

SIMILARITY_THRESHOLD = 0.25  # bench/duplicates.py: recall and precision around it
SAME_REQUEST = "Same record, team and request type"
QUERY_WORDS = 32  # words of the new request sent to the search index
TEXT_POOL = 40  # text matches scored in Python (in the submit's transaction)
REASON_REQUIRED = "Say why this is not a duplicate."


@dataclass(frozen=True)
class Candidate:
    """An open case the new request may duplicate, and why it was picked."""

    case: Case
    reasons: tuple[str, ...]
    similarity: float

    @property
    def number(self) -> str:
        return self.case.number

    @property
    def same_request(self) -> bool:
        return SAME_REQUEST in self.reasons

    def as_json(self) -> dict[str, Any]:
        case = self.case
        return {
            "number": case.number,
            "subject": case.subject,
            "status": case.get_status_display(),
            "owner": case.owner.get_username() if case.owner_id else None,
            "team": case.team.name,
            "reasons": list(self.reasons),
            "url": settings.SITE_URL + case.get_absolute_url(),
        }


class PossibleDuplicates(CaseError):
    """Open cases look like this request: the requester must choose (add to one, or say why
    it is not a duplicate)."""

    def __init__(self, candidates: list[Candidate]) -> None:
        numbers = ", ".join(c.number for c in candidates)
        super().__init__(f"This request may duplicate open case(s) {numbers}.")
        self.candidates = candidates


def account_of(record: Record) -> Record | None:
    """The account whose cases are compared with a request on `record` (None: none)."""
    if record.kind in ACCOUNT_KINDS:
        return record
    return record.account if record.account_id else None


def possible_duplicates(
    requester: AbstractBaseUser,
    record: Record | None,
    request_type: RequestType,
    sub_request: SubRequest | None,
    subject: str,
    description: str,
    *,
    limit: int = 5,
) -> list[Candidate]:
    """Open cases the requester may see that the request may duplicate: the same request on
    the record first (newest first), then similar text on the account (most alike first)."""
    if record is None:
        return []
    same = _same_request(record, request_type, sub_request, limit)
    new_text = f"{subject}\n{description}"
    ignore = _names(record, account_of(record), request_type.label, _label(sub_request))
    scores = {
        match.id: _score(new_text, match, ignore)
        for match in _text_matches(record, account_of(record), words(new_text))
    }
    similar = sorted(
        (i for i, score in scores.items() if score >= SIMILARITY_THRESHOLD and i not in same),
        key=lambda i: (-scores[i], -i),
    )
    if not same and not similar:
        return []
    # One query loads them and applies the access rule to all (`cases_visible_to`).
    visible = cases_visible_to(requester).filter(pk__in=[*same, *similar])
    cases = {c.pk: c for c in visible.select_related("owner", "team")}
    found = [
        Candidate(cases[i], (SAME_REQUEST, *_text_reason(scores.get(i, 0.0))), scores.get(i, 0.0))
        for i in same
        if i in cases
    ]
    found += [
        Candidate(cases[i], _text_reason(scores[i]), scores[i]) for i in similar if i in cases
    ]
    return found[:limit]


def _label(sub_request: SubRequest | None) -> str:
    return sub_request.label if sub_request is not None else ""


def _same_request(
    record: Record, request_type: RequestType, sub_request: SubRequest | None, limit: int
) -> list[int]:
    """Ids of the open cases on the record for the same team, request type and sub-request."""
    same = Case.objects.filter(
        record=record,
        status__in=OPEN_STATUSES,
        team_id=request_type.team_id,
        request_type=request_type,
        sub_request=sub_request,
    )
    return list(same.order_by("-created_at", "-id").values_list("pk", flat=True)[:limit])


def _names(record: Record, account: Record | None, *labels: str) -> list[str]:
    """Words that say nothing of the ask: the record's and account's names, which every case
    on them shares, and the request type's label, which the generated subject repeats (the
    same request is its own check)."""
    return [record.name, account.name if account is not None else "", *labels]


@dataclass(frozen=True)
class _Match:
    id: int
    subject: str
    description: str
    record_name: str
    type_label: str
    sub_label: str


def _score(new_text: str, match: _Match, ignore: list[str]) -> float:
    names = [*ignore, match.record_name, match.type_label, match.sub_label]
    mine = terms(new_text, ignore=names)
    return similarity(mine, terms(f"{match.subject}\n{match.description}", ignore=names))


def _text_reason(score: float) -> tuple[str, ...]:
    if score < SIMILARITY_THRESHOLD:
        return ()
    return (f"Similar subject and description ({round(score * 100)}% of words shared)",)


def _text_matches(record: Record, account: Record | None, found: list[str]) -> list[_Match]:
    """Open cases on the record or the account's records whose search document shares any of
    the words, with what scoring reads: at most TEXT_POOL: on PostgreSQL the best (ts_rank), on
    SQLite the newest (see below)."""
    query_words = list(dict.fromkeys(found))[:QUERY_WORDS]
    if not query_words:
        return []
    records = f"SELECT r.id FROM {_RECORD} r WHERE r.id = %s"  # noqa: S608
    scope: list[Any] = [record.pk]
    if account is not None:
        records += " OR r.id = %s OR r.account_id = %s"
        scope += [account.pk, account.pk]
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    columns = (
        "c.id, c.subject, c.description, r.name, COALESCE(NULLIF(t.display_name, ''), t.name), "
        "COALESCE(NULLIF(s.display_name, ''), s.name, '')"
    )
    joins = (
        f"JOIN {_RECORD} r ON r.id = c.record_id JOIN {_TYPE} t ON t.id = c.request_type_id "
        f"LEFT JOIN {_SUB} s ON s.id = c.sub_request_id"
    )
    where = f"c.status IN ({statuses}) AND c.record_id IN ({records})"
    if connection.vendor == "sqlite":
        match = "{subject description} : (" + " OR ".join(f'"{w}"' for w in query_words) + ")"
        # FTS5 would walk every document holding any of the words (most of a big index for
        # common ones), and bm25() reads each word's whole document list for its statistics.
        # Take the account's open cases holding a word, newest first, unranked: the check runs
        # inside the submit's transaction, so it scores at most TEXT_POOL of them.
        in_scope = f"SELECT c.id FROM {_CASE} c WHERE {where}"  # noqa: S608
        sql = (
            f"SELECT {columns} FROM {_CASE} c JOIN {TABLE} ON {TABLE}.rowid = c.id "  # noqa: S608
            f"{joins} WHERE {TABLE}.rowid IN ({in_scope}) AND {TABLE} MATCH %s "
            f"ORDER BY {TABLE}.rowid DESC LIMIT %s"
        )
        params = [*OPEN_STATUSES, *scope, match, TEXT_POOL]
    else:
        query = f"to_tsquery('{CONFIG}', %s)"
        sql = (
            f"SELECT {columns} FROM {_CASE} c JOIN {TABLE} d ON d.rowid = c.id "  # noqa: S608
            f"{joins} WHERE {where} AND d.document @@ {query} "
            f"ORDER BY ts_rank(d.document, {query}) DESC, c.id DESC LIMIT %s"
        )
        tsquery = " | ".join(query_words)
        params = [*OPEN_STATUSES, *scope, tsquery, tsquery, TEXT_POOL]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_Match(*row) for row in cursor.fetchall()]


_CASE = Case._meta.db_table
_RECORD = Record._meta.db_table
_TYPE = RequestType._meta.db_table
_SUB = SubRequest._meta.db_table


def duplicate_check(
    requester: AbstractBaseUser,
    *,
    record: Record | None,
    request_type: RequestType | None,
    sub_request: SubRequest | None,
    subject: str,
    description: str,
    confirmed: bool,
    reason: str,
) -> Callable[[], dict[str, Any]]:
    """A `before_create` for `submit_case`: refuses with PossibleDuplicates while there are
    candidates and the requester has not said why this is not a duplicate; with a reason,
    it is kept in the `case.created` event with the candidates' numbers."""

    def check() -> dict[str, Any]:
        if confirmed and not reason.strip():
            raise SubmissionInvalid({"not_duplicate_reason": [REASON_REQUIRED]})
        if request_type is None:
            return {}
        candidates = possible_duplicates(
            requester, record, request_type, sub_request, subject, description
        )
        if not candidates:
            return {}
        if not confirmed:
            raise PossibleDuplicates(candidates)
        numbers = [c.number for c in candidates]
        return {"not_duplicate": {"reason": reason.strip()[:2000], "candidates": numbers}}

    return check
