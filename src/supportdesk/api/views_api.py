"""List views: GET/POST /views, GET/PATCH/DELETE /views/{id}, POST /views/{id}/clone and
…/publish, GET /views/{id}/cases; and the filter parameters and cursor pages that
GET /cases shares with them (see `supportdesk.lists`).

A view's id is a number for saved views and a name for the built-in ones (`my-requests`,
`my-open`, `team-queue`, `created-by-me`, `recent`, `all-open`, `recently-closed`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from ninja import Field, Query, Router, Schema, Status

from supportdesk.api import examples
from supportdesk.api.errors import ApiProblem, FieldErrors, problems
from supportdesk.api.idempotency import idempotent
from supportdesk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from supportdesk.api.schemas import BodyIn, CasePage
from supportdesk.cases.models import Case
from supportdesk.lists.builtins import BuiltinView, builtin_views_for
from supportdesk.lists.columns import DEFAULT_COLUMNS, DEFAULT_SORT, Catalog
from supportdesk.lists.models import ListView, Visibility
from supportdesk.lists.paging import CasePage as Page
from supportdesk.lists.paging import CursorInvalid, capped_count, keyset_page
from supportdesk.lists.queries import (
    Listing,
    can_edit_view,
    listing_for,
    view_for,
    views_visible_to,
)
from supportdesk.lists.services import (
    ViewInvalid,
    ViewNotAllowed,
    clone_view,
    create_view,
    delete_view,
    publish_view,
    update_view,
)
from supportdesk.people.models import Team

router = Router(tags=["views"])

# GET /cases: every case the caller may see, newest first, narrowed by the filters.
ALL_CASES = BuiltinView("all", "All cases", "", {}, DEFAULT_SORT, DEFAULT_COLUMNS)
MANY = "Several: repeat the parameter or separate values with commas."


class CaseFilterQuery(Schema):
    """The filter parameters of GET /cases and GET /views/{id}/cases (as on the Cases tab)."""

    owner: str | None = Field(None, description="`me`, `queue` (unowned), `any` or a username.")
    created_by: str | None = Field(None, description="`me` or a username (the requester).")
    requester: str | None = Field(None, description="`me` or a username.")
    status: list[str] | None = Field(None, description=f"Status values, or `open`. {MANY}")
    team: list[str] | None = Field(None, description=f"Team slugs, or `mine`. {MANY}")
    request_type: list[str] | None = Field(None, description=f"Request type names. {MANY}")
    sub_request: list[str] | None = Field(None, description=f"Sub-request names. {MANY}")
    priority: list[str] | None = Field(None, description=f"low, medium, high, urgent. {MANY}")
    kind: list[str] | None = Field(None, description=f"Record kinds. {MANY}")
    record: str | None = Field(None, description="External id of the record.")
    account: str | None = Field(
        None, description="External id of an account: its cases and its records' cases."
    )
    created: str | None = Field(
        None,
        description="today, yesterday, last_7_days (any last_N_days), this_week, "
        "last_week, this_month, last_month, this_quarter, last_quarter, this_year, last_year.",
    )
    created_from: str | None = Field(None, description="YYYY-MM-DD, inclusive.")
    created_to: str | None = Field(None, description="YYYY-MM-DD, inclusive.")
    updated: str | None = Field(None, description="As `created`, for the last change.")
    updated_from: str | None = None
    updated_to: str | None = None
    closed: str | None = Field(None, description="As `created`, for the closing.")
    closed_from: str | None = None
    closed_to: str | None = None
    attachments: str | None = Field(None, description="`yes` or `no`.")
    watching: str | None = Field(None, description="`me`: only cases I watch.")
    viewed: str | None = Field(None, description="`me`: only cases I opened.")
    text: str | None = Field(None, description="In the subject or description.")
    q: str | None = Field(
        None,
        description='Search: words (or "phrases") in the case number, subject, '
        "description, comments, record or requester, all required; ranked, best match "
        "first (sort `-relevance`, the default while searching), an exact case number first.",
    )
    sort: str | None = Field(
        None,
        description="Columns, `-` for descending, e.g. `-priority,created_at`; ties are "
        "broken by the case number. Default: the view's sort (`-created_at` for /cases).",
    )


class CaseListPage(CasePage):
    model_config = examples.documented(examples.CASE_LIST_PAGE)

    previous_cursor: str | None = Field(description="Pass as `cursor` for the page before.")
    previous: str | None = Field(description="URL of the page before, or null on the first.")
    count: int = Field(description="Matching cases, counted up to 10,000.")
    count_exact: bool = Field(description="False when there are more than `count`.")


class ViewOut(Schema):
    model_config = examples.documented(examples.VIEW_OUT)

    id: str = Field(description="A number for saved views, a name for built-in ones.")
    name: str
    builtin: bool
    owner: str | None = Field(description="Username; null for built-in views.")
    visibility: str = Field(description="private, teams, everyone (built-in: everyone).")
    teams: list[str] = Field(description="Slugs of the teams a `teams` view is shared with.")
    filters: dict[str, Any] = Field(description="Filter parameters, as on GET /cases.")
    columns: list[str]
    sort: str
    editable: bool = Field(description="Whether the caller may change or delete it.")
    url: str = Field(description="The view on the Cases tab.")


class ViewIn(BodyIn):
    model_config = examples.documented(examples.VIEW_IN)

    name: str = ""
    visibility: str = Field(
        Visibility.PRIVATE, description="private (default), teams, or everyone (admins only)."
    )
    teams: list[str] = Field([], description="Team slugs, for `teams`: teams you belong to.")
    filters: dict[str, Any] = Field({}, description="Filter parameters, as on GET /cases.")
    columns: list[str] = Field(list(DEFAULT_COLUMNS), description="Column keys, in order.")
    sort: str = DEFAULT_SORT


class ViewPatch(BodyIn):
    """Only the fields sent are changed."""

    name: str | None = None
    visibility: str | None = None
    teams: list[str] | None = None
    filters: dict[str, Any] | None = None
    columns: list[str] | None = None
    sort: str | None = None


class PublishIn(BodyIn):
    published: bool = True


class ColumnOut(Schema):
    key: str
    label: str


class ViewCaseOut(Schema):
    number: str
    url: str
    values: dict[str, Any] = Field(description="The view's columns, by key.")


class ViewCasePage(Schema):
    model_config = examples.documented(examples.VIEW_CASE_PAGE)

    columns: list[ColumnOut]
    items: list[ViewCaseOut]
    next_cursor: str | None
    next: str | None
    previous_cursor: str | None
    previous: str | None
    count: int
    count_exact: bool


# ---- shared with GET /cases --------------------------------------------------------------------


def api_listing(
    user: AbstractBaseUser,
    view: ListView | BuiltinView,
    data: QueryDict,
    *,
    mine: bool = False,
    catalog: Catalog | None = None,
) -> Listing:
    """The list for `view` with the query's filters and sort, or a 422 naming what is wrong."""
    if mine:
        data = data.copy()
        data["requester"] = "me"
    listing = listing_for(user, view, data, catalog=catalog)
    if errors := {k: v for k, v in listing.errors.items() if k != "columns"}:
        raise FieldErrors(errors)
    return listing


