"""Load the request catalog (catalog.yaml) into the database.

The whole file is parsed and validated first, without touching the database; only then are
teams, redirects, request types and sub-requests upserted in one transaction. Rows of the file
that are no longer in it are deactivated, never deleted (cases keep pointing at them); rows that
admins added (API, UI) are not the file's (`from_catalog_file` is false) and are left alone.
Loading the same file twice changes nothing the second time.

A request type's (or sub-request's) field list is its own `fields`, then the fields of each set
named in `uses`, in that order. Field sets must be self-contained.

Approval roles are upserted by slug and never deactivated or deleted: their members are people
data, kept in the database (`supportdesk user add --approval-role`), not in the file.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.utils.text import slugify

from supportdesk.catalog.definitions import (
    CatalogError,
    validate_approval_steps,
    validate_field_definitions,
)
from supportdesk.catalog.models import NO_RECORD, Redirect, RequestType, SubRequest
from supportdesk.catalog.queries import bump_catalog_version
from supportdesk.people.models import ApprovalRole, Team
from supportdesk.records.models import Kind

DEFAULT_PATH = Path(__file__).resolve().with_name("catalog.yaml")
VERSION = 1

TOP_KEYS = {"version", "teams", "approval_roles", "redirects", "field_sets", "request_types"}
ROLE_KEYS = {"slug", "name", "description"}
TEAM_KEYS = {"name", "aliases", "description"}
REDIRECT_KEYS = {"name", "url", "instructions"}
GROUP_KEYS = {"kinds", "team", "types"}
TYPE_KEYS = {"name", "display", "description", "fields", "uses", "sub_requests", "approvals"}
SUB_KEYS = {"name", "display", "fields", "uses", "approvals"}

Key = tuple[Any, ...]
M = TypeVar("M", bound=models.Model)


# --------------------------------------------------------------------------- what the file says


@dataclass(frozen=True)
class TeamSpec:
    name: str
    aliases: list[str]
    description: str


@dataclass(frozen=True)
class RedirectSpec:
    name: str
    url: str
    instructions: str


@dataclass(frozen=True)
class ApprovalRoleSpec:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class SubRequestSpec:
    name: str
    display_name: str
    fields: list[dict]
    approvals: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class RequestTypeSpec:
    kind: str
    team: str  # the team's canonical name
    name: str
    display_name: str
    description: str
    fields: list[dict]
    position: int
    sub_requests: list[SubRequestSpec]
    approvals: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogSpec:
    teams: list[TeamSpec]
    redirects: list[RedirectSpec]
    request_types: list[RequestTypeSpec]
    approval_roles: list[ApprovalRoleSpec] = field(default_factory=list)


@dataclass(frozen=True)
class StepRules:
    """What approval steps may name: the declared approval roles and the teams' spellings."""

    roles: frozenset[str]
    teams: Mapping[str, str]


