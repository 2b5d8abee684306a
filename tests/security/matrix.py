"""The permission matrix: for every route, what each role gets (issue 10, "Access control").

One entry per route name. An entry is one `Check` (or several: the same route about other
objects) naming the object its parameters point at (`target`, see targets.py) and the answer
each role gets to a GET. The test (test_permission_matrix.py) also asks, for every object a
role may not see, with GET and with the route's writing methods: the answer must be the
answer for an object that does not exist — a 404 with the same body.

Outcomes are status codes, or LOGIN (a redirect to the login page) or REDIRECT (any other
redirect: a refused action sends the user back to the case with a message). A route that
`discover_routes()` finds without an entry here fails the test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.security.world import (
    ADMIN,
    AGENT,
    AGENTS,
    ANONYMOUS,
    CASE_SEERS,
    CASE_TEAM,
    LEAD,
    REQUESTER,
    ROLES,
    SIGNED_IN,
)

Outcome = int | str
LOGIN = "login"
ADMIN_LOGIN = "admin-login"
REDIRECT = "redirect"
HTMX_STOP = 286  # htmx: "stop polling" (the bell, signed out)
PUBLIC = "public"  # anything but a refusal: health checks answer 503 while a part is down


@dataclass(frozen=True)
class Check:
    target: str = "none"
    get: Mapping[str, Outcome] = field(default_factory=dict)  # every role's GET answer
    # Who may see someone else's object (their GET answers as `get` says); None: admins, if
    # the target is one admins see all of (cases, files, records), else nobody.
    foreign: frozenset[str] | None = None
    body: Mapping[str, Any] | None = None  # a valid body for the write checks (API)
    query: Mapping[str, str] = field(default_factory=dict)


def roles(*groups: Iterable[str] | str) -> frozenset[str]:
    found: set[str] = set()
    for group in groups:
        found |= {group} if isinstance(group, str) else set(group)
    return frozenset(found)


def answers(
    ok: Iterable[str],
    *,
    others: Outcome = 404,
    anonymous: Outcome = LOGIN,
    redirect: Iterable[str] = (),
) -> dict[str, Outcome]:
    """`ok` roles get 200, `redirect` roles (not in `ok`) REDIRECT, the rest `others`."""
    table: dict[str, Outcome] = dict.fromkeys(SIGNED_IN, others)
    table.update(dict.fromkeys(redirect, REDIRECT))
    table.update(dict.fromkeys(ok, 200))
    table[ANONYMOUS] = anonymous
    return table


def everyone(outcome: Outcome = 200, *, anonymous: Outcome = LOGIN) -> dict[str, Outcome]:
    return {role: (anonymous if role == ANONYMOUS else outcome) for role in ROLES}


def api(ok: Iterable[str]) -> dict[str, Outcome]:
    return answers(ok, anonymous=401)


def post_only(*, anonymous: Outcome = LOGIN) -> dict[str, Outcome]:
    """A form's target: GET is 405 (its writes are checked for hidden objects)."""
    return everyone(405, anonymous=anonymous)


API_WRITE = everyone(405, anonymous=405)  # the method is refused before anyone is asked


def case_page(ok: Iterable[str] = CASE_SEERS) -> Check:
    """A page of the case: the roles that may not act are sent back to the case."""
    return Check("case", answers(ok, redirect=CASE_SEERS))


def case_api(ok: Iterable[str] = CASE_SEERS, **extra: Any) -> Check:
    return Check("case", api(ok), **extra)


def case_write(**extra: Any) -> Check:
    """An API write on the case: its GET is 405 (its writes are checked for hidden cases)."""
    return Check("case", API_WRITE, **extra)


STAFF = roles(ADMIN)
TEAM_LEADS = roles(LEAD, ADMIN)


def _own(target: str) -> Check:
    return Check(target, answers(SIGNED_IN))


