"""Who reaches each case other than through a team, in its search document (search.documents,
`ACCESS`), kept by triggers on the rows it is made of: watchers, record shares, a record's
owner, a case's requester or record. Triggers, not calls in the services: those rows are
written in many places (the admin and imports too), and a token missing would hide a case
from its own requester's searches.

SQLite: the FTS5 table gains an `access` column (FTS5 tables cannot gain columns: it is made
again). PostgreSQL: an `access` tsvector, GIN-indexed with the public document. Either way
every document is rebuilt here: at a million cases about 80 s on SQLite and 3 minutes on
PostgreSQL, where autovacuum then reclaims the rows the rewrite left behind.
"""

from django.db import migrations

from supportdesk.search.documents import postgresql_access, sqlite_access

FTS5 = (
    "CREATE VIRTUAL TABLE search_case_index USING fts5("
    "number, subject, description, comments, record, requester, notes, access, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
CASES_OF_RECORD = "SELECT id FROM cases_case WHERE record_id = {row}.record_id"

# (name, event, table, WHEN, the case ids whose tokens to write again)
SQLITE_TRIGGERS = [
    ("watcher_added", "INSERT", "cases_casewatcher", "", "NEW.case_id"),
    ("watcher_removed", "DELETE", "cases_casewatcher", "", "OLD.case_id"),
    ("watcher_changed", "UPDATE", "cases_casewatcher", "", "NEW.case_id, OLD.case_id"),
    ("share_added", "INSERT", "records_recordshare", "", CASES_OF_RECORD.format(row="NEW")),
    ("share_removed", "DELETE", "records_recordshare", "", CASES_OF_RECORD.format(row="OLD")),
    (
        "share_changed",
        "UPDATE",
        "records_recordshare",
        "",
        "SELECT id FROM cases_case WHERE record_id IN (NEW.record_id, OLD.record_id)",
    ),
    (
        "record_owner",
        "UPDATE OF owner_id",
        "records_record",
        "OLD.owner_id IS NOT NEW.owner_id",
        "SELECT id FROM cases_case WHERE record_id = NEW.id",
    ),
    (
        "case_people",
        "UPDATE OF requester_id, record_id",
        "cases_case",
        "OLD.requester_id IS NOT NEW.requester_id OR OLD.record_id IS NOT NEW.record_id",
        "NEW.id",
    ),
]


def _sqlite_trigger(name: str, event: str, table: str, when: str, ids: str) -> str:
    refresh = (
        "UPDATE search_case_index SET access = ("  # noqa: S608
        f"SELECT {sqlite_access('c')} FROM cases_case c WHERE c.id = search_case_index.rowid) "
        f"WHERE rowid IN ({ids});"
    )
    condition = f" WHEN {when}" if when else ""
    return (
        f"CREATE TRIGGER search_access_{name} AFTER {event} ON {table} FOR EACH ROW"
        f"{condition} BEGIN {refresh} END"
    )


POSTGRESQL_FUNCTIONS = [
    f"""
CREATE FUNCTION search_case_access(case_id bigint) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT {postgresql_access("c")} FROM cases_case c WHERE c.id = case_id
$$""",
    """
CREATE FUNCTION search_access_refresh(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    UPDATE search_case_index SET access = search_case_access(rowid) WHERE rowid = ANY(ids)
$$""",
    """
CREATE FUNCTION search_access_of_watcher() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN PERFORM search_access_refresh(ARRAY[NEW.case_id]); END IF;
    IF TG_OP <> 'INSERT' THEN PERFORM search_access_refresh(ARRAY[OLD.case_id]); END IF;
    RETURN NULL;
END
$$""",
    """
CREATE FUNCTION search_access_of_share() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM search_access_refresh(
            ARRAY(SELECT id FROM cases_case WHERE record_id = NEW.record_id));
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM search_access_refresh(
            ARRAY(SELECT id FROM cases_case WHERE record_id = OLD.record_id));
    END IF;
    RETURN NULL;
END
$$""",
    """
CREATE FUNCTION search_access_of_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_access_refresh(ARRAY(SELECT id FROM cases_case WHERE record_id = NEW.id));
    RETURN NULL;
END
$$""",
    """
CREATE FUNCTION search_access_of_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_access_refresh(ARRAY[NEW.id]);
    RETURN NULL;
END
$$""",
]
POSTGRESQL_TRIGGERS = [
    "CREATE TRIGGER search_access_watcher AFTER INSERT OR UPDATE OR DELETE ON cases_casewatcher "
    "FOR EACH ROW EXECUTE FUNCTION search_access_of_watcher()",
    "CREATE TRIGGER search_access_share AFTER INSERT OR UPDATE OR DELETE ON records_recordshare "
    "FOR EACH ROW EXECUTE FUNCTION search_access_of_share()",
    "CREATE TRIGGER search_access_record_owner AFTER UPDATE OF owner_id ON records_record "
    "FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id) "
    "EXECUTE FUNCTION search_access_of_record()",
    "CREATE TRIGGER search_access_case_people AFTER UPDATE OF requester_id, record_id "
    "ON cases_case FOR EACH ROW WHEN (OLD.requester_id IS DISTINCT FROM NEW.requester_id "
    "OR OLD.record_id IS DISTINCT FROM NEW.record_id) EXECUTE FUNCTION search_access_of_case()",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER search_access_watcher ON cases_casewatcher",
    "DROP TRIGGER search_access_share ON records_recordshare",
    "DROP TRIGGER search_access_record_owner ON records_record",
    "DROP TRIGGER search_access_case_people ON cases_case",
    "DROP FUNCTION search_access_of_watcher()",
    "DROP FUNCTION search_access_of_share()",
    "DROP FUNCTION search_access_of_record()",
    "DROP FUNCTION search_access_of_case()",
    "DROP FUNCTION search_access_refresh(bigint[])",
    "DROP FUNCTION search_case_access(bigint)",
    "DROP INDEX search_case_index_access",
    "ALTER TABLE search_case_index DROP COLUMN access",
]


def create(apps, schema_editor):
    from supportdesk.search.documents import index_cases  # the documents as built today

    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE search_case_index")
        schema_editor.execute(FTS5)
        for trigger in SQLITE_TRIGGERS:
            schema_editor.execute(_sqlite_trigger(*trigger))
    else:
        schema_editor.execute(
            "ALTER TABLE search_case_index ADD COLUMN access tsvector NOT NULL DEFAULT ''"
        )
        for statement in [*POSTGRESQL_FUNCTIONS, *POSTGRESQL_TRIGGERS]:
            schema_editor.execute(statement)
    Case = apps.get_model("cases", "Case")
    index_cases(Case.objects.using(schema_editor.connection.alias).all())
    if schema_editor.connection.vendor == "postgresql":
        # Both columns in one GIN index: a search by someone in no team is one index scan
        # that leapfrogs between their token's few entries and the words' many (at 1M cases,
        # with `access` alone the public text of every case they reach was read: 300 ms).
        schema_editor.execute(
            "CREATE INDEX search_case_index_access ON search_case_index "
            "USING gin (access, document)"
        )
        schema_editor.execute("ANALYZE search_case_index")


def drop(apps, schema_editor):
    """Back to documents without tokens; SQLite's table keeps its (then unused) column."""
    if schema_editor.connection.vendor == "sqlite":
        for name, *_ in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER search_access_{name}")
    else:
        for statement in POSTGRESQL_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_case_matches_function")]

    operations = [migrations.RunPython(create, drop)]
