"""Reads of list views and of the cases they list, each with its access rule.

Cases: always `cases_visible_to(user)` narrowed by filters (`cases_matching`), so a view can
never show a case its viewer may not see. Saved views: the owner's own, those shared with a
team the viewer belongs to, and those published to everyone; any other answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from supportdesk.cases.models import Case
from supportdesk.cases.queries import cases_visible_to
from supportdesk.lists.builtins import BUILTIN_VIEWS, BuiltinView
from supportdesk.lists.columns import (
    DEFAULT_COLUMNS,
    DEFAULT_SORT,
    SEARCH_SORT,
    Catalog,
    Column,
    SortKey,
    parse_columns,
    parse_sort,
    related_of,
    sort_param,
    split_keys,
)
from supportdesk.lists.filters import (
    FILTER_NAMES,
    CaseFilters,
    filter_cases,
    parse_filters,
    raw_params,
)
from supportdesk.lists.models import ListView, Visibility
from supportdesk.people.queries import team_ids_of

# Never needed to draw a list: left out of its rows.
HEAVY_FIELDS = ("description", "record_snapshot", "urgent_reason", "resolution_note")
FILTERED = "f"  # marks a URL whose filters replace the view's, even when there are none


def cases_matching(user: AbstractBaseUser, filters: CaseFilters) -> QuerySet[Case]:
    """The cases `user` may see that match `filters` (for lists, exports and bulk actions)."""
    return filter_cases(cases_visible_to(user), filters, user=user)


# ---- saved views -----------------------------------------------------------------------------


def views_visible_to(user: AbstractBaseUser) -> QuerySet[ListView]:
    if not user.is_authenticated or not user.is_active:
        return ListView.objects.none()
    shared = ListView.teams.through.objects.filter(
        listview=OuterRef("pk"), team_id__in=team_ids_of(user)
    )
    return ListView.objects.filter(
        Q(owner=user)
        | Q(visibility=Visibility.EVERYONE)
        | (Q(visibility=Visibility.TEAMS) & Exists(shared))
    )


def view_for(user: AbstractBaseUser, key: str | int) -> ListView | BuiltinView:
    """A built-in view by slug, or a saved view the user may see by id; 404 otherwise."""
    if isinstance(key, str) and key in BUILTIN_VIEWS:
        return BUILTIN_VIEWS[key]
    if not str(key).isdecimal() or len(str(key)) > 18:
        raise Http404("No such view.")
    try:
        return views_visible_to(user).select_related("owner").get(pk=int(key))
    except ListView.DoesNotExist:
        raise Http404("No such view.") from None


def can_edit_view(user: AbstractBaseUser, view: ListView | BuiltinView) -> bool:
    """The owner edits a view; admins also edit the views published to everyone."""
    if isinstance(view, BuiltinView):
        return False
    return view.owner_id == user.pk or (user.is_staff and view.visibility == Visibility.EVERYONE)


# ---- a list: a view's definition, or the URL's changes to it --------------------------------


@dataclass
class Listing:
    """What one list shows: its filters, columns and sort, validated, with any errors."""

    view: ListView | BuiltinView
    params: dict[str, Any]  # the filters in effect, as query parameters
    filters: CaseFilters
    columns: list[Column]
    sort: list[SortKey]
    errors: dict[str, list[str]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)  # of "filters", "columns", "sort"

    @property
    def sort_param(self) -> str:
        return sort_param(self.sort)

    def cases(self, user: AbstractBaseUser) -> QuerySet[Case]:
        """The matching cases, loaded with what the columns show; none while the filters or
        the sort have errors (a wrong column is only left out)."""
        if set(self.errors) - {"columns"}:
            return Case.objects.none()
        cases = cases_matching(user, self.filters).select_related(*related_of(self.columns))
        answers = any(column.key.startswith("answer:") for column in self.columns)
        cases = cases.defer(*HEAVY_FIELDS, *(() if answers else ("details",)))
        annotated = {c.key: c.expression(user) for c in self.columns if c.annotated}
        return cases.annotate(**annotated) if annotated else cases


def _stored(view: ListView | BuiltinView) -> tuple[dict[str, Any], Any, Any]:
    return view.filters, list(view.columns) or list(DEFAULT_COLUMNS), view.sort or DEFAULT_SORT


def listing_for(
    user: AbstractBaseUser,
    view: ListView | BuiltinView,
    data: Any,
    *,
    catalog: Catalog | None = None,
) -> Listing:
    """The list for `view`, with the filters, `columns` and `sort` in `data` replacing its own.

    Filters in `data` replace the view's as a whole when any filter parameter is there (or the
    `f` marker, for "no filters at all"), so a URL alone says what the list shows.
    """
    catalog = catalog or Catalog()
    stored_filters, stored_columns, stored_sort = _stored(view)
    filters, columns, sort = stored_filters, stored_columns, stored_sort
    if FILTERED in data or any(name in data for name in FILTER_NAMES):
        filters = data
    if data.get("columns"):
        columns = data.getlist("columns") if hasattr(data, "getlist") else data["columns"]
    sort = data.get("sort") or (SEARCH_SORT if data.get("q") else stored_sort)
    parsed = parse_filters(filters, user=user)
    chosen, column_errors = parse_columns(columns, catalog)
    keys, sort_errors = parse_sort(sort, catalog)
    if not parsed.filters.q and any(k.column.key == "relevance" for k in keys):
        # Nothing is searched (any more): relevance means nothing; the view's sort instead.
        stored_keys = [key.lstrip("-") for key in split_keys(stored_sort)]
        sort = DEFAULT_SORT if "relevance" in stored_keys else stored_sort
        keys, sort_errors = parse_sort(sort, catalog)
    errors = dict(parsed.errors)
    if column_errors:
        errors["columns"] = column_errors
    if sort_errors:
        errors["sort"] = sort_errors
    changed = {
        name
        for name, differs in (
            ("filters", raw_params(filters) != raw_params(stored_filters)),
            ("columns", split_keys(columns) != split_keys(stored_columns)),
            ("sort", split_keys(sort) != split_keys(stored_sort)),
        )
        if differs
    }
    return Listing(view, parsed.params, parsed.filters, chosen, keys, errors, changed)
