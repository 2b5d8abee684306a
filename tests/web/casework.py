"""Helpers for the case page tests: posting actions the way the page's forms do."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from supportdesk.cases.models import Case
from supportdesk.records.models import Record
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory, quote_question

HTMX = {"HX-Request": "true"}


def text(response: Any) -> str:
    return response.content.decode()


def url(case: Case, name: str, *args: Any) -> str:
    return reverse(f"cases:{name}", args=[case.number, *args])


def act(
    client: Client,
    case: Case,
    name: str,
    data: dict[str, Any] | None = None,
    *,
    htmx: bool = False,
    version: int | None = None,
    **kwargs: Any,
) -> Any:
    """POST an action's form as the page would: with the case version the user saw."""
    if version is None:
        version = Case.objects.values_list("version", flat=True).get(pk=case.pk)
    payload = {"version": version, **(data or {})}
    return client.post(url(case, name), payload, headers=HTMX if htmx else None, **kwargs)


def flashed(response: Any) -> list[str]:
    """The messages a response left for the next page."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def fresh(case: Case) -> Case:
    return Case.objects.select_related("owner", "team").get(pk=case.pk)


def quote_question_case(requester: Any, record: Record) -> Case:
    return quote_question(requester, record, description="Which approval does this **ramp** need?")


def second_deal_desk_agent() -> Any:
    user = UserFactory(username="dana", first_name="Dana", last_name="Diaz")
    MembershipFactory(user=user, team=team("Deal Desk"))
    return user
