"""Online backups of a SQLite install (database + attachments) and their restore.

The database is copied with SQLite's backup API in one step, which reads a single snapshot
while the site keeps writing (WAL). Attachments are copied after it, so every file that the
copied database names already exists (files added meanwhile are harmless extras). With the
attachments in an S3 bucket (ATTACHMENTS_S3_BUCKET), the files the copied database names are
read out of the bucket through the storage API into the backup, so it is whole on its own, and
restore puts back into the bucket the ones it lacks.
PostgreSQL installs use pg_dump instead (README, "Health checks and backups").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from collections import defaultdict
from contextlib import closing
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from supportdesk.attachment_storage import open_stored

DB_FILE = "db.sqlite3"
MEDIA_DIR = "media"
MANIFEST = "manifest.json"
POSTGRES_MESSAGE = (
    "supportdesk backup/restore copy SQLite databases only; for PostgreSQL use pg_dump and "
    "pg_restore and copy the media directory (README, 'Health checks and backups')."
)


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


def sqlite_path() -> Path:
    """The configured SQLite database file; BackupError on any other database."""
    if connection.vendor != "sqlite":
        raise BackupError(POSTGRES_MESSAGE)
    return Path(connection.settings_dict["NAME"])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_database(source: Path, target: Path) -> None:
    """Copy one SQLite database into another with the backup API (a consistent snapshot)."""
    with (
        closing(sqlite3.connect(source, timeout=20)) as src,
        closing(sqlite3.connect(target, timeout=20)) as dst,
    ):
        src.backup(dst)  # all pages in one step: one read transaction, one snapshot


def make_backup(to: Path, *, now: dt.datetime | None = None) -> Path:
    """Back the database and the attachments up into a new folder under `to`; its path."""
    database = sqlite_path()
    now = now or timezone.now()
    folder = Path(to) / f"supportdesk-{now:%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True)
    db_copy = folder / DB_FILE
    copy_database(database, db_copy)
    with closing(sqlite3.connect(db_copy)) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        facts = _facts(copy)
        names = _stored_names(copy)
    media = Path(settings.MEDIA_ROOT)
    if not _on_filesystem():
        _copy_from_storage(names, folder / MEDIA_DIR)
    elif media.is_dir():
        shutil.copytree(media, folder / MEDIA_DIR)
    else:
        (folder / MEDIA_DIR).mkdir()
    files = [p for p in (folder / MEDIA_DIR).rglob("*") if p.is_file()]
    manifest = {
        "created_at": now.isoformat(),
        "database": {"file": DB_FILE, "bytes": db_copy.stat().st_size, "sha256": sha256(db_copy)},
        "media": {"files": len(files), "bytes": sum(p.stat().st_size for p in files)},
        **facts,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


def _facts(db: sqlite3.Connection) -> dict[str, Any]:
    from supportdesk.cases.models import Attachment, Case

    heads: dict[str, str] = defaultdict(str)
    for app, name in db.execute("SELECT app, name FROM django_migrations"):
        heads[app] = max(heads[app], name)  # names are numbered: the greatest is the latest
    counts = {
        label: db.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}"').fetchone()[0]  # noqa: S608
        for label, model in (("cases", Case), ("attachments", Attachment))
    }
    return {"migrations": dict(sorted(heads.items())), "counts": counts}


def read_manifest(folder: Path) -> dict[str, Any]:
    """The backup's manifest, after checking the database copy against its checksum."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a supportdesk backup (no {MANIFEST}).")
    manifest = json.loads(path.read_text())
    db_copy = Path(folder) / manifest["database"]["file"]
    if not db_copy.is_file() or sha256(db_copy) != manifest["database"]["sha256"]:
        raise BackupError(f"{db_copy} is missing or does not match the manifest's checksum.")
    return manifest


def has_data(database: Path) -> bool:
    """Whether a database file holds any users or cases (an empty or new one does not)."""
    if not database.is_file() or database.stat().st_size == 0:
        return False
    with closing(sqlite3.connect(database, timeout=20)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        return any(
            db.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()  # noqa: S608
            for table in ("auth_user", "cases_case")
            if table in tables
        )


def restore_backup(folder: Path, *, force: bool = False) -> dict[str, Any]:
    """Put a backup's database and attachments in place of the configured ones; its manifest.

    Refuses to overwrite a database with data unless `force`. Stop the site and the workers
    first: they would keep writing to the old database.
    """
    database = sqlite_path()
    manifest = read_manifest(folder)
    connection.close()
    if not force and has_data(database):
        raise BackupError(
            f"{database} already holds data; restoring would replace it (use --force)."
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    copy_database(Path(folder) / manifest["database"]["file"], database)
    media = Path(folder) / MEDIA_DIR
    if media.is_dir() and not _on_filesystem():
        _copy_to_storage(media)
    elif media.is_dir():
        shutil.copytree(media, settings.MEDIA_ROOT, dirs_exist_ok=True)
    return manifest


def _on_filesystem() -> bool:
    return isinstance(default_storage, FileSystemStorage)


def _stored_names(db: sqlite3.Connection) -> list[str]:
    """The storage names of every attachment and pending upload the copied database holds."""
    from supportdesk.cases.models import Attachment, Upload

    tables = [model._meta.db_table for model in (Attachment, Upload)]
    sql = " UNION ".join(f'SELECT file FROM "{table}"' for table in tables)  # noqa: S608
    return sorted(name for (name,) in db.execute(sql) if name)


def _copy_from_storage(names: list[str], media: Path) -> None:
    """Each named file out of the storage (the bucket) into `media`, under its name."""
    media.mkdir()
    root = media.resolve()
    for name in names:
        target = (media / name).resolve()
        if not target.is_relative_to(root):
            raise BackupError(f"The database names a file outside the media folder: {name!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            source = open_stored(name)
        except FileNotFoundError:
            continue  # removed from the bucket by hand: nothing to copy, as on a filesystem
        with closing(source), target.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)


def _copy_to_storage(media: Path) -> None:
    """Each file of a backup's media folder into the storage (the bucket), unless present."""
    for path in sorted(p for p in media.rglob("*") if p.is_file()):
        name = path.relative_to(media).as_posix()
        if default_storage.exists(name):
            continue
        with path.open("rb") as content:
            saved = default_storage.save(name, File(content, name=name))
        if saved != name:
            raise BackupError(f"The storage renamed {name!r} to {saved!r}.")


def migration_state() -> tuple[int, list[str]]:
    """Migrations the code has that the database lacks (how many), and the ones the database
    has that the code does not know (a backup made by newer code)."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    unknown = sorted(
        f"{app}.{name}"
        for app, name in executor.loader.applied_migrations
        if (app, name) not in executor.loader.graph.nodes
    )
    return len(pending), unknown
