"""The search index of cases: one document per case, made by `search.documents`.

The table is the database's own full-text index, made by this app's migrations, so the model
is unmanaged and only lets the ORM join a case to its document (`Case.search_index`):

- SQLite: an FTS5 table (`rowid` = the case id) with a column per source: number, subject,
  description, comments, record, requester, notes (internal notes), and `access` (who
  reaches the case other than through a team, `search.documents.ACCESS`). bm25 ranks.
- PostgreSQL: `rowid` (the case id), `document` (tsvector of what anyone who sees the case may
  read), `everything` (the same plus the internal notes) and `access`, the last two
  GIN-indexed. ts_rank ranks.

No foreign key on PostgreSQL, so flushing the cases in tests never trips over it; a document
whose case is gone matches nothing (every search joins the case), and the next indexing of
a case replaces its document.
"""

from __future__ import annotations

from django.db import models


class CaseIndex(models.Model):
    case = models.OneToOneField(
        "cases.Case",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_column="rowid",
        db_constraint=False,
        related_name="search_index",
    )
    # PostgreSQL's tsvector columns (SQLite has the FTS5 table's columns instead); never loaded.
    document = models.TextField()
    everything = models.TextField()

    class Meta:
        managed = False
        db_table = "search_case_index"

    def __str__(self) -> str:
        return f"search document of case {self.case_id}"