# --------------------------------------------------------------------------- what loading did


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0

    @property
    def in_file(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class LoadReport:
    teams: Counts = field(default_factory=Counts)
    redirects: Counts = field(default_factory=Counts)
    request_types: Counts = field(default_factory=Counts)
    sub_requests: Counts = field(default_factory=Counts)
    approval_roles: Counts = field(default_factory=Counts)

    def _all(self) -> dict[str, Counts]:
        return {
            "teams": self.teams,
            "redirects": self.redirects,
            "request types": self.request_types,
            "sub-requests": self.sub_requests,
            "approval roles": self.approval_roles,
        }

    @property
    def created(self) -> int:
        return sum(c.created for c in self._all().values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self._all().values())

    @property
    def deactivated(self) -> int:
        return sum(c.deactivated for c in self._all().values())

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def summary(self) -> str:
        sizes = ", ".join(f"{c.in_file} {label}" for label, c in self._all().items())
        return (
            f"catalog: {sizes} — {self.created} created, {self.updated} updated, "
            f"{self.deactivated} deactivated"
        )

    def details(self) -> list[str]:
        return [
            f"{label}: {c.created} created, {c.updated} updated, {c.deactivated} deactivated, "
            f"{c.unchanged} unchanged"
            for label, c in self._all().items()
        ]

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- entry point


def load_catalog(path: Path | None = None, *, using: str = DEFAULT_DB_ALIAS) -> LoadReport:
    """Validate the catalog file, then bring the database in line with it in one transaction."""
    spec = read_catalog(path or DEFAULT_PATH)
    with transaction.atomic(using=using):
        return write_catalog(spec, using=using)


def read_catalog(path: Path) -> CatalogSpec:
    """Parse and validate a catalog file; raise CatalogError on any problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise CatalogError(f"{path}: cannot read the catalog file ({err.strerror}).") from err
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (_StrictLoader is a SafeLoader)
    except yaml.YAMLError as err:
        raise CatalogError(f"{path}: not valid YAML: {err}") from err
    return parse_catalog(data)


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML's safe loader, refusing a key repeated in one mapping (YAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the safe constructor reports unhashable keys itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is repeated", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# --------------------------------------------------------------------------- parsing


def parse_catalog(data: object) -> CatalogSpec:
    """Turn the loaded YAML into validated specs; nothing here touches the database."""
    root = _mapping(data, where="catalog", allowed=TOP_KEYS, required={"version", "teams"})
    if root["version"] != VERSION:
        raise CatalogError(f"catalog: version {root['version']!r} is not supported ({VERSION}).")
    teams = _parse_teams(root["teams"])
    redirects = _parse_redirects(root.get("redirects") or [])
    field_sets = _parse_field_sets(root.get("field_sets") or {})
    spellings = _team_spellings(teams)
    roles = _parse_approval_roles(root.get("approval_roles") or [])
    rules = StepRules(roles=frozenset(r.slug for r in roles), teams=spellings)
    types = _parse_request_types(root.get("request_types") or [], spellings, field_sets, rules)
    return CatalogSpec(teams=teams, redirects=redirects, request_types=types, approval_roles=roles)


def _parse_teams(raw: object) -> list[TeamSpec]:
    teams: list[TeamSpec] = []
    for i, item in enumerate(_list(raw, where="teams", non_empty=True)):
        entry = _mapping(item, where=f"teams #{i + 1}", allowed=TEAM_KEYS, required={"name"})
        name = _name(entry["name"], where=f"teams #{i + 1}", model=Team)
        aliases = _list(entry.get("aliases") or [], where=f"team {name!r} aliases")
        teams.append(
            TeamSpec(
                name=name,
                aliases=[_name(a, where=f"team {name!r} alias", model=Team) for a in aliases],
                description=_text(entry, "description", where=f"team {name!r}", model=Team),
            )
        )
    _check_team_slugs(teams)
    return teams


def _check_team_slugs(teams: list[TeamSpec]) -> None:
    slugs: dict[str, str] = {}
    limit = Team._meta.get_field("slug").max_length
    for team in teams:
        slug = slugify(team.name)
        if not slug or len(slug) > limit:
            raise CatalogError(f"team {team.name!r}: cannot make a slug from its name.")
        if slug in slugs:
            raise CatalogError(f"teams {slugs[slug]!r} and {team.name!r} have the same slug.")
        slugs[slug] = team.name


def _team_spellings(teams: list[TeamSpec]) -> dict[str, str]:
    """Every name and alias → the team's canonical name; a spelling may mean one team only."""
    spellings: dict[str, str] = {}
    for team in teams:
        for spelling in [team.name, *team.aliases]:
            if spelling in spellings:
                raise CatalogError(f"teams: {spelling!r} names more than one team (or repeats).")
            spellings[spelling] = team.name
    return spellings


def _parse_approval_roles(raw: object) -> list[ApprovalRoleSpec]:
    roles: list[ApprovalRoleSpec] = []
    for i, item in enumerate(_list(raw, where="approval_roles")):
        where = f"approval_roles #{i + 1}"
        entry = _mapping(item, where=where, allowed=ROLE_KEYS, required={"slug", "name"})
        slug = entry["slug"]
        limit = ApprovalRole._meta.get_field("slug").max_length
        if not isinstance(slug, str) or slugify(slug) != slug or not slug or len(slug) > limit:
            raise CatalogError(f"{where}: slug {slug!r} must be a slug (a-z, 0-9, -).")
        where = f"approval role {slug!r}"
        if any(r.slug == slug for r in roles):
            raise CatalogError(f"{where}: listed twice.")
        name = _name(entry["name"], where=where, model=ApprovalRole)
        description = _text(entry, "description", where=where, model=ApprovalRole)
        roles.append(ApprovalRoleSpec(slug=slug, name=name, description=description))
    return roles


def _parse_redirects(raw: object) -> list[RedirectSpec]:
    redirects: list[RedirectSpec] = []
    for i, item in enumerate(_list(raw, where="redirects")):
        where = f"redirects #{i + 1}"
        entry = _mapping(item, where=where, allowed=REDIRECT_KEYS, required={"name"})
        name = _name(entry["name"], where=where, model=Redirect)
        where = f"redirect {name!r}"
        if any(r.name == name for r in redirects):
            raise CatalogError(f"{where}: listed twice.")
        instructions = entry.get("instructions")
        if not isinstance(instructions, str) or not instructions.strip():
            raise CatalogError(f"{where}: instructions are missing.")
        url = _text(entry, "url", where=where, model=Redirect)
        _check_url(url, where=where)
        redirects.append(RedirectSpec(name=name, url=url, instructions=instructions.strip()))
    return redirects


def _check_url(url: str, *, where: str) -> None:
    if not url:
        return
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as err:
        raise CatalogError(f"{where}: {url!r} is not a valid URL.") from err


def _parse_field_sets(raw: object) -> dict[str, list[dict]]:
    sets = _mapping(raw, where="field_sets")
    return {
        str(name): validate_field_definitions(fields, where=f"field set {name!r}")
        for name, fields in sets.items()
    }


def _parse_request_types(
    raw: object,
    spellings: Mapping[str, str],
    field_sets: Mapping[str, list[dict]],
    rules: StepRules,
) -> list[RequestTypeSpec]:
    specs: list[RequestTypeSpec] = []
    seen: set[Key] = set()
    position = 0
    for i, item in enumerate(_list(raw, where="request_types")):
        where = f"request_types #{i + 1}"
        group = _mapping(item, where=where, allowed=GROUP_KEYS, required=GROUP_KEYS)
        kinds = _kinds(group["kinds"], where=where)
        team = _resolve_team(group["team"], spellings, where=where)
        for entry in _list(group["types"], where=f"{where} types", non_empty=True):
            position += 1
            for kind in kinds:
                place = f"{Kind(kind).label if kind else 'No record'} / {group['team']}"
                spec = _parse_type(
                    entry,
                    kind=kind,
                    team=team,
                    place=place,
                    position=position,
                    field_sets=field_sets,
                    rules=rules,
                )
                key = (kind, team, spec.name)
                if key in seen:
                    raise CatalogError(f"{place} / {spec.name}: request type is listed twice.")
                seen.add(key)
                specs.append(spec)
    return specs


NO_RECORD_KIND = "none"  # in the file: a request raised without a record (problem reports)


def _kinds(raw: object, *, where: str) -> list[str]:
    kinds = _list(raw, where=f"{where} kinds", non_empty=True)
    for kind in kinds:
        if kind not in Kind.values and kind != NO_RECORD_KIND:
            known = ", ".join([*Kind.values, NO_RECORD_KIND])
            raise CatalogError(f"{where}: unknown kind {kind!r} (known: {known}).")
    if len(set(kinds)) != len(kinds):
        raise CatalogError(f"{where}: a kind is repeated.")
    return [NO_RECORD if kind == NO_RECORD_KIND else kind for kind in kinds]


def _resolve_team(raw: object, spellings: Mapping[str, str], *, where: str) -> str:
    if not isinstance(raw, str) or raw not in spellings:
        raise CatalogError(f"{where}: unknown team {raw!r}; add it (or an alias) under teams.")
    return spellings[raw]


def _parse_type(
    raw: object,
    *,
    kind: str,
    team: str,
    place: str,
    position: int,
    field_sets: Mapping[str, list[dict]],
    rules: StepRules,
) -> RequestTypeSpec:
    entry = _mapping(raw, where=f"{place} / a request type", allowed=TYPE_KEYS, required={"name"})
    name = _name(entry["name"], where=f"{place} / a request type", model=RequestType)
    where = f"{place} / {name}"
    fields = _fields(entry, where=where, field_sets=field_sets)
    steps = _steps(entry, where=where, fields=fields, rules=rules)
    return RequestTypeSpec(
        kind=kind,
        team=team,
        name=name,
        display_name=_text(entry, "display", where=where, model=RequestType, db="display_name"),
        description=_text(entry, "description", where=where, model=RequestType),
        fields=fields,
        position=position,
        sub_requests=_parse_subs(
            entry,
            where=where,
            inherited=fields,
            field_sets=field_sets,
            rules=rules,
            type_steps=steps,
        ),
        approvals=steps,
    )


def _parse_subs(
    entry: Mapping[str, Any],
    *,
    where: str,
    inherited: list[dict],
    field_sets: Mapping[str, list[dict]],
    rules: StepRules,
    type_steps: list[dict],
) -> list[SubRequestSpec]:
    subs: list[SubRequestSpec] = []
    for item in _list(entry.get("sub_requests") or [], where=f"{where} sub_requests"):
        sub = _mapping(item, where=f"{where} / a sub-request", allowed=SUB_KEYS, required={"name"})
        name = _name(sub["name"], where=f"{where} / a sub-request", model=SubRequest)
        place = f"{where} / {name}"
        if any(s.name == name for s in subs):
            raise CatalogError(f"{place}: sub-request is listed twice.")
        fields = _fields(sub, where=place, field_sets=field_sets, inherited=inherited)
        subs.append(
            SubRequestSpec(
                name=name,
                display_name=_text(
                    sub, "display", where=place, model=SubRequest, db="display_name"
                ),
                fields=fields,
                approvals=_steps(
                    sub, where=place, fields=[*inherited, *fields], rules=rules, after=type_steps
                ),
            )
        )
    return subs


def _steps(
    entry: Mapping[str, Any],
    *,
    where: str,
    fields: list[dict],
    rules: StepRules,
    after: list[dict] | None = None,
) -> list[dict]:
    """The entry's approval steps, validated; a sub-request's come `after` its type's."""
    return validate_approval_steps(
        entry.get("approvals") or [],
        where=where,
        fields=fields,
        roles=rules.roles,
        teams=rules.teams,
        inherited=after or (),
    )


def _fields(
    entry: Mapping[str, Any],
    *,
    where: str,
    field_sets: Mapping[str, list[dict]],
    inherited: list[dict] | None = None,
) -> list[dict]:
    """The entry's own fields followed by those of its `uses` sets, validated as one list."""
    own = _list(entry.get("fields") or [], where=f"{where} fields")
    combined = list(own)
    for set_name in _list(entry.get("uses") or [], where=f"{where} uses"):
        if set_name not in field_sets:
            raise CatalogError(f"{where}: uses unknown field set {set_name!r}.")
        combined.extend(field_sets[set_name])
    return validate_field_definitions(combined, where=where, inherited=inherited or ())


# --------------------------------------------------------------------------- small checks


def _mapping(
    raw: object, *, where: str, allowed: set[str] | None = None, required: set[str] = frozenset()
) -> dict:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected a mapping, found {type(raw).__name__}.")
    unknown = set(raw) - allowed if allowed is not None else set()
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}.")
    missing = required - set(raw)
    if missing:
        raise CatalogError(f"{where}: missing key(s) {', '.join(sorted(missing))}.")
    return raw


