"""Indexes whose definition one of the two databases cannot spell as the other does."""

from __future__ import annotations

from typing import Any

from django.db.models import Index, OrderBy


class SortIndex(Index):
    """An index in a list's order, NULLS FIRST/LAST included where the database has them.

    PostgreSQL reads an index for `ORDER BY x DESC NULLS LAST` only if the index says NULLS
    LAST; SQLite refuses the words in an index but sorts NULLs lowest, which is the same order
    for the descending sorts the lists use (`lists.paging`), so there they are left out.
    """

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "sqlite" or not self.expressions:
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        plain = self.clone()
        plain.expressions = tuple(
            OrderBy(e.expression, descending=e.descending) if isinstance(e, OrderBy) else e
            for e in self.expressions
        )
        return Index.create_sql(plain, model, schema_editor, using=using, **kwargs)
