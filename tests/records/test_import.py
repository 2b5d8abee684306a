"""`supportdesk import-records`: CSV exports upserted into records, by batch, with rejects."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from supportdesk.cases.models import Case
from supportdesk.cases.priority_rules import RuleConfig, suggest_priority
from supportdesk.records.import_mappings import load_mapping
from supportdesk.records.import_values import id_forms, parse_cell
from supportdesk.records.importing import import_records, progress_printer
from supportdesk.records.models import Kind, Record
from supportdesk.search.queries import search_cases
from tests.factories import RecordFactory, UserFactory, quote_question

pytestmark = pytest.mark.django_db

OPPORTUNITY_COLUMNS = ["Id", "Name", "Owner.Email", "AccountId", "StageName", "Amount", "CloseDate"]


def write_csv(path: Path, columns: list[str], rows: list[list[str]], *, bom: bool = False) -> Path:
    """A Salesforce-style export: every cell quoted, UTF-8 (with a BOM if asked)."""
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def run(path: Path, kind: str = Kind.OPPORTUNITY, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_records", str(path), "--kind", kind, *args, stdout=out, stderr=err)
    return out.getvalue()


def opportunity_row(n: int, **changes: str) -> list[str]:
    row = {
        "Id": f"006IMP{n:09d}",
        "Name": f"Deal {n}",
        "Owner.Email": "rita@example.com",
        "AccountId": "",
        "StageName": "3-Solution",
        "Amount": "120000.00",
        "CloseDate": "2031-05-14",
        **changes,
    }
    return [row[c] for c in OPPORTUNITY_COLUMNS]


@pytest.fixture
def rita(db):
    return UserFactory(username="rita", email="Rita@Example.com")


@pytest.fixture
def acme(db):
    return RecordFactory(kind=Kind.CUSTOMER_ACCOUNT, external_id="001ACME00000001", name="Acme")


# ---- created / updated / unchanged ---------------------------------------------------------


def test_opportunities_are_created_with_the_attributes_the_app_reads(tmp_path, rita, acme):
    rows = [opportunity_row(1, AccountId="001ACME00000001"), opportunity_row(2)]
    output = run(write_csv(tmp_path / "opps.csv", OPPORTUNITY_COLUMNS, rows))

    assert "2 opportunity rows — 2 created, 0 updated, 0 unchanged, 0 rejected." in output
    deal = Record.objects.get(external_id="006IMP000000001")
    assert (deal.kind, deal.name, deal.owner, deal.account) == ("opportunity", "Deal 1", rita, acme)
    assert deal.attributes == {
        "stage": "3-Solution",
        "amount": "120000",
        "close_date": "2031-05-14",
    }
    assert not (tmp_path / "opps.rejects.csv").exists()


def test_running_the_same_file_again_changes_nothing(tmp_path, rita, acme):
    rows = [opportunity_row(n, AccountId="001ACME00000001") for n in range(3)]
    path = write_csv(tmp_path / "opps.csv", OPPORTUNITY_COLUMNS, rows)
    run(path)
    stamps = dict(Record.objects.values_list("external_id", "updated_at"))

    output = run(path)

    assert "3 opportunity rows — 0 created, 0 updated, 3 unchanged, 0 rejected." in output
    assert dict(Record.objects.values_list("external_id", "updated_at")) == stamps


def test_a_changed_row_updates_its_record_and_keeps_attributes_the_file_has_no_column_for(
    tmp_path, rita
):
    record = RecordFactory(
        external_id="006IMP000000001",
        name="Old name",
        owner=rita,
        attributes={"stage": "1-Discovery", "amount": "5", "region": "EMEA"},
    )
    before = record.updated_at
    rows = [opportunity_row(1, StageName="4-Proposal", Amount="")]

    summary = import_records(
        write_csv(tmp_path / "opps.csv", OPPORTUNITY_COLUMNS, rows), kind=Kind.OPPORTUNITY
    )

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    record.refresh_from_db()
    assert record.name == "Deal 1"
    # an empty cell removes its attribute; one without a column stays
    assert record.attributes == {
        "stage": "4-Proposal",
        "close_date": "2031-05-14",
        "region": "EMEA",
    }
    assert record.updated_at > before


# ---- owners and accounts -------------------------------------------------------------------


def test_owners_are_found_by_email_or_username_and_unknown_ones_are_reported(tmp_path, rita):
    sam = UserFactory(username="sam", email="")
    kept = RecordFactory(external_id="006IMP000000003", name="Deal 3", owner=sam)
    columns = ["Id", "Name", "OwnerEmail", "Owner.Username", "OwnerId"]
    rows = [
        ["006IMP000000001", "Deal 1", "RITA@example.com", "", "005X"],
        ["006IMP000000002", "Deal 2", "", "sam", "005Y"],
        ["006IMP000000003", "Deal 3", "", "", "005000000000001"],
        ["006IMP000000004", "Deal 4", "nobody@example.com", "", ""],
    ]

    summary = import_records(write_csv(tmp_path / "o.csv", columns, rows), kind="opportunity")

    owners = dict(Record.objects.values_list("external_id", "owner__username"))
    assert owners == {
        "006IMP000000001": "rita",
        "006IMP000000002": "sam",
        "006IMP000000003": "sam",  # unresolved: the stored owner stays
        "006IMP000000004": None,
    }
    assert [(u.line, u.field, u.value) for u in summary.unresolved] == [
        (4, "owner", "005000000000001"),
        (5, "owner", "nobody@example.com"),
    ]
    assert (summary.created, summary.unchanged, summary.rejected) == (3, 1, 0)
    kept.refresh_from_db()
    assert kept.owner == sam


def test_accounts_imported_first_are_the_parents_of_the_opportunities(tmp_path, rita):
    accounts = write_csv(
        tmp_path / "accounts.csv",
        ["Id", "Name", "Owner.Email", "Segment__c", "NumberOfEmployees", "Renewal_Date__c"],
        [["001IMP000000001", "Globex", "rita@example.com", "Enterprise", "1200", "2031-06-30"]],
    )
    opportunities = write_csv(
        tmp_path / "opps.csv",
        OPPORTUNITY_COLUMNS,
        [opportunity_row(1, AccountId="001IMP000000001"), opportunity_row(2, AccountId="001NOPE")],
    )

    run(accounts, Kind.CUSTOMER_ACCOUNT)
    output = run(opportunities)

    globex = Record.objects.get(external_id="001IMP000000001")
    assert globex.attributes == {
        "segment": "Enterprise",
        "employee_count": 1200,
        "renewal_date": "2031-06-30",
    }
    assert Record.objects.get(external_id="006IMP000000001").account == globex
    assert Record.objects.get(external_id="006IMP000000002").account is None
    assert "1 unresolved references" in output
    assert (
        "account “001NOPE”: no account has this id (import accounts first) — 1 row (line 3)"
        in output
    )


def test_a_parent_account_can_be_an_earlier_row_of_the_same_file(tmp_path):
    rows = [
        ["001IMP000000001", "Parent", ""],
        ["001IMP000000002", "Child in the same batch", "001IMP000000001"],
        ["001IMP000000003", "Child in the next batch", "001IMP000000001"],
        ["001IMP000000004", "Child of a later row", "001IMP000000005"],
        ["001IMP000000005", "Later", ""],
    ]
    path = write_csv(tmp_path / "accounts.csv", ["Id", "Name", "ParentId"], rows)

    dry = import_records(path, kind=Kind.CUSTOMER_ACCOUNT, dry_run=True, batch_size=2)
    summary = import_records(path, kind=Kind.CUSTOMER_ACCOUNT, batch_size=2)

    for result in (dry, summary):
        assert result.created == 5
        assert [(u.line, u.value) for u in result.unresolved] == [(5, "001IMP000000005")]
    parents = dict(Record.objects.values_list("external_id", "account__external_id"))
    assert parents["001IMP000000002"] == parents["001IMP000000003"] == "001IMP000000001"
    assert parents["001IMP000000004"] is None


def test_an_18_character_id_matches_the_15_character_one_in_a_file_with_a_bom(tmp_path, acme):
    record = RecordFactory(external_id="001A0000006Vm9r", name="Deal", owner=None)
    path = write_csv(
        tmp_path / "opps.csv",
        ["Id", "Name", "AccountId"],
        [["001A0000006Vm9rIAC", "Deal renamed", "001ACME00000001"]],
        bom=True,
    )

    summary = import_records(path, kind=Kind.OPPORTUNITY)

    assert (summary.created, summary.updated) == (0, 1)
    record.refresh_from_db()
    assert (record.name, record.account) == ("Deal renamed", acme)


# ---- dry run, rejects, batches -------------------------------------------------------------


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(tmp_path, rita):
    existing = RecordFactory(external_id="006IMP000000001", name="Old", owner=rita)
    rows = [opportunity_row(1), opportunity_row(2), opportunity_row(3, CloseDate="soon")]
    path = write_csv(tmp_path / "opps.csv", OPPORTUNITY_COLUMNS, rows)

    output = run(path, Kind.OPPORTUNITY, "--dry-run")

    assert "1 created, 1 updated, 0 unchanged, 1 rejected (dry run" in output
    assert Record.objects.count() == 1
    existing.refresh_from_db()
    assert existing.name == "Old"
    assert (tmp_path / "opps.rejects.csv").exists()


def test_rows_that_cannot_be_valid_are_rejected_with_their_reason(tmp_path, rita):
    RecordFactory(kind=Kind.CONTACT, external_id="003IMP000000001", name="A contact")
    rows = [
        opportunity_row(1),
        opportunity_row(2, Id=""),
        opportunity_row(3, Name=""),
        opportunity_row(4, CloseDate="14/05/2031"),
        opportunity_row(5, Amount="12k"),
        opportunity_row(1, Name="Deal 1 again"),
        opportunity_row(6, Id="003IMP000000001"),
        opportunity_row(7),
    ]
    path = write_csv(tmp_path / "opps.csv", OPPORTUNITY_COLUMNS, rows)

    output = run(path, Kind.OPPORTUNITY, "--rejects", str(tmp_path / "bad.csv"))

    assert "8 opportunity rows — 2 created, 0 updated, 0 unchanged, 6 rejected." in output
    with open(tmp_path / "bad.csv", encoding="utf-8", newline="") as rejects:
        written = list(csv.DictReader(rejects))
    assert list(written[0]) == [*OPPORTUNITY_COLUMNS, "reject_reason"]
    assert [(r["Name"], r["reject_reason"]) for r in written] == [
        ("Deal 2", "No Id."),
        ("", "No Name."),
        ("Deal 4", "CloseDate: “14/05/2031” is not a date (YYYY-MM-DD)."),
        ("Deal 5", "Amount: “12k” is not a number (digits and a decimal point)."),
        ("Deal 1 again", "Id 006IMP000000001 is also on line 2."),
        ("Deal 6", "003IMP000000001 is a Contact record, not a record of kind Opportunity."),
    ]
    assert set(Record.objects.filter(kind="opportunity").values_list("name", flat=True)) == {
        "Deal 1",
        "Deal 7",
    }


@pytest.fixture
def no_boom_records(db):
    """A database rule that refuses records named "Boom" (to make one batch fail)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER no_boom BEFORE INSERT ON records_record WHEN NEW.name = 'Boom' "
                "BEGIN SELECT RAISE(ABORT, 'no Boom records'); END"
            )
        else:
            cursor.execute(
                "ALTER TABLE records_record ADD CONSTRAINT no_boom CHECK (name <> 'Boom')"
            )
    yield
    # PostgreSQL undoes the constraint with the test's transaction (its DDL is transactional;
    # dropping it here fails while deferred foreign-key checks are pending).
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER no_boom")


