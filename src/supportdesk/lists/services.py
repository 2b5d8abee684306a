"""Every change to list views, and the "Recently Viewed" trail. Keyword-only, checked here.

Who may do what: the owner changes, renames and deletes a view; everyone who sees a view
may clone it; only admins publish a view to everyone (and may then maintain it). Views are
shared with teams the owner belongs to (admins: any team).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from supportdesk.cases.models import Case
from supportdesk.lists.builtins import BuiltinView
from supportdesk.lists.columns import Catalog, parse_columns, parse_sort, sort_param
from supportdesk.lists.filters import parse_filters
from supportdesk.lists.models import ListView, RecentView, Visibility
from supportdesk.lists.queries import can_edit_view
from supportdesk.people.models import Team
from supportdesk.people.queries import team_ids_of

NAME_MAX = 100


class ViewInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("The view has errors.")
        self.errors = errors


class ViewNotAllowed(Exception):
    pass


def _definition(
    actor: AbstractBaseUser, *, filters: Any, columns: Any, sort: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validated {filters, columns, sort} as stored (canonical), and the errors."""
    errors: dict[str, list[str]] = {}
    if not isinstance(filters, dict):
        errors["filters"] = ["Give the filters as an object of query parameters."]
        filters = {}
    parsed = parse_filters(filters, user=actor, strict=True)
    errors |= {f"filters.{name}": messages for name, messages in parsed.errors.items()}
    catalog = Catalog()
    chosen, column_errors = parse_columns(columns, catalog)
    keys, sort_errors = parse_sort(sort, catalog)
    if column_errors:
        errors["columns"] = column_errors
    if sort_errors:
        errors["sort"] = sort_errors
    stored = {
        "filters": parsed.params,
        "columns": [c.key for c in chosen],
        "sort": sort_param(keys),
    }
    return stored, errors


def _sharing(
    actor: AbstractBaseUser, visibility: str, teams: Iterable[Team]
) -> tuple[list[Team], dict[str, list[str]]]:
    teams = list(dict.fromkeys(teams))
    if visibility not in Visibility.values:
        return teams, {"visibility": [f"Choose one of {', '.join(Visibility.values)}."]}
    if visibility == Visibility.EVERYONE and not actor.is_staff:
        return teams, {"visibility": ["Only an admin can publish a view to everyone."]}
    if visibility != Visibility.TEAMS:
        return [], {}
    if not teams:
        return teams, {"teams": ["Choose the team(s) that may see the view."]}
    foreign = [t.name for t in teams if not actor.is_staff and t.pk not in team_ids_of(actor)]
    if foreign:
        return teams, {"teams": [f"You are not a member of {', '.join(foreign)}."]}
    return teams, {}


def _name(name: str) -> tuple[str, list[str]]:
    name = " ".join((name or "").split())
    if not name:
        return name, ["Give the view a name."]
    if len(name) > NAME_MAX:
        return name, [f"Keep the name to {NAME_MAX} characters."]
    return name, []


def _save(view: ListView, teams: list[Team] | None) -> ListView:
    """Save, turning a duplicate name into a field error."""
    try:
        with transaction.atomic():
            view.save()
            if teams is not None:
                view.teams.set(teams)
    except IntegrityError:
        raise ViewInvalid({"name": ["You already have a view with this name."]}) from None
    return view


def create_view(
    *,
    owner: AbstractBaseUser,
    name: str,
    visibility: str = Visibility.PRIVATE,
    teams: Iterable[Team] = (),
    filters: Any,
    columns: Any,
    sort: Any,
) -> ListView:
    stored, errors = _definition(owner, filters=filters, columns=columns, sort=sort)
    name, name_errors = _name(name)
    chosen, sharing_errors = _sharing(owner, visibility, teams)
    errors |= {"name": name_errors} if name_errors else {}
    if errors := errors | sharing_errors:
        raise ViewInvalid(errors)
    view = ListView(owner=owner, name=name, visibility=visibility, **stored)
    return _save(view, chosen)


