"""What the Cases tab draws: the view picker, the filter form, the column chooser, the table
with its sort links, keyset Next/Previous and the count. Pure reads; views stay thin.

Query budget of a list page, whatever its size and columns: session, user, the viewer's
teams, the saved views for the picker, the count (capped), the page, teams, request types
and sub-requests (for the filter form and the answer columns), and the bell.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from supportdesk.cases.display.formatting import esc
from supportdesk.cases.models import Priority, Resolution, Status
from supportdesk.lists.builtins import (
    BUILTIN_VIEWS,
    BuiltinView,
    builtin_views_for,
    default_view_for,
    is_agent,
)
from supportdesk.lists.bulk import BULK_LABELS
from supportdesk.lists.columns import (
    ANSWER,
    COLUMNS,
    DEFAULT_COLUMNS,
    DEFAULT_SORT,
    Catalog,
    Cell,
    Column,
    case_url,
    fill_urls,
    loads_of,
    split_keys,
)
from supportdesk.lists.filters import (
    FILTER_NAMES,
    MINE,
    OPEN,
    RELATIVE_RANGES,
    SLA_STAGES,
    raw_params,
)
from supportdesk.lists.models import ListView, Visibility
from supportdesk.lists.paging import CasePage, CursorInvalid, capped_count, keyset_page
from supportdesk.lists.queries import (
    FILTERED,
    Listing,
    can_edit_view,
    listing_for,
    view_for,
    views_visible_to,
)
from supportdesk.people.models import Team
from supportdesk.records.models import Kind
from supportdesk.sla.display import stage_badge

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
DATE_LABELS = {"created": "Created", "updated": "Last modified", "closed": "Closed"}


# ---- the picker ------------------------------------------------------------------------------


class ViewPicker:
    """Built-in views for this user, their own views and those shared with them (one query)."""

    def __init__(self, user: AbstractBaseUser) -> None:
        self.user = user
        self.builtins = builtin_views_for(user)
        self.saved = list(views_visible_to(user).select_related("owner").order_by("name", "pk"))

    @property
    def own(self) -> list[ListView]:
        return [v for v in self.saved if v.owner_id == self.user.pk]

    @property
    def shared(self) -> list[ListView]:
        return [v for v in self.saved if v.owner_id != self.user.pk]

    def current(self, key: str | None) -> ListView | BuiltinView:
        """The view named in the URL (a slug or an id), else the user's default; 404 if hidden."""
        if not key:
            return default_view_for(self.user)
        if key in BUILTIN_VIEWS:
            return BUILTIN_VIEWS[key]
        found = next((v for v in self.saved if str(v.pk) == key), None)
        if found is None:
            raise Http404("No such view.")
        return found


# ---- tidy URLs -------------------------------------------------------------------------------


def tidy_url(request: HttpRequest) -> str | None:
    """The same list without blank parameters, with a column moved (the chooser's up/down
    buttons), or None when the URL is already tidy. Keeps shared links short."""
    query = request.GET
    blanks = any(not v.strip() for k in query for v in query.getlist(k))
    if not blanks and "move" not in query:
        return None
    tidy = QueryDict(mutable=True)
    for key in query:
        if key == "move":
            continue
        values = [v for v in query.getlist(key) if v.strip()]
        if key == "columns":
            values = _moved(split_keys(values), query.get("move", ""))
            values = [",".join(values)] if values else []
        tidy.setlist(key, values)
    if any(k in query for k in FILTER_NAMES):
        tidy[FILTERED] = "1"  # cleared filters still replace the view's
    return f"{request.path}?{tidy.urlencode()}" if tidy else request.path


def _moved(keys: list[str], move: str) -> list[str]:
    where, _, key = move.partition(":")
    if key not in keys or where not in ("up", "down"):
        return keys
    i = keys.index(key)
    j = i - 1 if where == "up" else i + 1
    if 0 <= j < len(keys):
        keys[i], keys[j] = keys[j], keys[i]
    return keys


# ---- the page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    column: Column
    sort: str  # the sort a click on the header asks for
    state: str  # "ascending", "descending" or "" (aria-sort)


