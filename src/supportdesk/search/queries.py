"""Searching cases: the words of one search box → the matching cases, best first.

`search_cases(cases, text, user=…)` narrows a queryset of cases the user may see (it never
widens it: it is applied to `lists.queries.cases_matching`) to those whose search document
matches every word, and annotates `search_rank` (an integer, higher is better, so a list can
page on it by keyset). A word that is a case number puts that case first.

Internal notes are indexed apart (`search.documents`) and match only for members of the
case's team and admins: anyone else matches, and is ranked, on the rest of the document
alone, so a note's text can neither find a case nor move it up the list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connections
from django.db.models import BigIntegerField, BooleanField, Expression, F, QuerySet, Value

from supportdesk.cases.models import Case, parse_number
from supportdesk.people.queries import team_ids_of
from supportdesk.search.documents import ACCESS, CONFIG, SQLITE_COLUMNS, TABLE, access_token

MAX_TERMS = 12
BROAD = 5_000  # more matching documents than this: newest first rather than ranked
BROAD_COUNT_CAP = 500
BROAD_BY_ESTIMATE = 20_000  # PostgreSQL's estimate of matches from which `broad` need not count
BROAD_MARK = "search_is_broad"  # an alias (never selected) on a broad search's queryset
TERM = re.compile(r'"([^"]*)"|(\S+)')
# Ranks are integers (exact in cursors): bm25/ts_rank × SCALE keeps the tiny scores of a
# small index apart (bm25 floors a term found in most documents at 1e-6); an exact case
# number adds NUMBER_BOOST, more than any text match scores.
SCALE = 10**12
NUMBER_BOOST = 10**17
# bm25 weights by SQLite column (number, subject, description, comments, record, requester,
# notes) and PostgreSQL's setweight letters in search.documents: number and subject first.
WEIGHTS = {
    "number": 10.0,
    "subject": 5.0,
    "description": 1.0,
    "comments": 1.0,
    "record": 3.0,
    "requester": 2.0,
    "notes": 1.0,
}
PUBLIC_COLUMNS = tuple(c for c in SQLITE_COLUMNS if c != "notes")


@dataclass(frozen=True)
class Terms:
    """The search box's words and "quoted phrases", each required; numbers among them."""

    items: tuple[str, ...]
    numbers: tuple[int, ...]

    def __bool__(self) -> bool:
        return bool(self.items)


def parse_terms(text: str) -> Terms:
    items: list[str] = []
    for match in TERM.finditer(text):
        term = " ".join((match.group(1) if match.group(1) is not None else match.group(2)).split())
        if re.search(r"\w", term) and term not in items:
            items.append(term)
    items = items[:MAX_TERMS]
    numbers = tuple(n for t in items if (n := parse_number(t)) is not None)
    return Terms(tuple(items), numbers)


@dataclass(frozen=True)
class Scope:
    """Whose internal notes this user may match: everyone's (admins), their teams', none."""

    all_notes: bool
    team_ids: tuple[int, ...]

    @classmethod
    def of(cls, user: AbstractBaseUser) -> Scope:
        return cls(bool(user.is_staff), () if user.is_staff else tuple(team_ids_of(user)))


def _in_teams(team: str, scope: Scope) -> tuple[str, list[int]]:
    """SQL for "the case's team (column `team`) is one of the user's teams", and its params."""
    ids = list(scope.team_ids)
    return f"{team} IN ({', '.join(['%s'] * len(ids))})", ids


def _fts5(terms: Terms, columns: tuple[str, ...] = SQLITE_COLUMNS) -> str:
    """An FTS5 query: every term as a quoted phrase (nothing in it is syntax), all required,
    in these columns (never the access tokens)."""
    phrases = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms.items)
    return f"{{{' '.join(columns)}}} : ({phrases})"


