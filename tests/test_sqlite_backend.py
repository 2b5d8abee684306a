"""The SQLite backend keeps the database's triggers through Django's table remakes."""

from __future__ import annotations

import pytest
from django.db import connection, models

from supportdesk.cases.models import CaseWatcher


def triggers() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_altering_a_table_that_triggers_name_keeps_every_trigger():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL alters tables in place")
    before = triggers()
    assert any("cases_casewatcher" in sql for sql in before.values())
    old = CaseWatcher._meta.get_field("created_at")
    new = models.DateTimeField(null=True)
    new.set_attributes_from_name("created_at")
    with connection.schema_editor() as editor:  # a remake: SQLite cannot alter a column
        editor.alter_field(CaseWatcher, old, new)
        editor.alter_field(CaseWatcher, new, old)
    assert triggers() == before