def test_a_batch_that_fails_to_save_is_rejected_whole_and_the_others_are_kept(
    tmp_path, rita, no_boom_records
):
    rows = [opportunity_row(n) for n in range(1, 6)]
    rows[3] = opportunity_row(4, Name="Boom")
    path = write_csv(tmp_path / "opps.csv", OPPORTUNITY_COLUMNS, rows)

    summary = import_records(path, kind=Kind.OPPORTUNITY, batch_size=2)

    assert (summary.created, summary.rejected) == (3, 2)
    assert [r.line for r in summary.rejects] == [4, 5]
    assert all(
        r.reason.startswith("Not imported: saving the batch of lines 4–5") for r in summary.rejects
    )
    assert sorted(Record.objects.values_list("name", flat=True)) == ["Deal 1", "Deal 2", "Deal 5"]


def test_a_batch_takes_the_same_few_queries_whatever_its_size(
    tmp_path, rita, acme, django_assert_max_num_queries
):
    def rows(count: int, stage: str) -> Path:
        lines = [
            opportunity_row(n, AccountId=acme.external_id, StageName=stage) for n in range(count)
        ]
        return write_csv(tmp_path / f"opps{count}.csv", OPPORTUNITY_COLUMNS, lines)

    # Reads: records, owners, accounts; writes: savepoint, one INSERT or UPDATE, release. (On
    # SQLite Django splits a statement past 999 parameters, i.e. every ~120 rows.)
    for count in (3, 60):
        with django_assert_max_num_queries(6):
            assert import_records(rows(count, "1-New"), kind="opportunity").created == count
        with django_assert_max_num_queries(6):
            assert import_records(rows(count, "2-Next"), kind="opportunity").updated == count
        Record.objects.filter(kind="opportunity").delete()


