"""Django's SQLite backend, whose migrations keep the database's triggers.

To alter a table, Django remakes it on SQLite: a new table, the rows copied, the old one
dropped, the new one renamed. Dropping it drops its own triggers, and SQLite refuses the
rename while a trigger elsewhere names the dropped table. The search index's access triggers
(search/migrations/0003) name the cases, watchers, records and shares, so any later change
to one of those tables would fail to migrate, or lose its triggers. Here every trigger is set
aside for a remake and made again, unchanged, once the table is back under its name.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(self, model: Any, *args: Any, **kwargs: Any) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        super()._remake_table(model, *args, **kwargs)
        with self.connection.cursor() as cursor:
            for _, sql in triggers:
                cursor.execute(sql)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
