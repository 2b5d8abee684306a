"""`supportdesk backup` and `supportdesk restore`, run as an operator runs them (processes
against the test database file), and the SQLite copy under a concurrent writer."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from supportdesk.backup import copy_database, make_backup
from supportdesk.cases.actions import add_attachments
from supportdesk.cases.models import Attachment, Case
from supportdesk.cases.services import create_upload
from tests.factories import quote_question


def needs_sqlite() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("backup/restore copy SQLite files; PostgreSQL uses pg_dump (README)")


def supportdesk(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "supportdesk.cli", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        check=False,
    )


def rows(database: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(database)) as db:
        return db.execute(sql).fetchall()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_the_cases_and_attachments_into_a_fresh_install(
    rep, opportunity, tmp_path
):
    needs_sqlite()
    case = quote_question(rep, opportunity)
    quote_question(rep, opportunity, description="A second question")
    pdf = SimpleUploadedFile("terms.pdf", b"%PDF-1.4 the original terms", "application/pdf")
    upload = create_upload(rep, file=pdf)
    (attachment,) = add_attachments(case, actor=rep, upload_ids=[str(upload.id)])
    live = {
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }

    made = supportdesk("backup", "--to", str(tmp_path / "backups"), **live)
    assert made.returncode == 0, made.stderr
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"] == {"cases": 2, "attachments": 1}
    assert manifest["migrations"]["cases"].startswith("00")
    assert str(folder) in made.stdout

    Case.objects.filter(pk=case.pk).update(subject="Changed after the backup")
    Path(attachment.file.path).unlink()
    Attachment.objects.all().delete()

    fresh = tmp_path / "fresh"
    target = {
        "DATABASE_URL": f"sqlite:///{fresh / 'restored.sqlite3'}",
        "MEDIA_ROOT": str(fresh / "media"),
        "SUPPORTDESK_VAR_DIR": str(fresh),
    }
    restored = supportdesk("restore", str(folder), **target)
    assert restored.returncode == 0, restored.stderr
    assert "Restored 2 cases and 1 files" in restored.stdout
    assert "migrate" not in restored.stderr  # same code, same migrations

    database = fresh / "restored.sqlite3"
    assert rows(database, "SELECT COUNT(*) FROM cases_case") == [(2,)]
    assert rows(database, f"SELECT subject FROM cases_case WHERE id = {case.pk}") == [  # noqa: S608
        (case.subject,)
    ]
    ((name,),) = rows(database, "SELECT file FROM cases_attachment")
    assert (fresh / "media" / name).read_bytes() == b"%PDF-1.4 the original terms"

    again = supportdesk("restore", str(folder), **target)
    assert again.returncode != 0
    assert "already holds data" in again.stderr
    forced = supportdesk("restore", str(folder), "--force", **target)
    assert forced.returncode == 0, forced.stderr


def test_restore_refuses_a_backup_whose_database_does_not_match_its_checksum(db, tmp_path):
    needs_sqlite()
    folder = make_backup(tmp_path)
    copy = folder / "db.sqlite3"
    copy.write_bytes(copy.read_bytes() + b"tampered")
    with pytest.raises(CommandError, match="does not match the manifest's checksum"):
        call_command("restore", str(folder))


def test_postgresql_installs_are_sent_to_pg_dump(db, tmp_path):
    if connection.vendor == "sqlite":
        pytest.skip("the PostgreSQL refusal needs a PostgreSQL database")
    with pytest.raises(CommandError, match="pg_dump"):
        call_command("backup", "--to", str(tmp_path))


def test_the_copy_is_consistent_while_another_connection_writes(tmp_path):
    """Each writer transaction adds a pair of rows; a torn copy would hold half a pair."""
    source, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    with closing(sqlite3.connect(source)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE item (pair INTEGER, half INTEGER, payload BLOB)")
        db.executemany(
            "INSERT INTO item VALUES (?, ?, ?)",
            ((n // 2, n % 2, os.urandom(1024)) for n in range(20_000)),
        )
        db.commit()
    stop, written = threading.Event(), []

    def write() -> None:
        with closing(sqlite3.connect(source, timeout=20)) as db:
            pair = 10_000
            while not stop.is_set():
                with db:
                    db.execute("INSERT INTO item VALUES (?, 0, x'00')", (pair,))
                    db.execute("INSERT INTO item VALUES (?, 1, x'01')", (pair,))
                written.append(pair)
                pair += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 10:
            stop.wait(0.01)
        copy_database(source, copy)
        during = len(written)
    finally:
        stop.set()
        writer.join()

    assert during >= 10 and len(written) > 10
    assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
    assert rows(copy, "SELECT pair FROM item GROUP BY pair HAVING COUNT(*) != 2") == []
    (count,) = rows(copy, "SELECT COUNT(*) FROM item")[0]
    assert 20_000 + 2 * 10 <= count <= 20_000 + 2 * len(written)