@dataclass(frozen=True)
class Row:
    url: str
    cells: list[Cell]
    number: str = ""
    sla: tuple[str, str] | None = None  # the at-risk / breached badge: (label, css class)

    def html(self, *, select: bool) -> SafeString:
        """The row's `<tr>`, written here rather than by template tags per cell (a page has
        hundreds of cells): a link, a badge, a time or plain text, or "—" when empty; the
        first cell carries the SLA badge; `select` adds the bulk actions' checkbox."""
        parts = ["<tr>"]
        if select:
            number = esc(self.number)
            parts.append(
                f'<td class="select-cell"><input type="checkbox" name="case" value="{number}"'
                f' form="bulk-form" aria-label="Select case {number}"></td>'
            )
        for i, cell in enumerate(self.cells):
            parts.append(f"<td>{_cell_html(cell)}")
            if i == 0 and self.sla:
                label, css = self.sla
                parts.append(
                    f' <span class="badge sla-badge sla-badge--{esc(css)}">{esc(label)}</span>'
                )
            parts.append("</td>")
        parts.append("</tr>")
        return SafeString("".join(parts))


EMPTY_CELL = '<span class="muted" aria-label="empty">—</span>'


def _iso(value: dt.datetime | dt.date) -> str:
    """What `{{ value|date:"c" }}` writes: ISO 8601, a datetime in the current time zone."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.isoformat()


def _cell_html(cell: Cell) -> str:
    text = esc(cell.text)
    if cell.url:
        return f'<a href="{esc(cell.url)}">{text}</a>'
    if cell.badge:
        return f'<span class="{esc(cell.badge)}">{text}</span>'
    if cell.time:
        return f'<time datetime="{_iso(cell.time)}">{text}</time>'
    return text if cell.text else EMPTY_CELL


def view_key(view: ListView | BuiltinView) -> str:
    return str(view.pk)


def state_pairs(listing: Listing, *, parts: tuple[str, ...]) -> list[tuple[str, str]]:
    """The list's state as query parameters (for hidden inputs and links)."""
    pairs: list[tuple[str, str]] = []
    if "filters" in parts:
        pairs.append((FILTERED, "1"))
        for name, value in listing.params.items():
            pairs += [(name, v) for v in (value if isinstance(value, list) else [value])]
    if "columns" in parts:
        pairs.append(("columns", ",".join(c.key for c in listing.columns)))
    if "sort" in parts:
        pairs.append(("sort", listing.sort_param))
    return pairs


def _headers(listing: Listing) -> list[Header]:
    first = listing.sort[0] if listing.sort else None
    headers = []
    for column in listing.columns:
        state = ""
        if first is not None and first.column.key == column.key:
            state = "descending" if first.descending else "ascending"
        flip = state == "ascending" or (column.descending_first and not state)
        headers.append(Header(column, ("-" if flip else "") + column.key, state))
    return headers


def _size(request: HttpRequest) -> int:
    raw = request.GET.get("size", "")
    return (
        int(raw)
        if raw.isascii() and raw.isdigit() and int(raw) in PAGE_SIZES
        else DEFAULT_PAGE_SIZE
    )


