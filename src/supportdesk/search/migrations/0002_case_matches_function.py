"""PostgreSQL: `search_case_matches(case id, query, with notes)`, whether one case's document
matches, for broad searches (search.queries.InIndex). A function, not the same subquery
inline, for its COST: PostgreSQL evaluates a WHERE clause's conditions cheapest first, and
took the subquery for cheaper than the access rule, so it read a document for every case it
passed rather than for the few the user may see. Nothing on SQLite."""

from django.db import migrations

CREATE = """
CREATE FUNCTION search_case_matches(case_id bigint, query tsquery, with_notes boolean)
RETURNS boolean LANGUAGE plpgsql STABLE COST 100000 AS $$
BEGIN
    RETURN (
        SELECT CASE WHEN with_notes THEN everything ELSE document END @@ query
        FROM search_case_index WHERE rowid = case_id
    );
END
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION search_case_matches(bigint, tsquery, boolean)")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_case_index")]

    operations = [migrations.RunPython(create, drop)]