# ---- the rest ------------------------------------------------------------------------------


def test_an_imported_opportunity_drives_the_suggested_priority(tmp_path, rita):
    row = opportunity_row(1, CloseDate="2031-05-14", StageName="4-Proposal")
    import_records(write_csv(tmp_path / "o.csv", OPPORTUNITY_COLUMNS, [row]), kind="opportunity")

    record = Record.objects.get(external_id="006IMP000000001")
    suggestion = suggest_priority(record, today=dt.date(2031, 5, 12), config=RuleConfig())

    assert suggestion is not None and suggestion.rule == "close_soon"


def test_a_mapping_file_extends_the_default(tmp_path, rita):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "fields: {Login__c: owner, Owner.Email: null}\n"
        "attributes: {Region__c: region, StageName: null}\n"
        "types: {region: null}\n"
    )
    path = write_csv(
        tmp_path / "o.csv",
        ["Id", "Name", "Owner.Email", "Login__c", "StageName", "Region__c"],
        [["006IMP000000001", "Deal", "nobody@example.com", "rita", "1-New", "EMEA"]],
    )

    summary = import_records(path, kind="opportunity", mapping=load_mapping("opportunity", mapping))

    record = Record.objects.get()
    assert (record.owner, record.attributes) == (rita, {"region": "EMEA"})
    assert summary.unresolved == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_console_command_is_import_records_with_a_dash(tmp_path, rita):
    """`supportdesk import-records` as an operator runs it: summary on stdout, progress on
    stderr (plain lines, as stderr is not a terminal)."""
    if connection.vendor != "sqlite":
        pytest.skip("the subprocess opens the test database by file name")
    path = write_csv(tmp_path / "o.csv", OPPORTUNITY_COLUMNS, [opportunity_row(1)])
    env = {"DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}"}
    command = [sys.executable, "-m", "supportdesk.cli", "import-records", str(path)]
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [*command, "--kind", "opportunity"],
        env=os.environ | env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "1 opportunity row — 1 created" in done.stdout
    assert done.stderr.startswith("1/1 rows")
    assert Record.objects.get(external_id="006IMP000000001").owner == rita


