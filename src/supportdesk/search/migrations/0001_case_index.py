"""The search index of cases: an FTS5 table on SQLite, tsvectors with a GIN index on PostgreSQL
(see search/models.py); 0003 fills it with the documents of the cases there are."""

from django.db import migrations, models

FTS5 = (
    "CREATE VIRTUAL TABLE search_case_index USING fts5("
    "number, subject, description, comments, record, requester, notes, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
POSTGRESQL = [
    "CREATE TABLE search_case_index "
    "(rowid bigint PRIMARY KEY, document tsvector NOT NULL, everything tsvector NOT NULL)",
    "CREATE INDEX search_case_index_everything ON search_case_index USING gin (everything)",
]


def create(apps, schema_editor):
    statements = [FTS5] if schema_editor.connection.vendor == "sqlite" else POSTGRESQL
    for statement in statements:
        schema_editor.execute(statement)
    # The documents are built by 0003, which gave them the columns they have today.


def drop(apps, schema_editor):
    schema_editor.execute("DROP TABLE search_case_index")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0007_list_indexes"),
        ("records", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseIndex",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        db_column="rowid",
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_index",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                ("document", models.TextField()),
                ("everything", models.TextField()),
            ],
            options={"db_table": "search_case_index", "managed": False},
        ),
        migrations.RunPython(create, drop),
    ]
