"""Querysets of a fixed shape, compiled to SQL once per process and run with new values after.

    CASE_ROW = PreparedQuery(Case, lambda pk: Case.objects.select_related("team").filter(pk=pk))
    case = CASE_ROW.first(pk=42)          # a Case with its team, as the queryset would give

Compiling a queryset that joins many tables costs far more CPU than running it: the case
page's case row (eight tables) takes ~1.5 ms to compile and ~0.1 ms to run on SQLite. A
PreparedQuery builds its queryset with placeholder integers, compiles it once per database
alias, and then runs that SQL with the caller's values in the placeholders' places, making
model instances the way Django's ModelIterable does (select_related objects, annotations).

Only integer keyword arguments that reach the SQL as parameters (a filter's value) can vary;
the queryset's shape must not depend on them (no lists for `__in`, no slicing by them). This is
checked when the query is prepared: it is compiled with two sets of placeholders, and the SQL
must be the same and the parameters must differ exactly where the placeholders went in, or
preparing fails (ImproperlyConfigured) rather than running a wrong query.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

# Two sets of placeholders, negative (no row has such a key) and within a 32-bit integer
# column's range (Django answers an out-of-range lookup without asking the database).
_FIRST, _SECOND = -1_900_000_001, -1_800_000_001


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler  # after as_sql(): select, klass_info, annotations filled in
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position in params, the argument that goes there)
    # What Django works out again for every run of a query, once: the converters of the
    # selected columns (~0.1 ms for the case row's 121) and how to build the instances.
    fields: list[Any]
    converters: dict[int, Any]
    composite: bool
    reader: _Reader | None  # None for a values_list() queryset


@dataclass(frozen=True)
class _Reader:
    """How Django's ModelIterable makes instances of a compiled query's rows."""

    model: type[Model]
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]  # RelatedPopulators (select_related): they keep no state of a run
    annotations: dict[str, int]


class PreparedQuery(Generic[M]):
    """`build(**values)` compiled once; `all(**values)` runs it (see the module docstring),
    or `rows(**values)` when `build` gives a `values_list()` queryset."""

    def __init__(self, model: type[M], build: Callable[..., QuerySet[M]]):
        self.model, self.build = model, build
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}
        self._lock = threading.Lock()

    def all(self, **values: int) -> list[M]:
        """The instances `build(**values)` would give, in its order."""
        if any(type(v) is not int for v in values.values()):
            return list(self.build(**values))  # not a plain integer: the ordinary way
        alias = router.db_for_read(self.model)
        compiled = self._compiled_for(alias, tuple(sorted(values)))
        return list(_instances(compiled, _rows(compiled, alias, values), alias))

    def first(self, **values: int) -> M | None:
        found = self.all(**values)
        return found[0] if found else None

    def rows(self, **values: int) -> list[tuple[Any, ...]]:
        """The tuples `build(**values)` would give, for a `values_list()` queryset: plain rows
        (converted as Django converts them) cost far less than model instances."""
        if any(type(v) is not int for v in values.values()):
            return [tuple(row) for row in self.build(**values)]
        alias = router.db_for_read(self.model)
        compiled = self._compiled_for(alias, tuple(sorted(values)))
        return [tuple(row) for row in _rows(compiled, alias, values)]

    def _compiled_for(self, alias: str, names: tuple[str, ...]) -> _Compiled:
        key = (alias, names)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._prepare(alias, names)
                self._compiled[key] = compiled
        return compiled

    def _prepare(self, alias: str, names: tuple[str, ...]) -> _Compiled:
        first = {name: _FIRST - i for i, name in enumerate(names)}
        second = {name: _SECOND - i for i, name in enumerate(names)}
        compiler = self.build(**first).using(alias).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        other_sql, other_params = (
            self.build(**second).using(alias).query.get_compiler(using=alias).as_sql()
        )
        by_placeholder = {value: name for name, value in first.items()}
        slots = tuple(
            (position, by_placeholder[value])
            for position, value in enumerate(params)
            if type(value) is int and value in by_placeholder
        )
        differing = {i for i, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b}
        used = {name for _, name in slots}
        if sql != other_sql or differing != {p for p, _ in slots} or used != set(names):
            raise ImproperlyConfigured(
                "PreparedQuery: the query's SQL depends on its values, or a value is not a "
                f"parameter of it ({sorted(names)})"
            )
        fields = [expression for expression, *_ in compiler.select[: compiler.col_count]]
        return _Compiled(
            compiler,
            sql,
            tuple(params),
            slots,
            fields,
            compiler.get_converters(fields),
            compiler.has_composite_fields(fields),
            _reader(compiler, alias),
        )


def _reader(compiler: SQLCompiler, alias: str) -> _Reader | None:
    """As Django's ModelIterable sets itself up (no known related objects)."""
    select, klass_info = compiler.select, compiler.klass_info
    if klass_info is None:
        return None
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    return _Reader(
        klass_info["model"],
        [f[0].target.attname for f in select[start:end]],
        start,
        end,
        get_related_populators(klass_info, select, alias),
        dict(compiler.annotation_col_map or {}),
    )


def _rows(compiled: _Compiled, alias: str, values: dict[str, int]) -> Iterator[list[Any]]:
    """The compiled query's rows for these values, converted (SQLCompiler.results_iter)."""
    params = list(compiled.params)
    for position, name in compiled.slots:
        params[position] = values[name]
    compiler = copy.copy(compiled.compiler)
    compiler.connection = connections[alias]
    compiler.as_sql = lambda *args, **kwargs: (compiled.sql, params)  # this copy only
    rows = chain.from_iterable(compiler.execute_sql())
    if compiled.converters:
        rows = compiler.apply_converters(rows, compiled.converters)
    if compiled.composite:
        rows = compiler.composite_fields_to_tuples(rows, compiled.fields)
    return rows


def _instances(compiled: _Compiled, rows: Iterator[list[Any]], alias: str) -> Iterator[Model]:
    """Django's ModelIterable for SQL compiled before (no known related objects)."""
    reader = compiled.reader
    if reader is None:
        raise ImproperlyConfigured("PreparedQuery: all() for a values_list() query; use rows()")
    for row in rows:
        obj = reader.model.from_db(alias, reader.init_list, row[reader.start : reader.end])
        for populator in reader.populators:
            populator.populate(row, obj)
        for attr_name, col_pos in reader.annotations.items():
            setattr(obj, attr_name, row[col_pos])
        yield obj
