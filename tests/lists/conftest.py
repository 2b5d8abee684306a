"""Fixtures for the Cases tab and list views: clients, and cases made quickly in bulk.

`a_case` goes through `submit_case` (so the case is real) and then sets the columns a test
needs directly; `copies` bulk-creates look-alike cases for paging tests.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from supportdesk.cases.models import Case
from supportdesk.lists.models import ListView, Visibility
from tests.api.conftest import TokenClient, make_token
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory
from tests.web.conftest import make_case, request_type

# Agents' rows start with a checkbox for bulk actions (lists.bulk).
NUMBERS = re.compile(r'<tr>(?:<td class="select-cell">[^\n]*?</td>)?<td><a href="/cases/(\d{8})/">')


def numbers(response: Any) -> list[str]:
    """Case numbers of the list page's rows, in order."""
    assert response.status_code == 200, response.status_code
    return NUMBERS.findall(response.content.decode())


def link(response: Any, rel: str) -> str | None:
    """The page's Next (`next`) or Previous (`prev`) link, as a path with its query."""
    found = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return "/cases/" + html.unescape(found.group(1)) if found else None


def a_case(requester: Any, record: Any, *, team_name: str = "Deal Desk", **fields: Any) -> Case:
    """An "Other" case of the team on the record (submitted), then `fields` set directly."""
    case = make_case(requester, record, request_type=request_type(team_name, "Other", record.kind))
    if fields:
        Case.objects.filter(pk=case.pk).update(**fields)
        case.refresh_from_db()
    return case


def copies(template: Case, n: int, **each: Callable[[int], Any]) -> list[Case]:
    """`n` copies of `template` (bulk-created), field values from `each[field](i)`."""
    rows = []
    for i in range(n):
        row = Case(
            record_id=template.record_id,
            team_id=template.team_id,
            request_type_id=template.request_type_id,
            requester_id=template.requester_id,
            subject=f"{template.subject} #{i}",
            description=template.description,
            created_at=template.created_at,
            updated_at=template.updated_at,
        )
        for name, value in each.items():
            setattr(row, name, value(i))
        rows.append(row)
    return Case.objects.bulk_create(rows)


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def a_view(owner, name="Closed ones", visibility=Visibility.PRIVATE, teams=(), **fields):
    view = ListView.objects.create(
        owner=owner,
        name=name,
        visibility=visibility,
        filters=fields.pop("filters", {"status": ["closed"]}),
        columns=fields.pop("columns", ["number", "subject", "status"]),
        sort=fields.pop("sort", "-created_at"),
    )
    view.teams.set(teams)
    return view


@pytest.fixture
def dee(db):
    """A second Deal Desk agent."""
    user = UserFactory(username="dee", first_name="Dee", last_name="Desk")
    MembershipFactory(user=user, team=team("Deal Desk"))
    return user


@pytest.fixture
def login() -> Callable[[Any], Client]:
    def _login(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api() -> Callable[[Any], TokenClient]:
    """api(user) → a client calling the API with a token of that user."""
    return lambda user: TokenClient(make_token(user))


@pytest.fixture
def deal_desk_lead(db):
    user = UserFactory(username="lena", first_name="Lena", last_name="Lead")
    MembershipFactory(user=user, team=team("Deal Desk"), role="lead")
    return user