@dataclass(frozen=True)
class FilterField:
    """One input of the filter form, with its current value(s) and errors."""

    name: str
    label: str
    widget: str  # "text", "checkboxes", "select", "multiselect", "date", "checkbox"
    values: list[str]
    errors: list[str]
    options: list[tuple[str, str]] = ()
    help: str = ""
    datalist: str = ""

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""

    @property
    def html(self) -> SafeString:
        """The input with its label, help and errors: checkboxes in a fieldset, anything else
        in a div. Written here, not by a template included per field (the form has 33)."""
        e, name, id_ = esc, esc(self.name), esc(f"f_{self.name}")
        error_class = " field--error" if self.errors else ""
        errors = " ".join(e(error) for error in self.errors)
        if self.widget in ("checkboxes", "checkbox"):
            boxes = "".join(
                f'<label class="check"><input type="checkbox" name="{name}" value="{e(value)}"'
                f"{' checked' if value in self.values else ''}> {e(label)}</label>"
                for value, label in self.options
            )
            error_p = f'<p class="field-error">{errors}</p>' if self.errors else ""
            body = (
                f'<fieldset class="filter-field{error_class}">\n'
                f"  <legend>{e(self.label)}</legend>\n"
                f"  {error_p}\n"
                f"  {boxes}\n"
                "</fieldset>"
            )
            return SafeString(f"\n\n\n{body}\n\n\n")
        invalid = f' aria-invalid="true" aria-describedby="{id_}_error"' if self.errors else ""
        if self.widget == "text":
            described = ""
            if self.help or self.errors:
                described = (
                    f' aria-describedby="{f"{id_}_help" if self.help else ""}'
                    f'{f" {id_}_error" if self.errors else ""}"'
                )
            listed = f' list="{e(self.datalist)}"' if self.datalist else ""
            flagged = ' aria-invalid="true"' if self.errors else ""
            control = (
                f'\n  <input type="text" id="{id_}" name="{name}" value="{e(self.value)}"'
                f"{listed}{described}{flagged}>\n  "
            )
        elif self.widget == "date":
            control = (
                f'\n  <input type="date" id="{id_}" name="{name}" value="{e(self.value)}"'
                f"{invalid}>\n  "
            )
        else:
            multiple = ' multiple size="6"' if self.widget == "multiselect" else ""
            chosen = "".join(
                f'<option value="{e(value)}"'
                f"{' selected' if value in self.values or not (value or self.values) else ''}>"
                f"{e(label)}</option>"
                for value, label in self.options
            )
            control = (
                f'\n  <select id="{id_}" name="{name}"{multiple}{invalid}>\n'
                f"    {chosen}\n"
                "  </select>\n  "
            )
        help_div = f'<div class="help" id="{id_}_help">{e(self.help)}</div>' if self.help else ""
        error_p = f'<p class="field-error" id="{id_}_error">{errors}</p>' if self.errors else ""
        body = (
            f'<div class="filter-field{error_class}">\n'
            f'  <label for="{id_}">{e(self.label)}</label>\n'
            f"  {help_div}\n"
            f"  {error_p}\n"
            f"  {control}\n"
            "</div>"
        )
        return SafeString(f"\n\n\n{body}\n\n\n")


def filter_fields(
    values: dict[str, list[str]], errors: dict[str, list[str]], catalog: Catalog
) -> dict[str, list[FilterField]]:
    """The filter form's inputs, grouped as the form lays them out."""

    def f(name: str, label: str, widget: str, options: Any = (), **kw: str) -> FilterField:
        return FilterField(
            name, label, widget, values.get(name, []), errors.get(name, []), list(options), **kw
        )

    person = "“me”, a username, or empty for anyone"
    dates = []
    for name, label in DATE_LABELS.items():
        ranges = [("", "Any time"), *RELATIVE_RANGES.items()]
        current = values.get(name, [""])[0]
        if current and current not in RELATIVE_RANGES:
            ranges.append((current, current.replace("_", " ").capitalize()))
        dates += [
            f(name, label, "select", ranges),
            f(f"{name}_from", "from", "date"),
            f(f"{name}_to", "to", "date"),
        ]
    return {
        "people": [
            f(
                "q",
                "Search",
                "text",
                help="Case number, subject, description, comments, record or requester; "
                "best matches first",
            ),
            f(
                "owner",
                "Owner",
                "text",
                help="“me”, “queue” (nobody yet), a username, or empty",
                datalist="f_people",
            ),
            f("created_by", "Created by", "text", help=person, datalist="f_people"),
            f("requester", "Requester", "text", help=person, datalist="f_people"),
            f("text", "Text contains", "text", help="In the subject or description"),
            f("record", "Record", "text", help="The record's external id"),
            f(
                "account",
                "Account",
                "text",
                help="An account's external id: its cases and its records' cases",
            ),
        ],
        "choices": [
            f(
                "status",
                "Status",
                "checkboxes",
                [(OPEN, "Open (any open status)"), *Status.choices],
            ),
            f("priority", "Priority", "checkboxes", Priority.choices),
            f("requested_priority", "Priority as raised", "checkboxes", Priority.choices),
            f("resolution", "Resolution", "checkboxes", Resolution.choices),
            f("team", "Team", "checkboxes", [(MINE, "My teams"), *_teams()]),
            f("kind", "Record kind", "checkboxes", Kind.choices),
            f("sla", "SLA", "checkboxes", [(k, v.label) for k, v in SLA_STAGES.items()]),
        ],
        "catalog": [
            f("request_type", "Request type", "multiselect", _pairs(catalog.request_type_names)),
            f("sub_request", "Sub-request", "multiselect", _pairs(catalog.sub_request_names)),
        ],
        "dates": dates,
        "flags": [
            f(
                "attachments",
                "Has attachments",
                "select",
                [("", "Either"), ("yes", "Yes"), ("no", "No")],
            ),
            f(
                "info_requested",
                "Information asked of the requester",
                "select",
                [("", "Either"), ("yes", "Yes"), ("no", "No")],
            ),
            f("watching", "I am watching", "checkbox", [("me", "Only cases I watch")]),
            f("viewed", "Viewed by me", "checkbox", [("me", "Only cases I opened")]),
        ],
    }