def test_the_progress_line_is_rewritten_on_a_terminal_and_printed_a_few_times_otherwise():
    lines: list[str] = []
    plain = progress_printer(lines.append, tty=False)
    for done in range(0, 1001, 100):
        plain(done, 1000)
    assert 3 <= len(lines) <= 6
    assert lines[-1].startswith("1,000/1,000 rows") and "rows/s  ETA 0:00" in lines[-1]

    shown: list[str] = []
    terminal = progress_printer(shown.append, tty=True)
    terminal(500, 1000)
    terminal(1000, 1000)
    assert shown[0].startswith("\r500/1,000 rows") and not shown[0].endswith("\n")
    assert shown[-1].endswith("\n")


def test_salesforce_ids_and_cell_values():
    assert id_forms("001A0000006Vm9r") == ("001A0000006Vm9r", "001A0000006Vm9rIAC")
    assert id_forms("001A0000006Vm9rIAC") == ("001A0000006Vm9rIAC", "001A0000006Vm9r")
    assert id_forms("001A0000006Vm9rXXX") == ("001A0000006Vm9rXXX",)
    assert parse_cell("2031-05-14T00:00:00.000Z", "date") == "2031-05-14"
    assert parse_cell("1234.50", "decimal") == "1234.50"
    assert parse_cell("250.0", "integer") == 250
    with pytest.raises(ValueError, match="whole number"):
        parse_cell("2.5", "integer")


def test_files_that_cannot_be_imported_stop_the_command(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    latin = tmp_path / "latin.csv"
    latin.write_bytes('"Id","Name"\n"006IMP000000001","Café"\n'.encode("latin-1"))
    no_id = write_csv(tmp_path / "no-id.csv", ["Name"], [["Deal"]])

    for path, message in [
        (empty, "no header row"),
        (latin, "is not UTF-8 text"),
        (no_id, "The file has no “Id” column"),
    ]:
        with pytest.raises(CommandError, match=message):
            run(path)
    assert not Record.objects.exists()


def test_a_renamed_record_s_cases_are_found_by_its_new_name(tmp_path, rita, opportunity):
    case = quote_question(rita, opportunity)
    row = opportunity_row(1, Id=opportunity.external_id, Name="Initech Expansion")
    import_records(write_csv(tmp_path / "o.csv", OPPORTUNITY_COLUMNS, [row]), kind="opportunity")

    assert list(search_cases(Case.objects.all(), "Initech", user=rita)) == [case]