def _tsquery(terms: Terms) -> tuple[str, list[str]]:
    """A PostgreSQL tsquery: words through plainto_tsquery, phrases through phraseto_tsquery."""
    parts = [
        f"{'phraseto' if ' ' in t else 'plainto'}_tsquery('{CONFIG}', %s)" for t in terms.items
    ]
    return "(" + " && ".join(parts) + ")", list(terms.items)


class _SearchSQL(Expression):
    """SQL over a case's row and its joined search document, per database.

    Holds the document's column (which makes the join), the case's id and team columns as
    source expressions, so the ORM relabels them like any column (e.g. in subqueries).
    """

    def __init__(self, terms: Terms, scope: Scope, output_field: Any) -> None:
        super().__init__(output_field=output_field)
        self.terms, self.scope = terms, scope
        self.sources = [F("search_index__document"), F("pk"), F("team_id")]

    def get_source_expressions(self) -> list[Any]:
        return self.sources

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.sources = list(exprs)

    def resolve_expression(self, *args: Any, **kwargs: Any) -> _SearchSQL:
        copy = self.copy()
        copy.sources = [s.resolve_expression(*args, **kwargs) for s in self.sources]
        return copy

    def _parts(self, compiler: Any, connection: Any) -> tuple[str, str, str]:
        document, _ = compiler.compile(self.sources[0])
        pk, _ = compiler.compile(self.sources[1])
        team, _ = compiler.compile(self.sources[2])
        return document, pk, team

    def _teams(self, team: str) -> tuple[str, list[int]]:
        return _in_teams(team, self.scope)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        document, pk, team = self._parts(compiler, connection)
        if connection.vendor == "sqlite":
            fts = f"{document.rsplit('.', 1)[0]}.{connection.ops.quote_name(TABLE)}"
            return self.sqlite(fts, pk, team)
        index = document.rsplit(".", 1)[0]
        return self.postgresql(index, pk, team)


class Matches(_SearchSQL):
    """The case's document matches every term (in what this user may match)."""

    conditional = True

    def __init__(self, terms: Terms, scope: Scope) -> None:
        super().__init__(terms, scope, BooleanField())

    def sqlite(self, fts: str, pk: str, team: str) -> tuple[str, list[Any]]:
        if self.scope.all_notes:
            return f"{fts} MATCH %s", [_fts5(self.terms)]
        public = _fts5(self.terms, PUBLIC_COLUMNS)
        if not self.scope.team_ids:
            return f"{fts} MATCH %s", [public]
        teams, ids = self._teams(team)
        return (
            f"({fts} MATCH %s AND ({teams} OR {pk} IN "  # noqa: S608
            f"(SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s)))",
            [_fts5(self.terms), *ids, public],
        )

    def postgresql(self, index: str, pk: str, team: str) -> tuple[str, list[Any]]:
        query, params = _tsquery(self.terms)
        sql = f"{index}.everything @@ {query}"
        if self.scope.all_notes:
            return sql, params
        if not self.scope.team_ids:
            return f"({sql} AND {index}.document @@ {query})", [*params, *params]
        teams, ids = self._teams(team)
        return f"({sql} AND ({teams} OR {index}.document @@ {query}))", [*params, *ids, *params]


