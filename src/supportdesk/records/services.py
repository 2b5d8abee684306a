"""Every write a user can cause on records: upsert from the CRM, share with a user or a team.

People and accounts are named the way the CRM and scripts name them (username, external id,
team name or alias); these functions resolve the names and answer field-level errors, so the
API, a CSV import and the admin all report the same reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from supportdesk.cases.models import Case
from supportdesk.people.models import Team
from supportdesk.people.queries import teams_by_name
from supportdesk.records.models import ACCOUNT_KINDS, Kind, Record, RecordShare
from supportdesk.search.documents import index_cases

NAME_MAX = Record._meta.get_field("name").max_length
EXTERNAL_ID_MAX = Record._meta.get_field("external_id").max_length


class RecordError(Exception):
    """A record write that is not allowed; the message is for the user."""


class RecordActionForbidden(RecordError):
    """The acting user may not do this to records (the API answers 403)."""


class RecordInvalid(RecordError):
    """Field-level errors: {field: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The record has errors.")
        self.errors = errors


@dataclass(frozen=True)
class UpsertResult:
    record: Record
    created: bool


@dataclass(frozen=True)
class ShareResult:
    share: RecordShare
    created: bool


def _owner_named(username: str | None, errors: dict[str, list[str]]) -> AbstractBaseUser | None:
    if not username:
        return None
    User = get_user_model()
    owner = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
    if owner is None:
        errors["owner"] = [f"There is no user called “{username}”."]
    return owner


def _account_named(
    external_id: str | None, *, of: str, errors: dict[str, list[str]]
) -> Record | None:
    if not external_id:
        return None
    if external_id == of:
        errors["account"] = ["A record cannot be its own account."]
        return None
    account = Record.objects.filter(external_id=external_id).first()
    if account is None:
        errors["account"] = [f"There is no record with the id “{external_id}”."]
    elif account.kind not in ACCOUNT_KINDS:
        kinds = " or ".join(str(k.label) for k in ACCOUNT_KINDS)
        errors["account"] = [f"“{external_id}” is a {account.get_kind_display()}, not a {kinds}."]
        return None
    return account


def _check_record_fields(
    *, kind: str, name: str, external_id: str, attributes: Any
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = ["Choose one of " + ", ".join(Kind.values) + "."]
    if not name:
        errors["name"] = ["Give the record a name."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Keep the name under {NAME_MAX} characters."]
    if not external_id:
        errors["external_id"] = ["Give the CRM's id of the record."]
    elif len(external_id) > EXTERNAL_ID_MAX:
        errors["external_id"] = [f"Keep the id under {EXTERNAL_ID_MAX} characters."]
    if not isinstance(attributes, Mapping):
        errors["attributes"] = ["Give the attributes as an object."]
    return errors


@transaction.atomic
def record_upsert(
    actor: AbstractBaseUser,
    *,
    kind: str,
    name: str,
    external_id: str,
    owner: str | None = None,
    account: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> UpsertResult:
    """Create the record with this external id, or replace its fields; ops admins only.

    `owner` is a username and `account` the external id of an account record; None clears them.
    """
    if not (actor.is_active and actor.is_staff):
        raise RecordActionForbidden("Only ops admins can create or update records.")
    name, external_id = name.strip(), external_id.strip()
    attributes = {} if attributes is None else attributes
    errors = _check_record_fields(
        kind=kind, name=name, external_id=external_id, attributes=attributes
    )
    owner_user = _owner_named(owner, errors)
    account_record = _account_named(account, of=external_id, errors=errors)
    if errors:
        raise RecordInvalid(errors)
    before = Record.objects.filter(external_id=external_id).values_list("name", flat=True).first()
    record, created = Record.objects.update_or_create(
        external_id=external_id,
        defaults={
            "kind": kind,
            "name": name,
            "owner": owner_user,
            "account": account_record,
            "attributes": dict(attributes),
        },
    )
    if not created and before != name:  # its cases are found by its name (search.documents)
        index_cases(Case.objects.filter(record=record))
    return UpsertResult(record, created)


def _share_target(
    user: str | None, team: str | None
) -> tuple[AbstractBaseUser | None, Team | None, dict[str, list[str]]]:
    if bool(user) == bool(team):
        message = "Give either a user or a team (exactly one)."
        return None, None, {"user": [message], "team": [message]}
    if user:
        User = get_user_model()
        found = User.objects.filter(**{User.USERNAME_FIELD: user}, is_active=True).first()
        if found is None:
            return None, None, {"user": [f"There is no active user called “{user}”."]}
        return found, None, {}
    found_team = teams_by_name(team or "")
    if found_team is None:
        return None, None, {"team": [f"There is no team called “{team}”."]}
    return None, found_team, {}


def may_share(actor: AbstractBaseUser, record: Record) -> bool:
    """Whether `actor` may see and change who a record is shared with: its owner, ops admins."""
    return actor.is_active and (actor.is_staff or record.owner_id == actor.pk)


@transaction.atomic
def share_set(
    actor: AbstractBaseUser,
    *,
    record: Record,
    level: str,
    user: str | None = None,
    team: str | None = None,
) -> ShareResult:
    """Give a user (by username) or a team (by name or alias) read or edit access to a record.

    Only the record's owner or an ops admin may share it; sharing again changes the level.
    """
    if not may_share(actor, record):
        raise RecordActionForbidden("Only the record's owner or an ops admin can share it.")
    share_user, share_team, errors = _share_target(user, team)
    if level not in RecordShare.Level.values:
        errors["level"] = ["Choose one of " + ", ".join(RecordShare.Level.values) + "."]
    if errors:
        raise RecordInvalid(errors)
    share, created = RecordShare.objects.update_or_create(
        record=record,
        user=share_user,
        team=share_team,
        defaults={"level": level},
    )
    return ShareResult(share, created)
