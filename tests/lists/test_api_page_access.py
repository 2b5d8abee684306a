"""GET /cases costs the same queries for a page of 3 or 30 cases, also for users who see the
cases only through the record or as watchers (no access query per case)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportdesk.cases.models import CaseWatcher
from tests.lists.conftest import a_case, copies

pytestmark = pytest.mark.django_db


def count(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/cases", params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("how", ["record editor", "watcher"])
def test_a_page_of_cases_seen_indirectly_costs_no_query_per_case(
    api, rep, other_rep, opportunity, shared_edit, how
):
    template = a_case(rep, opportunity)
    made = [template, *copies(template, 29)]
    if how == "watcher":
        shared_edit.delete()
        CaseWatcher.objects.bulk_create(CaseWatcher(case=c, user=other_rep) for c in made)
    client = api(other_rep)
    client.get("/api/v1/cases")  # the token's first use is recorded once
    small, large = count(client, limit=3), count(client, limit=30)
    assert len(client.get("/api/v1/cases", {"limit": 30}).json()["items"]) == 30
    assert small == large