def _teams() -> list[tuple[str, str]]:
    return list(Team.objects.order_by("position", "name").values_list("slug", "name"))


def _pairs(names: list[str]) -> list[tuple[str, str]]:
    return [(name, name) for name in names]


def _chooser(catalog: Catalog, listing: Listing) -> dict[str, Any]:
    chosen = {c.key for c in listing.columns}
    more = [(c.key, c.label) for c in COLUMNS.values() if c.choosable and c.key not in chosen]
    answers = [
        (key, str(d.get("label") or name))
        for name, d in catalog.fields.items()
        if (key := f"{ANSWER}{name}") not in chosen
    ]
    e = esc
    return {
        "more_columns_html": SafeString(
            "".join(
                f'<label class="check"><input type="checkbox" name="columns" value="{e(key)}">'
                f" {e(label)}</label>"
                for key, label in more
            )
        ),
        "answer_columns": answers,
        "answer_columns_html": SafeString(
            "".join(
                f'<label class="check"><input type="checkbox" name="columns" value="{e(key)}">'
                f' <span>{e(label)} <code class="muted">{e(key.removeprefix(ANSWER))}</code>'
                "</span></label>"
                for key, label in answers
            )
        ),
        "sizes": PAGE_SIZES,
    }


def _values(request: HttpRequest, listing: Listing) -> dict[str, list[str]]:
    """What the filter form shows: the URL's values (even wrong ones), else the view's."""
    if "filters" in listing.changed or any(k in request.GET for k in FILTER_NAMES):
        return raw_params(request.GET)
    return raw_params(listing.params)


def _paged(
    request: HttpRequest, listing: Listing, size: int
) -> tuple[CasePage, dict[str, list[str]], tuple[int, bool]]:
    """The page asked for, the list's errors (a stale cursor too), and the capped count."""
    user, cases, errors = request.user, listing.cases(request.user), dict(listing.errors)
    cursor = request.GET.get("cursor")
    shown = cases.only(*loads_of(listing.columns))  # not the rest of the rows and joins
    try:
        page = keyset_page(
            shown,
            sort=listing.sort,
            user=user,
            cursor=cursor,
            size=size,
            teams=listing.filters.team_ids,
        )
    except CursorInvalid as invalid:
        errors["cursor"] = [str(invalid)]
        page = CasePage([], None, None)
    return page, errors, capped_count(cases) if not errors else (0, True)