class Rank(_SearchSQL):
    """How well the case matches, as an integer (higher first); exact numbers on top."""

    def __init__(self, terms: Terms, scope: Scope) -> None:
        super().__init__(terms, scope, BigIntegerField())

    def _boost(self, pk: str) -> tuple[str, list[Any]]:
        if not self.terms.numbers:
            return "", []
        placeholders = ", ".join(["%s"] * len(self.terms.numbers))
        return (
            f" + CASE WHEN {pk} IN ({placeholders}) THEN {NUMBER_BOOST} ELSE 0 END",
            list(self.terms.numbers),
        )

    def sqlite(self, fts: str, pk: str, team: str) -> tuple[str, list[Any]]:
        def bm25(notes: bool) -> str:
            weights = [WEIGHTS[c] if c != "notes" or notes else 0.0 for c in SQLITE_COLUMNS]
            return f"bm25({fts}, {', '.join(str(w) for w in weights)}, 0.0)"  # 0: access

        params: list[Any] = []
        if self.scope.all_notes:
            score = bm25(True)
        elif self.scope.team_ids:
            teams, params = self._teams(team)
            score = f"CASE WHEN {teams} THEN {bm25(True)} ELSE {bm25(False)} END"
        else:
            score = bm25(False)
        boost, numbers = self._boost(pk)
        return f"(CAST(-({score}) * {SCALE} AS INTEGER){boost})", [*params, *numbers]

    def postgresql(self, index: str, pk: str, team: str) -> tuple[str, list[Any]]:
        query, params = _tsquery(self.terms)
        if self.scope.all_notes:
            vector, teams_params = f"{index}.everything", []
        elif self.scope.team_ids:
            teams, teams_params = self._teams(team)
            vector = f"CASE WHEN {teams} THEN {index}.everything ELSE {index}.document END"
        else:
            vector, teams_params = f"{index}.document", []
        boost, numbers = self._boost(pk)
        return (
            f"((ts_rank({vector}, {query}) * {SCALE})::bigint{boost})",
            [*teams_params, *params, *numbers],
        )


class OwnMatches(_SearchSQL):
    """For someone in no team: the case's public document matches, and names them among
    those who reach it (`documents.ACCESS`: requester, watcher, record owner or editor).

    The access rule still applies (`cases_visible_to`); this lets the full-text index read
    only the user's own matching cases, where the words alone match a quarter of a million
    for a common word at 1M cases and the rule would then be checked against each.
    """

    conditional = True

    def __init__(self, terms: Terms, user_id: int) -> None:
        super().__init__(terms, Scope(all_notes=False, team_ids=()), BooleanField())
        self.token = access_token(user_id)

    def sqlite(self, fts: str, pk: str, team: str) -> tuple[str, list[Any]]:
        query = f'{_fts5(self.terms, PUBLIC_COLUMNS)} AND {ACCESS} : "{self.token}"'
        return f"{fts} MATCH %s", [query]

    def postgresql(self, index: str, pk: str, team: str) -> tuple[str, list[Any]]:
        query, params = _tsquery(self.terms)
        return (
            f"({index}.{ACCESS} @@ to_tsquery('simple', %s) AND {index}.document @@ {query})",
            [self.token, *params],
        )