def _url(request: HttpRequest, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    query = request.GET.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def api_page(
    request: HttpRequest, cases: QuerySet[Case], listing: Listing, *, limit: int, cursor: str | None
) -> tuple[Page, dict[str, Any]]:
    """One keyset page of `cases` in the listing's sort, and the page's links and count."""
    try:
        page = keyset_page(
            cases,
            sort=listing.sort,
            user=request.auth,
            cursor=cursor,
            size=limit,
            teams=listing.filters.team_ids,
        )
    except CursorInvalid as invalid:
        raise FieldErrors({"cursor": [str(invalid)]}) from None
    count, exact = capped_count(cases)
    return page, {
        "next_cursor": page.next_cursor,
        "next": _url(request, page.next_cursor),
        "previous_cursor": page.previous_cursor,
        "previous": _url(request, page.previous_cursor),
        "count": count,
        "count_exact": exact,
    }


# ---- views ---------------------------------------------------------------------------------------


def view_out(user: AbstractBaseUser, view: ListView | BuiltinView) -> dict[str, Any]:
    builtin = isinstance(view, BuiltinView)
    return {
        "id": str(view.pk),
        "name": view.name,
        "builtin": builtin,
        "owner": None if builtin else view.owner.get_username(),
        "visibility": Visibility.EVERYONE if builtin else view.visibility,
        "teams": [] if builtin else [t.slug for t in view.teams.all()],
        "filters": view.filters,
        "columns": list(view.columns),
        "sort": view.sort,
        "editable": can_edit_view(user, view),
        "url": f"{settings.SITE_URL}/cases/?view={view.pk}",
    }


def _teams(slugs: list[str] | None) -> list[Team] | None:
    if slugs is None:
        return None
    teams = {t.slug: t for t in Team.objects.filter(slug__in=slugs)}
    if unknown := [s for s in slugs if s not in teams]:
        raise FieldErrors({"teams": [f"There is no team “{s}”." for s in unknown]})
    return [teams[s] for s in slugs]


def _saved(user: AbstractBaseUser, view_id: str) -> ListView:
    view = view_for(user, view_id)
    if isinstance(view, BuiltinView):
        raise ApiProblem(403, "Built-in views cannot be changed; clone one to make your own.")
    return view


def _changing(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a lists service, answering its refusals as problems (422, 403)."""
    try:
        return call(*args, **kwargs)
    except ViewInvalid as invalid:
        raise FieldErrors(invalid.errors) from None
    except ViewNotAllowed as refusal:
        raise ApiProblem(403, str(refusal)) from None


@router.get("/views", response={200: list[ViewOut], **problems(401)})
def view_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The built-in views for the caller, then their own and shared views, by name."""
    user = request.auth
    saved = views_visible_to(user).select_related("owner").prefetch_related("teams")
    views = [*builtin_views_for(user), *saved.order_by("name", "pk")]
    return [view_out(user, view) for view in views]


@router.post("/views", response={201: ViewOut, **problems(401, 422)})
@idempotent
def view_create(request: HttpRequest, payload: ViewIn) -> Status:
    """Save a view (private unless shared with your teams; admins may share with everyone)."""
    user = request.auth
    fields = payload.dict() | {"teams": _teams(payload.teams)}
    view = _changing(create_view, owner=user, **fields)
    return Status(201, view_out(user, view))


@router.get("/views/{view_id}", response={200: ViewOut, **problems(401, 404)})
def view_get(request: HttpRequest, view_id: str) -> dict[str, Any]:
    return view_out(request.auth, view_for(request.auth, view_id))


@router.patch("/views/{view_id}", response={200: ViewOut, **problems(401, 403, 404, 422)})
def view_update(request: HttpRequest, view_id: str, payload: ViewPatch) -> dict[str, Any]:
    """Rename, re-share or change a view you own (read-only to others: 403)."""
    user = request.auth
    view = _saved(user, view_id)
    fields = payload.dict(exclude_unset=True) | {"teams": _teams(payload.teams)}
    return view_out(user, _changing(update_view, view, actor=user, **fields))


@router.delete("/views/{view_id}", response={204: None, **problems(401, 403, 404)})
def view_delete(request: HttpRequest, view_id: str) -> Status:
    _changing(delete_view, _saved(request.auth, view_id), actor=request.auth)
    return Status(204, None)


@router.post("/views/{view_id}/clone", response={201: ViewOut, **problems(401, 404)})
@idempotent
def view_clone(request: HttpRequest, view_id: str) -> Status:
    """A private copy of any view you can see, built-in ones too, named "Copy of …"."""
    user = request.auth
    return Status(201, view_out(user, clone_view(view_for(user, view_id), actor=user)))


@router.post("/views/{view_id}/publish", response={200: ViewOut, **problems(401, 403, 404)})
def view_publish(request: HttpRequest, view_id: str, payload: PublishIn) -> dict[str, Any]:
    """Admins: show a view to everyone, or (`published: false`) take it back."""
    user = request.auth
    view = _changing(publish_view, _saved(user, view_id), actor=user, published=payload.published)
    return view_out(user, view)


@router.get("/views/{view_id}/cases", response={200: ViewCasePage, **problems(401, 404, 422)})
def view_cases(
    request: HttpRequest,
    view_id: str,
    filters: Query[CaseFilterQuery],  # documents them; read from request.GET as on the page
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> dict[str, Any]:
    """The view's cases with its columns; filter parameters given here replace the view's."""
    user = request.auth
    catalog = Catalog().load()  # up front: the same queries whatever the columns
    listing = api_listing(user, view_for(user, view_id), request.GET, catalog=catalog)
    page, meta = api_page(request, listing.cases(user), listing, limit=limit, cursor=cursor)
    columns = listing.columns
    return {
        "columns": [{"key": c.key, "label": c.label} for c in columns],
        "items": [
            {
                "number": case.number,
                "url": settings.SITE_URL + case.get_absolute_url(),
                "values": {c.key: c.value(case) for c in columns},
            }
            for case in page.items
        ],
        **meta,
    }