def _state(request: HttpRequest, view: ListView | BuiltinView, listing: Listing) -> dict[str, Any]:
    """Hidden inputs and links that carry the list's state to the forms and buttons."""
    key, everything = view_key(view), state_pairs(listing, parts=("filters", "columns", "sort"))
    changed = "filters" in listing.changed
    changed_filters = state_pairs(listing, parts=("filters",)) if changed else []
    others = [p for p in state_pairs(listing, parts=("filters",)) if p[0] != "q"]
    return {
        # The search box searches this list (its other filters stay), ranked: no sort kept.
        "search_hidden": [("view", key), *others, *_kept(request, "columns", "size")],
        "search_everywhere": (
            urlencode([("view", key), (FILTERED, "1"), ("q", listing.filters.q)])
            if listing.filters.q and len(others) > 1
            else ""
        ),
        "export_query": urlencode([("view", key), *everything]),  # the list as it is shown
        "filter_hidden": [("view", key), *_kept(request, "columns", "sort", "size")],
        "chooser_hidden": [("view", key), *changed_filters, *_kept(request, "sort", "size")],
        "save_as_query": urlencode([("from", key), *everything]),
        "save_pairs": everything,
        "reset_url": f"{reverse('cases:mine')}?view={key}",
    }


def list_page(
    request: HttpRequest, view: ListView | BuiltinView, picker: ViewPicker
) -> dict[str, Any]:
    user, catalog, size = request.user, Catalog(), _size(request)
    listing = listing_for(user, view, request.GET, catalog=catalog)
    page, errors, (count, exact) = _paged(request, listing, size)
    saved = isinstance(view, ListView)
    fill_urls(page.items)
    rows = [
        Row(
            case_url(c),
            [col.cell(c) for col in listing.columns],
            c.number,
            stage_badge(c.sla_stage),
        )
        for c in page.items
    ]
    bulk = is_agent(user)
    return {
        "view": view,
        "view_key": view_key(view),
        "saved": saved,
        "picker": picker,
        "listing": listing,
        "changed": listing.changed,
        "errors": errors,
        "headers": _headers(listing),
        "rows": rows,
        "rows_html": SafeString("".join(f"{row.html(select=bulk)}\n      " for row in rows)),
        "page": page,
        "size": size,
        "count": count,
        "count_exact": exact,
        "can_edit": saved and can_edit_view(user, view),
        "can_publish": saved and user.is_staff,
        "published": saved and view.visibility == Visibility.EVERYONE,
        "fields": filter_fields(_values(request, listing), errors, catalog),
        # Agents act on chosen rows (lists.bulk); anyone exports the list (lists.export).
        "bulk": bulk,
        "bulk_actions": [(action.value, label) for action, label in BULK_LABELS.items()],
        "resolutions": Resolution.choices,
        "here": request.get_full_path(),
        **_state(request, view, listing),
        **_chooser(catalog, listing),
    }


def _kept(request: HttpRequest, *names: str) -> list[tuple[str, str]]:
    return [(name, v) for name in names for v in request.GET.getlist(name) if v.strip()]


# ---- saving a list as a view ------------------------------------------------------------------


@dataclass(frozen=True)
class ViewDraft:
    """What "Save as new view" or "Clone" will save: the list's state, or the cloned view's."""

    source: ListView | BuiltinView | None
    definition: dict[str, Any]  # filters, columns, sort
    name: str

    @property
    def hidden(self) -> list[tuple[str, str]]:
        pairs = [("from", view_key(self.source))] if self.source is not None else []
        for name, values in self.definition["filters"].items():
            pairs += [(name, v) for v in (values if isinstance(values, list) else [values])]
        pairs.append(("columns", ",".join(split_keys(self.definition["columns"]))))
        return [*pairs, ("sort", self.definition["sort"] or "")]

    @property
    def summary(self) -> list[tuple[str, str]]:
        filters = self.definition["filters"]
        return [
            (name.replace("_", " ").capitalize(), ", ".join(split_keys(values)))
            for name, values in filters.items()
        ]


def view_draft(user: AbstractBaseUser, data: QueryDict) -> ViewDraft:
    source = view_for(user, data["from"]) if data.get("from") else None
    state = any(k in data for k in (*FILTER_NAMES, FILTERED, "columns", "sort"))
    if state or source is None:
        definition = {
            "filters": raw_params(data),
            "columns": split_keys(data.getlist("columns")) or list(DEFAULT_COLUMNS),
            "sort": data.get("sort") or DEFAULT_SORT,
        }
        return ViewDraft(source, definition, "")
    definition = {
        "filters": dict(source.filters),
        "columns": list(source.columns),
        "sort": source.sort,
    }
    return ViewDraft(source, definition, f"Copy of {source.name}"[:100])
