"""Writing the search index: each case's document, rebuilt from the rows it is made of.

A document holds the case number (padded and plain), subject, description, public comments,
the record's name and external id, the requester's name and username, and — apart, so that
only the owning team and admins can match them (`search.queries`) — internal notes' text.

Kept in sync by explicit calls in the services that change those rows, inside their
transaction (a rolled-back comment is never findable): `submit_case`, `edit_case`, every
comment (`actions._comment_event`: comments, internal notes, questions), `record_upsert` on a
rename and `user_upsert` on a new name. Explicit calls rather than signals: the call sites are
few, bulk `update()`s would bypass signals anyway, and a reader of a service sees what it
writes. Writes outside the services (the admin, raw SQL, bench data) are repaired with
`supportdesk search_reindex`.

Set-based: one statement builds the documents of any set of cases (a queryset), so a record
rename re-indexes its cases in one go and a bulk load indexes a million cases in one pass.

Beside the text, each document holds who reaches the case other than through a team
(`ACCESS`): a token `u<user id>` for its requester, its watchers, its record's owner and the
users the record is shared with for editing — the access rule's terms for someone in no team
(`cases.queries`). A broad search by such a user asks the index for the words and their own
token together, so it reads their matching cases only, not every match. These tokens change
with rows no search service writes (watchers, shares, record owners), so triggers keep them,
in the same transaction, whoever writes (migration search/0003). Nobody's words match them:
searches name the text columns (SQLite), or they sit in a column of their own (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import QuerySet

from supportdesk.cases.models import Case, CaseEvent
from supportdesk.records.models import Record

TABLE = "search_case_index"
SQLITE_COLUMNS = ("number", "subject", "description", "comments", "record", "requester", "notes")
CONFIG = "english"
ACCESS = "access"  # the column of the users' tokens (SQLite: after SQLITE_COLUMNS)


def access_token(user_id: int) -> str:
    return f"u{user_id}"


def access_text(case: str, *, agg: str) -> str:
    """SQL: the access tokens of the case row aliased `case`, space-separated (`agg`: the
    database's string aggregate, `group_concat` or `string_agg`). Mirrors the terms of
    `cases.queries` that need no team: requester, watcher, record owner, edit share."""
    return (
        f"'u' || {case}.requester_id"  # noqa: S608 -- fixed SQL
        " || COALESCE((SELECT ' u' || r.owner_id FROM records_record r"
        f" WHERE r.id = {case}.record_id AND r.owner_id IS NOT NULL), '')"
        f" || COALESCE((SELECT ' ' || {agg}('u' || w.user_id, ' ') FROM cases_casewatcher w"
        f" WHERE w.case_id = {case}.id), '')"
        f" || COALESCE((SELECT ' ' || {agg}('u' || s.user_id, ' ') FROM records_recordshare s"
        f" WHERE s.record_id = {case}.record_id AND s.level = 'edit'"
        " AND s.user_id IS NOT NULL), '')"
    )


def sqlite_access(case: str) -> str:
    return access_text(case, agg="group_concat")


def postgresql_access(case: str) -> str:
    return f"to_tsvector('simple', {access_text(case, agg='string_agg')})"


def _tables() -> dict[str, str]:
    return {
        "case": Case._meta.db_table,
        "event": CaseEvent._meta.db_table,
        "record": Record._meta.db_table,
        "user": get_user_model()._meta.db_table,
        "commented": CaseEvent.COMMENTED,
    }


def _sqlite(ids: str) -> list[str]:
    t = _tables()
    comments = (
        "COALESCE((SELECT group_concat(json_extract(e.data, '$.body'), char(10)) "  # noqa: S608 -- fixed SQL; values are parameters
        f"FROM {t['event']} e WHERE e.case_id = c.id AND e.kind = '{t['commented']}' "
        "AND e.internal = {internal}), '')"
    )
    return [
        f"DELETE FROM {TABLE} WHERE rowid IN ({ids})",  # noqa: S608
        f"INSERT INTO {TABLE} (rowid, {', '.join(SQLITE_COLUMNS)}, {ACCESS}) "  # noqa: S608
        "SELECT c.id, printf('%%08d %%d', c.id, c.id), c.subject, c.description, "
        f"{comments.format(internal=0)}, "
        "COALESCE(r.name || ' ' || r.external_id, ''), "
        "u.first_name || ' ' || u.last_name || ' ' || u.username, "
        f"{comments.format(internal=1)}, {sqlite_access('c')} "
        f"FROM {t['case']} c LEFT JOIN {t['record']} r ON r.id = c.record_id "
        f"JOIN {t['user']} u ON u.id = c.requester_id WHERE c.id IN ({ids})",
    ]


def _postgresql(ids: str) -> list[str]:
    t = _tables()

    def vector(text: str, weight: str) -> str:
        return f"setweight(to_tsvector('{CONFIG}', {text}), '{weight}')"

    comments = (
        "COALESCE((SELECT string_agg(e.data ->> 'body', E'\\n') "  # noqa: S608
        f"FROM {t['event']} e WHERE e.case_id = c.id AND e.kind = '{t['commented']}' "
        "AND e.internal = {internal}), '')"
    )
    number = "c.id::text || ' ' || CASE WHEN c.id < 100000000 THEN lpad(c.id::text, 8, '0') END"
    document = " || ".join(
        (
            vector(f"COALESCE({number}, c.id::text)", "A"),
            vector("c.subject", "A"),
            vector("COALESCE(r.name || ' ' || r.external_id, '')", "B"),
            vector("concat_ws(' ', u.first_name, u.last_name, u.username)", "B"),
            vector("c.description", "C"),
            vector(comments.format(internal="false"), "D"),
        )
    )
    return [
        f"INSERT INTO {TABLE} (rowid, document, everything, {ACCESS}) "  # noqa: S608
        "SELECT id, document, document || notes, access FROM ("
        f"SELECT c.id, {document} AS document, "
        f"{vector(comments.format(internal='true'), 'D')} AS notes, "
        f"{postgresql_access('c')} AS access "
        f"FROM {t['case']} c LEFT JOIN {t['record']} r ON r.id = c.record_id "
        f"JOIN {t['user']} u ON u.id = c.requester_id WHERE c.id IN ({ids})) d "
        "ON CONFLICT (rowid) DO UPDATE SET document = EXCLUDED.document, "
        f"everything = EXCLUDED.everything, {ACCESS} = EXCLUDED.{ACCESS}"
    ]


IDS = "__case_ids__"  # where the statements take the ids' subquery (and its parameters)


def _run(using: str, ids: str, params: Sequence) -> None:
    connection = connections[using]
    statements = _sqlite(IDS) if connection.vendor == "sqlite" else _postgresql(IDS)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.replace(IDS, ids), [*params] * statement.count(IDS))


def index_cases(cases: QuerySet[Case]) -> None:
    """(Re)build the documents of these cases, in the caller's transaction."""
    ids, params = cases.order_by().values("pk").query.sql_with_params()
    _run(cases.db, ids, params)


def index_case(case_id: int, *, using: str = "default") -> None:
    """(Re)build one case's document (after a submit, an edit or a comment)."""
    _run(using, "%s", [case_id])