def _list(raw: object, *, where: str, non_empty: bool = False) -> list:
    if not isinstance(raw, list):
        raise CatalogError(f"{where}: expected a list, found {type(raw).__name__}.")
    if non_empty and not raw:
        raise CatalogError(f"{where}: the list is empty.")
    return raw


def _name(raw: object, *, where: str, model: type[models.Model]) -> str:
    limit = model._meta.get_field("name").max_length
    if not isinstance(raw, str) or not raw.strip() or raw != raw.strip():
        raise CatalogError(f"{where}: name {raw!r} must be non-empty text without outer spaces.")
    if len(raw) > limit:
        raise CatalogError(f"{where}: name {raw!r} is longer than {limit} characters.")
    return raw


def _text(
    entry: Mapping[str, Any], key: str, *, where: str, model: type[models.Model], db: str = ""
) -> str:
    value = entry.get(key) or ""
    if not isinstance(value, str):
        raise CatalogError(f"{where}: {key} must be text.")
    limit = model._meta.get_field(db or key).max_length
    if limit is not None and len(value) > limit:
        raise CatalogError(f"{where}: {key} is longer than {limit} characters.")
    return value.strip()


# --------------------------------------------------------------------------- writing


def write_catalog(spec: CatalogSpec, *, using: str = DEFAULT_DB_ALIAS) -> LoadReport:
    """Upsert every row of a validated catalog and deactivate the rest (call inside atomic)."""
    report = LoadReport()
    teams, report.teams = _sync_teams(spec.teams, using=using)
    _, report.redirects = _sync(
        Redirect,
        {
            (r.name,): {"name": r.name, "url": r.url, "instructions": r.instructions}
            | {"position": i, "is_active": True}
            for i, r in enumerate(spec.redirects)
        },
        key=lambda obj: (obj.name,),
        using=using,
    )
    types, report.request_types = _sync(
        RequestType,
        {_type_key(t, teams): _type_values(t, teams) for t in spec.request_types},
        key=lambda obj: (obj.kind, obj.team_id, obj.name),
        using=using,
    )
    _, report.sub_requests = _sync(
        SubRequest,
        _sub_rows(spec.request_types, teams, types),
        key=lambda obj: (obj.request_type_id, obj.name),
        using=using,
    )
    report.approval_roles = _sync_approval_roles(spec.approval_roles, using=using)
    transaction.on_commit(bump_catalog_version, using=using)
    return report


