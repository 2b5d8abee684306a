"""The base layout's top bar for a signed-in user — main navigation, the bell, the user menu —
drawn in Python, as base.html and notify/_bell.html drew them, byte for byte.

Every page shows it, and the template engine spent ~0.3 ms a page on its twenty-odd
variables, conditions and links. `{% topbar %}` and `{% bell %}` (templatetags/layout.py)
call these with the template's context, and read it as the templates did: `user` and
`request`, `leads_a_team` and `unread_notification_count` (context processors, called when
shown), `current` (the bell marks the notifications page), and the CSRF token.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from django.template import Context, Variable, VariableDoesNotExist
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString

from supportdesk.url_builder import urls_for

BELL_ICON = (
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 22a2.5 2.5 0'
    " 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3"
    ' 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1z"/></svg>'
)
CURRENT = ' aria-current="page"'


# The links of the top bar, escaped as {% url_for %} escaped them (urls_for: read at once).
_TOPBAR_VIEWS = (
    *("records:list", "cases:mine", "reports:index", "cases:urgent_usage", "report_problem"),
    *("notify:preferences", "people:tokens", "notify:problems", "webhooks:list"),
    *("people:admin_tokens", "password_change", "logout", "notify:list", "notify:bell"),
)
_BELL_VIEWS = ("notify:list", "notify:bell")


def _urls(viewnames: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(viewnames, map(html.escape, urls_for(*viewnames)), strict=True))


def _lookup(context: Context, name: str) -> Any:
    """`{{ name }}` as a template resolves it (callables called); None when missing."""
    try:
        return Variable(name).resolve(context)
    except VariableDoesNotExist:
        return None


def bell(
    context: Context, *, current: bool = False, urls: dict[str, str] | None = None
) -> SafeString:
    """The bell with the unread count (notify/_bell.html); `current` on the notifications page
    (or when the page asks with ?current=1, as the bell's own polling does there)."""
    url = (urls or _urls(_BELL_VIEWS)).__getitem__
    unread = _lookup(context, "unread_notification_count")
    request = context.get("request")
    current = bool(current or _lookup(context, "current"))
    if not current and request is not None:
        current = bool(request.GET.get("current"))
    if unread:
        label, count = f", {unread} unread", "99+" if unread > 99 else str(unread)
        badge = f'<span class="bell-count" aria-hidden="true">{count}</span>'
    else:
        label, badge = ", none unread", ""
    return SafeString(
        f'\n<a id="bell" class="bell{" bell--unread" if unread else ""}"'
        f' href="{url("notify:list")}"{CURRENT if current else ""}'
        f'\n   hx-get="{url("notify:bell")}{"?current=1" if current else ""}"'
        ' hx-trigger="every 30s" hx-swap="outerHTML"'
        f'\n   aria-label="Notifications{label}">\n  {BELL_ICON}\n  {badge}\n</a>\n'
    )


def topbar(context: Context) -> SafeString:
    """The navigation, the bell and the user menu of base.html's header (signed in)."""
    user, request = context.get("user"), context.get("request")
    urls = _urls(_TOPBAR_VIEWS)
    url = urls.__getitem__
    match = getattr(request, "resolver_match", None)
    section = (match.namespace if match is not None else "") or ""
    url_name = (match.url_name if match is not None else "") or ""
    wizard = url_name[:7] == "wizard_"
    records = section == "records" or wizard
    cases = section == "lists" or (section == "cases" and not wizard and url_name != "urgent_usage")
    urgent = (
        f'<a href="{url("cases:urgent_usage")}"'
        f"{CURRENT if url_name == 'urgent_usage' else ''}>Urgent use</a>"
        if _lookup(context, "leads_a_team")
        else ""
    )
    short = user.get_short_name() or user.get_username()
    name = user.get_full_name() or user.get_username()
    problem = ""
    if url_name != "report_problem":
        path = quote(request.get_full_path()) if request is not None else ""
        problem = f'<a href="{url("report_problem")}?from={html.escape(path)}">Report a problem</a>'
    staff = ("", "", "")
    if user.is_staff:
        staff = (
            f'<a href="{url("notify:problems")}">Delivery problems</a>',
            f'<a href="{url("webhooks:list")}">Webhooks</a>',
            f'<a href="{url("people:admin_tokens")}">Everyone\'s API tokens</a>',
        )
    return SafeString(
        '\n    <nav class="mainnav" aria-label="Main">'
        f'\n      <a href="{url("records:list")}"{CURRENT if records else ""}>Records</a>'
        f'\n      <a href="{url("cases:mine")}"{CURRENT if cases else ""}>Cases</a>'
        f'\n      <a href="{url("reports:index")}"'
        f"{CURRENT if section == 'reports' else ''}>Reports</a>"
        f"\n      {urgent}\n    </nav>"
        '\n    <div class="topbar-end">'
        f"\n      {bell(context, current=section == 'notify', urls=urls)}\n"
        '\n      <details class="usermenu">'
        '\n        <summary><span class="avatar" aria-hidden="true">'
        f"{html.escape(short[:1].upper())}</span>"
        f'<span class="usermenu-name">{html.escape(name)}</span></summary>'
        '\n        <div class="usermenu-panel">'
        f"\n          {problem}"
        f'\n          <a href="{url("notify:preferences")}">Notification preferences</a>'
        f'\n          <a href="{url("people:tokens")}">API tokens</a>'
        f"\n          {staff[0]}\n          {staff[1]}\n          {staff[2]}"
        f'\n          <a href="{url("password_change")}">Password</a>'
        f'\n          <form method="post" action="{url("logout")}">'
        f'{CsrfTokenNode().render(context)}<button type="submit">Log out</button></form>'
        "\n        </div>\n      </details>\n    </div>\n    "
    )
