"""One batch of an import (`records.importing`): a few bulk reads, then all or nothing writes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from supportdesk.cases.models import Case
from supportdesk.records.import_mappings import ColumnMapping
from supportdesk.records.import_values import id_forms, id_key
from supportdesk.records.models import ACCOUNT_KINDS, Kind, Record
from supportdesk.search.documents import index_cases

UPDATED_FIELDS = ["name", "owner", "account", "attributes", "updated_at"]


@dataclass
class Row:
    """A valid row of the file. `owner` and `account` are (column, value) of the first
    non-empty mapped column, ("", "") when all are empty, None when the file has none."""

    NAME_MAX: ClassVar[int] = Record._meta.get_field("name").max_length
    EXTERNAL_ID_MAX: ClassVar[int] = Record._meta.get_field("external_id").max_length

    line: int
    cells: list[str]
    external_id: str
    name: str
    owner: tuple[str, str] | None
    account: tuple[str, str] | None
    attributes: dict[str, Any]
    cleared: set[str]


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[tuple[Row, str]] = field(default_factory=list)
    # (line, external id, field, value, reason)
    unresolved: list[tuple[int, str, str, str, str]] = field(default_factory=list)


class _ById:
    """Records found by id: the exact id first, else the other form of a Salesforce id."""

    def __init__(self, records: Iterable[Record]):
        self.exact: dict[str, Record] = {}
        self.by_key: dict[str, Record] = {}
        for record in records:
            self.exact[record.external_id] = record
            self.by_key.setdefault(id_key(record.external_id), record)

    def get(self, external_id: str) -> Record | None:
        return self.exact.get(external_id) or self.by_key.get(id_key(external_id))


def _records(ids: Iterable[str], *fields: str) -> _ById:
    forms = {form for external_id in ids for form in id_forms(external_id)}
    if not forms:
        return _ById([])
    records = Record.objects.filter(external_id__in=forms)
    return _ById(records.only(*fields) if fields else records)


def _owners(refs: set[str]) -> dict[str, tuple[int | None, str]]:
    """Each reference → (user id, "") or (None, why not): a username, else an email."""
    if not refs:
        return {}
    User = get_user_model()
    emails = {ref.lower() for ref in refs if "@" in ref}
    users = (
        User.objects.annotate(email_lower=Lower("email"))
        .filter(Q(**{f"{User.USERNAME_FIELD}__in": refs}) | Q(email_lower__in=emails))
        .only("pk", User.USERNAME_FIELD, "email", "is_active")
    )
    by_username, by_email = {}, defaultdict(list)
    for user in users:
        by_username[user.get_username()] = user.pk
        by_email[(user.email or "").lower()].append(user)
    found: dict[str, tuple[int | None, str]] = {}
    for ref in refs:
        candidates = by_email.get(ref.lower(), [])
        active = [u for u in candidates if u.is_active] or candidates
        if ref in by_username:
            found[ref] = by_username[ref], ""
        elif len(active) == 1:
            found[ref] = active[0].pk, ""
        elif active:
            found[ref] = None, f"{len(active)} users have this email"
        else:
            found[ref] = None, "no user has this email or username"
    return found


class Batch:
    @dataclass
    class State:
        """What carries over from batch to batch."""

        kind: str
        dry_run: bool
        accounts_in_file: set[str] = field(default_factory=set)  # id keys of account rows

    def __init__(self, state: Batch.State, mapping: ColumnMapping):
        self.state, self.mapping = state, mapping
        self.rows: list[Row] = []

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def run(self, now: dt.datetime) -> BatchResult:
        """Plan every row from three bulk reads, then write the batch (unless a dry run)."""
        result = BatchResult()
        if not self.rows:
            return result
        self.existing = _records(r.external_id for r in self.rows)
        self.owners = _owners({r.owner[1] for r in self.rows if r.owner and r.owner[1]})
        refs = {r.account[1] for r in self.rows if r.account and r.account[1]}
        self.accounts = _records(refs, "pk", "external_id", "kind")
        self.new: list[Record] = []
        self.changed: list[Record] = []
        self.pending: list[tuple[Record, str]] = []  # (record, id key of its account in this batch)
        self.renamed: list[int] = []
        self.added_accounts: set[str] = set()
        planned = [row for row in self.rows if self._plan(row, result, now)]
        if self.state.dry_run or not (self.new or self.changed):
            return result
        try:
            self._write()
        except DatabaseError as err:
            self.state.accounts_in_file -= self.added_accounts
            lines = f"{self.rows[0].line}–{self.rows[-1].line}"
            reason = f"Not imported: saving the batch of lines {lines} failed ({err})."
            return BatchResult(
                rejects=[*result.rejects, *((row, reason) for row in planned)],
            )
        return result

    def _plan(self, row: Row, result: BatchResult, now: dt.datetime) -> bool:
        """Count the row as created, updated or unchanged (or reject it); False if rejected."""
        kind, record = self.state.kind, self.existing.get(row.external_id)
        if record is not None and record.kind != kind:
            other, label = record.get_kind_display(), Kind(kind).label
            reason = f"{record.external_id} is a {other} record, not a record of kind {label}."
            result.rejects.append((row, reason))
            return False
        owner_id = self._owner(row, record, result)
        account_id, pending = self._account(row, record, result)
        stored = record.attributes if record is not None else None
        attributes = dict(stored) if isinstance(stored, dict) else {}
        attributes.update(row.attributes)
        for key in row.cleared:
            attributes.pop(key, None)
        values = {"name": row.name, "owner_id": owner_id, "account_id": account_id}
        if record is None:
            record = Record(kind=kind, external_id=row.external_id, created_at=now, **values)
            record.attributes = attributes
            self.new.append(record)
            result.created += 1
        elif (
            pending is None
            and attributes == record.attributes
            and all(getattr(record, name) == value for name, value in values.items())
        ):
            result.unchanged += 1
        else:
            if record.name != row.name:
                self.renamed.append(record.pk)
            for name, value in values.items():
                setattr(record, name, value)
            record.attributes, record.updated_at = attributes, now
            self.changed.append(record)
            result.updated += 1
        if pending:
            self.pending.append((record, pending))
        if kind in ACCOUNT_KINDS:
            key = id_key(row.external_id)
            self.added_accounts.add(key)
            self.state.accounts_in_file.add(key)
        return True

    def _owner(self, row: Row, record: Record | None, result: BatchResult) -> int | None:
        current = record.owner_id if record else None
        if row.owner is None:
            return current
        if not (ref := row.owner[1]):
            return None
        owner_id, reason = self.owners[ref]
        if owner_id is None:
            result.unresolved.append((row.line, row.external_id, "owner", ref, reason))
            return current
        return owner_id

    def _account(
        self, row: Row, record: Record | None, result: BatchResult
    ) -> tuple[int | None, str | None]:
        """(account id, None), or (the current one, id key of an earlier row of this file
        that is not saved yet: set once it is)."""
        current = record.account_id if record else None
        if row.account is None:
            return current, None
        if not (ref := row.account[1]):
            return None, None
        found, key = self.accounts.get(ref), id_key(ref)
        if found is not None and found.kind in ACCOUNT_KINDS:
            return found.pk, None
        if found is not None:
            reason = f"{ref} is a {found.get_kind_display()}, not an account"
        elif key == id_key(row.external_id):
            reason = "a record cannot be its own account"
        elif key in self.state.accounts_in_file:
            return current, key
        else:
            reason = "no account has this id (import accounts first)"
        result.unresolved.append((row.line, row.external_id, "account", ref, reason))
        return current, None

    def _write(self) -> None:
        with transaction.atomic():
            Record.objects.bulk_create(self.new)
            Record.objects.bulk_update(self.changed, UPDATED_FIELDS)
            if self.pending:
                saved = {id_key(r.external_id): r.pk for r in self.new}
                for record, key in self.pending:
                    record.account_id = saved.get(key, record.account_id)
                Record.objects.bulk_update([record for record, _ in self.pending], ["account"])
            if self.renamed:  # their cases are found by the record's name (search.documents)
                index_cases(Case.objects.filter(record__in=self.renamed))