def _sync_approval_roles(specs: list[ApprovalRoleSpec], *, using: str) -> Counts:
    """Create or update the roles of the file; others stay, with their members."""
    manager = ApprovalRole.objects.db_manager(using)
    existing = {r.slug: r for r in manager.filter(slug__in=[s.slug for s in specs])}
    counts, new, changed = Counts(), [], []
    for spec in specs:
        role = existing.get(spec.slug)
        if role is None:
            new.append(ApprovalRole(slug=spec.slug, name=spec.name, description=spec.description))
        elif (role.name, role.description) != (spec.name, spec.description):
            role.name, role.description = spec.name, spec.description
            changed.append(role)
        else:
            counts.unchanged += 1
    manager.bulk_create(new)
    if changed:
        manager.bulk_update(changed, ["name", "description"])
    counts.created, counts.updated = len(new), len(changed)
    return counts


def _sync_teams(specs: list[TeamSpec], *, using: str) -> tuple[dict[Key, Team], Counts]:
    rows = {
        (t.name,): {
            "name": t.name,
            "slug": slugify(t.name),
            "aliases": list(t.aliases),
            "description": t.description,
            "position": i,
            "is_active": True,
        }
        for i, t in enumerate(specs)
    }
    taken = Team.objects.using(using).exclude(name__in=[t.name for t in specs])
    clash = taken.filter(slug__in=[row["slug"] for row in rows.values()]).first()
    if clash is not None:
        raise CatalogError(f"team {clash.name!r} in the database already uses slug {clash.slug!r}.")
    return _sync(Team, rows, key=lambda obj: (obj.name,), using=using)


