"""Importing CRM records from a Salesforce-style CSV export (`supportdesk import-records`).

Usage (`import_records` works too, it is the Django command's own name)::

    supportdesk import-records accounts.csv --kind customer_account
    supportdesk import-records opportunities.csv --kind opportunity [--mapping mapping.yaml]
        [--dry-run] [--batch-size 500] [--rejects PATH] [--show-mapping]

or from code: `import_records(path_or_text_file, kind=..., mapping=load_mapping(kind, path))`,
which answers an `ImportSummary`.

**Import order: accounts first.** Opportunities, contacts, deal registrations… name their parent
account by its CRM id (`AccountId`, `Partner_Account__c`); it is found among existing customer
and partner account records and among earlier rows of the same file. An account that is not
there yet leaves the record without an account and is listed as an unresolved reference, so
import `customer_account` and `partner_account` files first (re-running a file is harmless).

**Mappings.** Each kind has a default mapping (`import_mappings.DEFAULT_MAPPINGS`, printed by
`--show-mapping`) from export columns to the record's fields and attributes. Every kind maps
`Id` → external id, `Name` → name and the owner from `Owner.Email`, `OwnerEmail`,
`Owner.Username`, `OwnerUsername` or `OwnerId` (the first non-empty one). The attributes are
the names the app reads (`cases.priority_rules`, the record page, the demo data), e.g. for
opportunities `StageName` → `stage`, `Amount` → `amount` (a number kept as text),
`CloseDate` → `close_date` and `Renewal_Date__c` → `renewal_date` (ISO dates), `Type` →
`order_type`; for accounts `Segment__c` → `segment`, `NumberOfEmployees` → `employee_count`,
`Renewal_Date__c` → `renewal_date`, and the parent account from `ParentId`. `--mapping`
extends the default (see `import_mappings`); null drops a default entry::

    fields: {Owner_Login__c: owner, OwnerId: null}
    attributes: {Region__c: region, Probability: null}
    types: {region: null}

**Rows.** Records are upserted by external id (a 15- and an 18-character Salesforce id of the
same record match each other). A row whose values equal the stored ones is `unchanged` and not
written, so re-running a file changes nothing. Attributes the file has no column for are kept;
an empty cell removes its attribute, and an empty owner or account cell clears it. An owner
(a username, or a user's email) or account that cannot be resolved is reported and leaves the
stored one as it is (none for a new record); the row is still imported.

A row is rejected, with the reason in the rejects CSV (the original columns and
`reject_reason`; `FILE.rejects.csv` by default, written in dry runs too), when it has no id or
no name, a too long one, a date or number that does not read, not as many cells as the header,
the id of an earlier row, or the id of a record of another kind. Rows are written in batches
(500 by default), each all or nothing: a database error rolls back its batch only and rejects
the batch's rows. `--dry-run` reads and checks everything and writes nothing.

Files are UTF-8, with or without a byte-order mark; empty cells mean empty values. Progress
(rows, rows/s, ETA) goes to stderr, rewritten in place on a terminal; `-v 0` turns it off.
"""

from __future__ import annotations

import contextlib
import csv
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils import timezone

from supportdesk.records.import_mappings import ColumnMapping, mapping_for
from supportdesk.records.import_values import id_key, parse_cell
from supportdesk.records.importing_batch import Batch, Row
from supportdesk.records.models import Kind

BATCH_SIZE = 500
REASON_COLUMN = "reject_reason"
Progress = Callable[[int, int], None]  # (rows done, rows in the file or 0 when unknown)


class ImportFileError(ValueError):
    """The file cannot be imported at all (unreadable, no header, no id or name column)."""


@dataclass(frozen=True)
class Reject:
    line: int
    cells: list[str]
    reason: str


@dataclass(frozen=True)
class Unresolved:
    line: int
    external_id: str
    field: str  # "owner" or "account"
    value: str
    reason: str


@dataclass
class ImportSummary:
    kind: str
    dry_run: bool
    columns: list[str] = field(default_factory=list)
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejects)