class InIndex(Expression):
    """PostgreSQL, for team members and admins: the case's document matches, without
    ranking, for searches matching so many cases that the list shows them newest first.

    The case's own document, read by its id, matches — a probe per case the list reaches, so
    a page costs its list's cost plus a few hundred probes, where the set of ids would be
    every match in the index (a quarter of a million for a common word at 1M cases: 0.5–1.5 s
    a page). A function per case: search/migrations/0002 says why not inline SQL.
    """

    conditional = True

    def __init__(self, terms: Terms, scope: Scope) -> None:
        super().__init__(output_field=BooleanField())
        self.terms, self.scope = terms, scope
        self.sources = [F("pk"), F("team_id")]

    def get_source_expressions(self) -> list[Any]:
        return self.sources

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.sources = list(exprs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        pk, _ = compiler.compile(self.sources[0])
        team, _ = compiler.compile(self.sources[1])
        query, params = _tsquery(self.terms)
        if self.scope.all_notes or not self.scope.team_ids:
            with_notes, teams_params = ("TRUE" if self.scope.all_notes else "FALSE"), []
        else:
            with_notes, teams_params = _in_teams(team, self.scope)
        return f"search_case_matches({pk}, {query}, {with_notes})", [*params, *teams_params]


class IndexRowid(Expression):
    """The joined search document's rowid — the case id — which SQLite's FTS5 table can list
    its matches in (`ORDER BY` it alone, and no sort is needed)."""

    def __init__(self) -> None:
        super().__init__(output_field=BigIntegerField())
        self.sources = [F("search_index__document")]

    def get_source_expressions(self) -> list[Any]:
        return self.sources

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.sources = list(exprs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        document, _ = compiler.compile(self.sources[0])
        return f"{document.rsplit('.', 1)[0]}.rowid", []


def is_broad(cases: QuerySet[Case]) -> bool:
    """A broad search's list: its `search_rank` is the case id (unique, newest first)."""
    return BROAD_MARK in cases.query.annotations


def count_cap(cases: QuerySet[Case]) -> int | None:
    """How far a list's count goes: BROAD_COUNT_CAP for a broad search ("500+ cases": counting
    further would read that many more matches), None (the lists' own cap) otherwise."""
    return BROAD_COUNT_CAP if is_broad(cases) else None


def broad(terms: Terms, *, using: str = "default") -> bool:
    """Whether more than BROAD documents match (anyone's): then ranking them all would cost
    more than a list may, and the list shows the matches newest first instead.

    PostgreSQL first asks its planner: its statistics of the words in the index (kept by
    ANALYZE) estimate a common word's or pair's matches within a few percent, so a clear
    BROAD_BY_ESTIMATE or more is taken as broad without counting — counting to 5,001 builds
    the whole bitmap of matches (30–70 ms for two common words at 1M cases). Nearer the line,
    or with no statistics yet (estimates of an unanalysed table are small), it counts.
    """
    connection = connections[using]
    if connection.vendor == "sqlite":
        sql, params = f"SELECT 1 FROM {TABLE} WHERE {TABLE} MATCH %s", [_fts5(terms)]  # noqa: S608
    else:
        query, params = _tsquery(terms)
        sql = f"SELECT 1 FROM {TABLE} WHERE everything @@ {query}"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            if cursor.fetchone()[0][0]["Plan"]["Plan Rows"] >= max(BROAD_BY_ESTIMATE, 4 * BROAD):
                return True
        cursor.execute(f"SELECT count(*) FROM ({sql} LIMIT %s) found", [*params, BROAD + 1])  # noqa: S608
        return cursor.fetchone()[0] > BROAD


def search_cases(cases: QuerySet[Case], text: str, *, user: AbstractBaseUser) -> QuerySet[Case]:
    """`cases` whose documents match `text`, annotated with `search_rank`; none for no words.

    Up to BROAD matches (in the whole index) are ranked; more — a word in most cases — are
    listed newest first (`search_rank` is then the case id), which pages as cheaply as any
    list, instead of ranking a hundred thousand documents to show fifty.
    """
    terms = parse_terms(text)
    if not terms:  # nothing to search for: nothing found (still ranked, for the sort)
        return cases.none().annotate(search_rank=Value(0, output_field=BigIntegerField()))
    scope = Scope.of(user)
    if broad(terms, using=cases.db):
        cases = cases.alias(**{BROAD_MARK: Value(True)})
        sqlite = connections[cases.db].vendor == "sqlite"
        if not scope.all_notes and not scope.team_ids:
            # In no team: the index reads the user's own matching cases (OwnMatches).
            own = cases.filter(search_index__isnull=False).filter(OwnMatches(terms, user.pk))
            return own.annotate(search_rank=IndexRowid() if sqlite else F("pk"))
        if sqlite:
            # Walk the index's matches newest first (FTS5 gives them in rowid order) and stop
            # at the page: for those who see much of what matches, a page reads ~50 matches.
            in_order = cases.filter(search_index__isnull=False).filter(Matches(terms, scope))
            return in_order.annotate(search_rank=IndexRowid())
        return cases.filter(InIndex(terms, scope)).annotate(search_rank=F("pk"))
    # `isnull=False` makes the join to the document an inner one, which the database can
    # start from (the full-text index), instead of a left join it would have to probe per case.
    matching = cases.filter(search_index__isnull=False).filter(Matches(terms, scope))
    return matching.annotate(search_rank=Rank(terms, scope))