def _type_key(spec: RequestTypeSpec, teams: Mapping[Key, Team]) -> Key:
    return (spec.kind, teams[(spec.team,)].pk, spec.name)


def _type_values(spec: RequestTypeSpec, teams: Mapping[Key, Team]) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "team_id": teams[(spec.team,)].pk,
        "name": spec.name,
        "display_name": spec.display_name,
        "description": spec.description,
        "fields": spec.fields,
        "approvals": spec.approvals,
        "position": spec.position,
        "is_active": True,
    }


def _sub_rows(
    specs: list[RequestTypeSpec], teams: Mapping[Key, Team], types: Mapping[Key, RequestType]
) -> dict[Key, dict[str, Any]]:
    rows: dict[Key, dict[str, Any]] = {}
    for spec in specs:
        type_id = types[_type_key(spec, teams)].pk
        for position, sub in enumerate(spec.sub_requests):
            rows[(type_id, sub.name)] = {
                "request_type_id": type_id,
                "name": sub.name,
                "display_name": sub.display_name,
                "fields": sub.fields,
                "approvals": sub.approvals,
                "position": position,
                "is_active": True,
            }
    return rows


def _sync(
    model: type[M],
    rows: Mapping[Key, dict[str, Any]],
    *,
    key: Callable[[M], Key],
    using: str,
) -> tuple[dict[Key, M], Counts]:
    """Create, update (only what differs) and deactivate rows of one model; one read query.

    Every row of the file is marked `from_catalog_file`; only rows so marked are deactivated
    when the file no longer has them, so rows added by admins (API, UI) stay as they are."""
    manager = model._default_manager.db_manager(using)
    existing = {key(obj): obj for obj in manager.order_by()}
    counts = Counts()
    to_create: list[M] = []
    to_update: list[M] = []
    changed_fields: set[str] = set()
    for row_key, file_values in rows.items():
        values = file_values | {"from_catalog_file": True}
        obj = existing.get(row_key)
        if obj is None:
            to_create.append(model(**values))
            continue
        changes = {name: v for name, v in values.items() if getattr(obj, name) != v}
        for name, value in changes.items():
            setattr(obj, name, value)
        if changes:
            to_update.append(obj)
            changed_fields.update(changes)
        else:
            counts.unchanged += 1
    stale = [
        obj.pk
        for row_key, obj in existing.items()
        if row_key not in rows and obj.is_active and obj.from_catalog_file
    ]
    manager.bulk_create(to_create)
    if to_update:
        manager.bulk_update(to_update, sorted(changed_fields))
    if stale:
        manager.filter(pk__in=stale).update(is_active=False)
    counts.created, counts.updated, counts.deactivated = len(to_create), len(to_update), len(stale)
    return _saved(manager, rows, existing, to_create, key=key), counts


def _saved(
    manager: models.Manager[M],
    rows: Mapping[Key, Any],
    existing: Mapping[Key, M],
    created: list[M],
    *,
    key: Callable[[M], Key],
) -> dict[Key, M]:
    """The rows of the file by key, with primary keys (re-read if bulk_create gave none)."""
    if any(obj.pk is None for obj in created):
        return {key(obj): obj for obj in manager.order_by() if key(obj) in rows}
    return {k: existing[k] for k in rows if k in existing} | {key(obj): obj for obj in created}