MATRIX: dict[str, Check | tuple[Check, ...]] = {
    # ---- list views and the Cases tab (supportdesk.lists) ------------------------------
    "lists:create": Check(get=answers(SIGNED_IN)),
    "lists:edit": _own("view"),
    "lists:save": Check("view", post_only()),
    "lists:delete": _own("view"),
    "lists:publish": Check("view", post_only()),
    "lists:export": Check(get=answers(SIGNED_IN)),
    "lists:bulk": Check(get=post_only()),
    "cases:home": Check(get=answers(SIGNED_IN)),
    "cases:mine": Check(get=answers(SIGNED_IN)),
    # ---- the case page and its actions (supportdesk.cases) ------------------------------
    "cases:detail": case_page(),
    "cases:submitted": case_page(),
    "cases:urgent_usage": Check(get=answers(TEAM_LEADS)),
    "cases:take": case_page(roles(AGENT, LEAD)),
    "cases:assign": case_page(CASE_TEAM),
    "cases:ask": case_page(()),  # a new case: nobody asks the requester yet
    "cases:hold": case_page(()),
    "cases:resume": case_page(()),
    "cases:close": case_page(CASE_TEAM),
    "cases:withdraw": case_page(roles(REQUESTER)),
    "cases:reopen": case_page(()),  # open: nothing to reopen
    "cases:move": case_page(CASE_TEAM),
    "cases:edit": case_page(roles(REQUESTER, CASE_TEAM)),
    "cases:merge": case_page(CASE_TEAM),
    "cases:priority": case_page(CASE_TEAM),
    "cases:watch": case_page(roles(REQUESTER, CASE_TEAM)),
    "cases:comment": Check("case", post_only()),
    "cases:rate": Check("case", post_only()),
    "cases:answer": Check("case", post_only()),
    "cases:approval_request": Check("case", post_only()),
    "cases:approval_decide": Check("approval", post_only()),
    "cases:mention_suggest": case_page(),
    "cases:ask_for_help": case_page(),
    "cases:follow_up": case_page(()),  # open: a follow-up is for cases closed long ago
    "cases:attachments": Check("case", post_only()),
    "cases:attachment": (
        Check("attachment", answers(CASE_SEERS)),
        Check("note_attachment", answers(CASE_TEAM)),
    ),
    "cases:attachment_remove": (
        Check("attachment", post_only()),
        Check("note_attachment", post_only()),
    ),
    "cases:wizard_team": _own("draft"),
    "cases:wizard_type": Check("draft", answers((), redirect=SIGNED_IN)),  # team first
    "cases:wizard_details": Check("draft", answers((), redirect=SIGNED_IN)),
    "cases:wizard_review": Check("draft", answers((), redirect=SIGNED_IN)),
    "report_problem": Check(get=answers(SIGNED_IN)),
    # ---- records ----------------------------------------------------------------------
    "records:list": Check(get=answers(SIGNED_IN)),
    "records:detail": Check("record", answers(roles(REQUESTER, ADMIN))),
    "records:request_support": Check("record", post_only(anonymous=405)),
    # ---- reports ----------------------------------------------------------------------
    "reports:index": Check(get=answers(SIGNED_IN)),
    "reports:dashboard": (
        Check("report:my-requests", answers(SIGNED_IN)),
        Check("report:my-work", answers(AGENTS)),
        Check("report:team", answers(TEAM_LEADS)),
        Check("report:operations", answers(STAFF)),
    ),
    # ---- notifications ----------------------------------------------------------------
    "notify:list": Check(get=answers(SIGNED_IN)),
    "notify:bell": Check(get=answers(SIGNED_IN, anonymous=HTMX_STOP)),
    "notify:open": Check("notification", answers((), redirect=SIGNED_IN)),  # to its page
    "notify:read": Check("notification", post_only(anonymous=405)),
    "notify:read_all": Check(get=post_only(anonymous=405)),
    "notify:preferences": Check(get=answers(SIGNED_IN)),
    "notify:email_settings": Check("email_token", everyone(200, anonymous=200)),  # signed link
    # staff_member_required: the admin site's login, for anyone but staff
    "notify:problems": Check(get=answers(STAFF, others=ADMIN_LOGIN, anonymous=ADMIN_LOGIN)),
    "notify:retry": Check(get=post_only(anonymous=405)),
    # ---- settings: tokens, webhooks; the catalog's departments ---------------------------
    "people:tokens": Check(get=answers(SIGNED_IN)),
    "people:token_revoke": Check("token", post_only(anonymous=405)),
    "people:admin_tokens": Check(get=answers(STAFF)),
    "people:admin_token_revoke": Check("token", post_only(anonymous=405), foreign=STAFF),
    "catalog:departments": Check(get=answers(SIGNED_IN)),
    "webhooks:list": Check(get=answers(STAFF)),
    "webhooks:detail": Check("webhook", answers(STAFF)),
    "webhooks:rotate": Check("webhook", post_only(anonymous=405)),
    "webhooks:active": Check("webhook", post_only(anonymous=405)),
    "webhooks:delete": Check("webhook", post_only(anonymous=405)),
    "webhooks:redeliver": Check("delivery", post_only(anonymous=405)),
    # ---- Django's auth pages: signing in needs no session --------------------------------
    "login": Check(get=everyone(200, anonymous=200)),
    "logout": Check(get=everyone(405, anonymous=405)),  # POST only since Django 5
    "password_change": Check(get=answers(SIGNED_IN)),
    "password_change_done": Check(get=answers(SIGNED_IN)),
    "password_reset": Check(get=everyone(200, anonymous=200)),
    "password_reset_done": Check(get=everyone(200, anonymous=200)),
    "password_reset_confirm": Check("password_reset", everyone(200, anonymous=200)),
    "password_reset_complete": Check(get=everyone(200, anonymous=200)),
    # ---- operations ---------------------------------------------------------------------
    "healthz": Check(get=everyone(PUBLIC, anonymous=PUBLIC)),
    "readyz": Check(get=everyone(PUBLIC, anonymous=PUBLIC)),
    "metrics": Check(get=answers(STAFF, anonymous=404)),  # hidden: 404 even signed out
    # ---- the API (/api/v1/) -------------------------------------------------------------
    "api:openapi-json": Check(get=answers(SIGNED_IN)),
    "api:openapi-view": Check(get=answers(SIGNED_IN)),
    "api:api-root": Check(get=everyone(404, anonymous=404)),  # no page at the prefix
    "api:catalog_get": Check(get=api(SIGNED_IN), query={"kind": "opportunity"}),
    "api:request_type_list": Check(get=api(STAFF)),
    "api:request_type_add": Check(get=api(STAFF)),  # GET is request_type_list
    "api:request_type_change": Check("request_type", API_WRITE, body={"display_name": "x"}),
    "api:sub_request_add": Check("request_type", API_WRITE, body={"name": "x"}),
    "api:sub_request_change": Check("sub_request", API_WRITE, body={"display_name": "x"}),
    "api:record_shares_upsert": Check(get=API_WRITE),
    "api:record_put": Check(get=api(SIGNED_IN)),  # GET /records is the list (record_list)
    "api:record_list": Check(get=api(SIGNED_IN)),
    "api:record_get": Check("record_ext", api(roles(REQUESTER, ADMIN))),
    "api:record_share": Check("record_ext", api(roles(REQUESTER, ADMIN)), body={"user": "sam"}),
    "api:record_shares": Check("record_ext", api(roles(REQUESTER, ADMIN))),
    "api:record_shares_replace": Check(
        "record_ext", api(roles(REQUESTER, ADMIN)), body={"items": []}
    ),
    "api:record_priority_suggestion": Check("record_ext", api(roles(REQUESTER, ADMIN))),
    "api:upload_create": Check(get=API_WRITE),
    "api:cases_export": Check(get=api(SIGNED_IN)),
    "api:case_bulk": Check(get=API_WRITE),
    "api:case_create": Check(get=api(SIGNED_IN)),  # GET /cases is the list (case_list)
    "api:case_list": Check(get=api(SIGNED_IN)),
    "api:case_get": case_api(),
    "api:case_edit": case_api(),  # GET /cases/{number} is case_get
    "api:case_take": case_write(),
    "api:case_assign": case_write(),
    "api:case_ask": case_write(),
    "api:case_hold": case_write(),
    "api:case_resume": case_write(),
    "api:case_close": case_write(),
    "api:case_reopen": case_write(),
    "api:case_rate": case_write(),
    "api:case_move": case_write(),
    "api:case_answer": case_write(),
    "api:case_merge": case_write(),
    "api:case_priority": case_write(body={"priority": "High", "reason": "x"}),
    "api:case_add_details": case_write(body={"description": "x"}),
    "api:watcher_list": case_api(),
    "api:watcher_add": case_api(),
    "api:event_list": case_api(),
    "api:comment_add": case_write(),
    "api:attachment_list": case_api(),
    "api:attachment_add": case_api(),
    "api:attachment_remove": (
        Check("attachment", API_WRITE),
        Check("note_attachment", API_WRITE),
    ),
    "api:attachment_download": (
        Check("attachment", api(CASE_SEERS)),
        Check("note_attachment", api(CASE_TEAM)),
    ),
    "api:approval_list": case_api(),
    "api:approval_request": case_api(),
    "api:approval_decide": Check("approval", API_WRITE),
    "api:child_list": case_api(),
    "api:child_create": case_api(),
    "api:view_list": Check(get=api(SIGNED_IN)),
    "api:view_create": Check(get=api(SIGNED_IN)),
    "api:view_get": Check("view", api(SIGNED_IN)),
    "api:view_update": Check("view", api(SIGNED_IN)),
    "api:view_delete": Check("view", api(SIGNED_IN)),
    "api:view_clone": Check("view", API_WRITE),
    "api:view_publish": Check("view", API_WRITE),
    "api:view_cases": Check("view", api(SIGNED_IN)),
    "api:report_list": Check(get=api(SIGNED_IN)),
    "api:report_detail": (
        Check("report:my-requests", api(SIGNED_IN)),
        Check("report:my-work", api(AGENTS)),
        Check("report:team", api(TEAM_LEADS)),
        Check("report:operations", api(STAFF)),
    ),
    "api:webhook_list": Check(get=api(STAFF)),
    "api:webhook_create": Check(get=api(STAFF)),
    "api:webhook_get": Check("webhook", api(STAFF)),
    "api:webhook_update": Check("webhook", api(STAFF)),
    "api:webhook_delete": Check("webhook", api(STAFF)),
    "api:webhook_deliveries": Check("webhook", api(STAFF)),
    "api:webhook_redeliver": Check("delivery", API_WRITE),
    "api:token_list": Check(get=api(SIGNED_IN)),
    "api:token_create_api": Check(get=api(SIGNED_IN)),
    "api:token_delete": Check("token", API_WRITE, foreign=STAFF),  # admins revoke any
    "api:notification_list": Check(get=api(SIGNED_IN)),
    "api:notification_unread_count": Check(get=api(SIGNED_IN)),
    "api:notification_read_all": Check(get=API_WRITE),
    "api:notification_read": Check("notification", API_WRITE),
    "api:preferences_get": Check(get=api(SIGNED_IN)),
    "api:preferences_put": Check(get=api(SIGNED_IN)),
    "api:team_list": Check(get=api(SIGNED_IN)),
    "api:team_add": Check(get=api(SIGNED_IN)),
    "api:team_change": Check("team", API_WRITE, body={"description": "x"}),
    "api:member_list": Check("team", api(STAFF)),
    "api:member_add": Check("team", api(STAFF), body={"user": "sam"}),
    "api:member_change": Check("member", API_WRITE, body={"role": "agent"}),
    "api:member_remove": Check("member", API_WRITE),
}

# The admin site is Django's: every page of it is for staff (a read-only model's "add" page is
# 403 even to them); everyone else is sent to its login page.
STAFF_PAGE = "staff-page"
ADMIN_SITE = everyone(ADMIN_LOGIN, anonymous=ADMIN_LOGIN) | {ADMIN: STAFF_PAGE}