def update_view(
    view: ListView,
    *,
    actor: AbstractBaseUser,
    name: str | None = None,
    visibility: str | None = None,
    teams: Iterable[Team] | None = None,
    filters: Any = None,
    columns: Any = None,
    sort: Any = None,
) -> ListView:
    """Change what is given (None: keep). Owner only, or an admin for a published view."""
    if not can_edit_view(actor, view):
        raise ViewNotAllowed("Only the owner can change this view; clone it to make your own.")
    errors: dict[str, list[str]] = {}
    definition = {"filters": filters, "columns": columns, "sort": sort}
    if any(value is not None for value in definition.values()):
        current = {"filters": view.filters, "columns": view.columns, "sort": view.sort}
        given = {k: current[k] if v is None else v for k, v in definition.items()}
        stored, errors = _definition(actor, **given)
        for key, value in stored.items():
            setattr(view, key, value)
    if name is not None:
        view.name, name_errors = _name(name)
        errors |= {"name": name_errors} if name_errors else {}
    chosen = None
    visibility = view.visibility if visibility is None else visibility
    kept_published = visibility == view.visibility == Visibility.EVERYONE
    if (visibility != view.visibility or teams is not None) and not kept_published:
        # An owner may keep an admin's publication; publishing itself needs an admin.
        team_list = list(view.teams.all()) if teams is None else list(teams)
        chosen, sharing_errors = _sharing(actor, visibility, team_list)
        errors |= sharing_errors
    view.visibility = visibility
    if errors:
        raise ViewInvalid(errors)
    view.updated_at = timezone.now()
    return _save(view, chosen)


def _copy_name(owner: AbstractBaseUser, name: str) -> str:
    taken = set(
        ListView.objects.filter(owner=owner, name__startswith=f"Copy of {name}"[:NAME_MAX])
        .values_list("name", flat=True)
        .order_by()
    )
    base = f"Copy of {name}"[:NAME_MAX]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f" ({n})"
        candidate, n = base[: NAME_MAX - len(suffix)] + suffix, n + 1
    return candidate


def clone_view(view: ListView | BuiltinView, *, actor: AbstractBaseUser) -> ListView:
    """A private copy for `actor` of any view they can see (built-in ones too)."""
    clone = ListView(
        owner=actor,
        name=_copy_name(actor, view.name),
        filters=dict(view.filters),
        columns=list(view.columns),
        sort=view.sort,
    )
    return _save(clone, None)


def delete_view(view: ListView, *, actor: AbstractBaseUser) -> None:
    if not can_edit_view(actor, view):
        raise ViewNotAllowed("Only the owner can delete this view.")
    view.delete()


def publish_view(view: ListView, *, actor: AbstractBaseUser, published: bool = True) -> ListView:
    """An admin shows a view they can see to everyone, or takes it back to its owner's
    teams (or to the owner alone when it has none)."""
    if not actor.is_staff:
        raise ViewNotAllowed("Only an admin can publish a view to everyone.")
    if published:
        view.visibility = Visibility.EVERYONE
    elif view.visibility == Visibility.EVERYONE:
        has_teams = view.teams.exists()
        view.visibility = Visibility.TEAMS if has_teams else Visibility.PRIVATE
    view.updated_at = timezone.now()
    view.save(update_fields=["visibility", "updated_at"])
    return view


def record_case_view(*, user: AbstractBaseUser, case: Case) -> None:
    """Remember that `user` opened `case` now, for "Recently Viewed": one upsert statement
    on its own (no transaction around it, as bulk_create(update_conflicts) has: one query
    where that took three — BEGIN, INSERT … ON CONFLICT, COMMIT)."""
    if not user.is_authenticated:
        return
    with connection.cursor() as cursor:
        now = _VIEWED_AT.get_db_prep_value(timezone.now(), connection)
        cursor.execute(_UPSERT_VIEW, [user.pk, case.pk, now])


_VIEWED_AT = RecentView._meta.get_field("viewed_at")
_UPSERT_VIEW = (
    f"INSERT INTO {RecentView._meta.db_table} (user_id, case_id, viewed_at)"  # noqa: S608
    " VALUES (%s, %s, %s)"
    " ON CONFLICT (user_id, case_id) DO UPDATE SET viewed_at = excluded.viewed_at"
)