def import_records(
    source: str | Path | IO[str],
    *,
    kind: str,
    mapping: ColumnMapping | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportSummary:
    """Upsert the records of a CSV export (a path, or a text file opened with newline="")."""
    if kind not in Kind.values:
        raise ValueError(f"Unknown kind “{kind}”; choose one of {', '.join(Kind.values)}.")
    mapping = mapping or mapping_for(kind)
    summary = ImportSummary(kind=kind, dry_run=dry_run)
    with _opened(source) as stream:
        total = _count_rows(stream)
        rows = csv.reader(stream)
        header = [cell.strip() for cell in next(rows, [])]
        if _blank(header):
            raise ImportFileError("The file has no header row (it is empty or starts blank).")
        header[0] = header[0].removeprefix("\ufeff")
        summary.columns = header
        reader = _RowReader(header, mapping)
        state = Batch.State(kind=kind, dry_run=dry_run)
        for chunk in _chunks(rows, batch_size):
            batch = Batch(state, mapping)
            for line, cells in chunk:
                summary.total += 1
                parsed = reader.read(line, cells)
                if isinstance(parsed, str):
                    summary.rejects.append(Reject(line, cells, parsed))
                else:
                    batch.add(parsed)
            result = batch.run(timezone.now())
            summary.created += result.created
            summary.updated += result.updated
            summary.unchanged += result.unchanged
            summary.rejects.extend(Reject(r.line, r.cells, reason) for r, reason in result.rejects)
            summary.unresolved.extend(Unresolved(*u) for u in result.unresolved)
            if progress:
                progress(summary.total, total)
    summary.rejects.sort(key=lambda r: r.line)
    return summary


@contextlib.contextmanager
def _opened(source: str | Path | IO[str]) -> Iterator[IO[str]]:
    if not isinstance(source, str | Path):
        yield source
        return
    try:
        with open(source, encoding="utf-8-sig", newline="") as stream:
            yield stream
    except OSError as err:
        raise ImportFileError(f"Cannot read {source}: {err.strerror}.") from None
    except UnicodeDecodeError as err:
        raise ImportFileError(f"{source} is not UTF-8 text ({err.reason}).") from None
    except csv.Error as err:
        raise ImportFileError(f"{source} is not a readable CSV file ({err}).") from None


def _count_rows(stream: IO[str]) -> int:
    """Data rows of a seekable file (0 when it is not); reading it first also finds encoding
    errors before anything is written."""
    if not stream.seekable():
        return 0
    start = stream.tell()
    count = sum(1 for cells in csv.reader(stream) if not _blank(cells))
    stream.seek(start)
    return max(count - 1, 0)


def _blank(cells: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _chunks(rows: Any, size: int) -> Iterator[list[tuple[int, list[str]]]]:
    """Non-blank rows with their line number (of the row's last line), `size` at a time."""
    chunk: list[tuple[int, list[str]]] = []
    for cells in rows:
        if _blank(cells):
            continue
        chunk.append((rows.line_num, cells))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _RowReader:
    """Turns a row's cells into a `Row`, or the reason it is rejected."""

    def __init__(self, header: list[str], mapping: ColumnMapping):
        self.header, self.mapping = header, mapping
        self.index = {name: i for i, name in reversed(list(enumerate(header)))}
        for target in ("external_id", "name"):
            column = mapping.columns_for(target)[0]
            if column not in self.index:
                raise ImportFileError(f"The file has no “{column}” column (the {target}).")
        self.owner_columns = [c for c in mapping.columns_for("owner") if c in self.index]
        self.account_columns = [c for c in mapping.columns_for("account") if c in self.index]
        self.attributes = {c: key for c, key in mapping.attributes.items() if c in self.index}
        self.seen: dict[str, int] = {}

    def cell(self, cells: Sequence[str], column: str) -> str:
        i = self.index[column]
        return cells[i].strip() if i < len(cells) else ""

    def first(self, cells: Sequence[str], columns: list[str]) -> tuple[str, str] | None:
        """(column, value) of the first non-empty column; ("", "") when all are empty; None
        when the file has none of them (the field is left alone)."""
        if not columns:
            return None
        return next(((c, v) for c in columns if (v := self.cell(cells, c))), ("", ""))

    def read(self, line: int, cells: list[str]) -> Row | str:
        if len(cells) != len(self.header):
            return f"The row has {len(cells)} cells; the header has {len(self.header)}."
        id_column = self.mapping.columns_for("external_id")[0]
        name_column = self.mapping.columns_for("name")[0]
        external_id, name = self.cell(cells, id_column), self.cell(cells, name_column)
        if not external_id:
            return f"No {id_column}."
        if not name:
            return f"No {name_column}."
        if len(external_id) > Row.EXTERNAL_ID_MAX:
            return f"{id_column} is longer than {Row.EXTERNAL_ID_MAX} characters."
        if len(name) > Row.NAME_MAX:
            return f"{name_column} is longer than {Row.NAME_MAX} characters."
        key = id_key(external_id)
        if key in self.seen:
            return f"{id_column} {external_id} is also on line {self.seen[key]}."
        attributes, cleared = {}, set()
        for column, attribute in self.attributes.items():
            text = self.cell(cells, column)
            if not text:
                cleared.add(attribute)
                continue
            try:
                attributes[attribute] = parse_cell(text, self.mapping.types.get(attribute))
            except ValueError as err:
                return f"{column}: {err}."
        self.seen[key] = line
        return Row(
            line=line,
            cells=cells,
            external_id=external_id,
            name=name,
            owner=self.first(cells, self.owner_columns),
            account=self.first(cells, self.account_columns),
            attributes=attributes,
            cleared=cleared - set(attributes),
        )


def default_rejects_path(source: str | Path) -> Path:
    """FILE.rejects.csv beside the input (opportunities.csv → opportunities.rejects.csv)."""
    path = Path(source)
    return path.with_name(f"{path.stem}.rejects.csv")


def write_rejects(path: str | Path, summary: ImportSummary) -> None:
    """The rejected rows, their cells under the file's header, and `reject_reason`."""
    width = len(summary.columns)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow([*summary.columns, REASON_COLUMN])
        for reject in summary.rejects:
            cells = [*reject.cells[:width], *[""] * (width - len(reject.cells))]
            writer.writerow([*cells, reject.reason])


def progress_printer(write: Callable[[str], None], *, tty: bool) -> Progress:
    """A `Progress` that writes "done/total rows, rows/s, ETA": on a terminal one line
    rewritten in place; otherwise a plain line at each quarter of the file (or every 10 s
    when the total is unknown) and at the end."""
    started, shown = time.monotonic(), {"at": -math.inf, "step": -1}

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        rate = done / max(now - started, 1e-6)
        finished = bool(total) and done >= total
        step = done * 4 // total if total else -1
        if not tty and not finished:
            due = step > shown["step"] if total else now - shown["at"] >= 10
            if not due:
                return
        shown["at"], shown["step"] = now, step
        eta = "?" if not total or not rate else _duration((total - done) / rate)
        of = f"{total:,}" if total else "?"
        text = f"{done:,}/{of} rows  {rate:,.0f} rows/s  ETA {eta}"
        if tty:
            write(f"\r{text}\x1b[K" + ("\n" if finished else ""))
        else:
            write(text + "\n")

    return report


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
