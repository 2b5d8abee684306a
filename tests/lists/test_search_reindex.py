"""`supportdesk search_reindex` repairs the index after writes outside the services."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from supportdesk.cases.models import Case
from tests.lists.test_search import found
from tests.web.conftest import make_case

pytestmark = pytest.mark.django_db


def test_reindexing_finds_what_a_raw_update_wrote(login, rep, opportunity):
    case = make_case(rep, opportunity)
    Case.objects.filter(pk=case.pk).update(subject="Capybara")  # bypasses the services
    client = login(rep)
    assert found(client, "capybara") == []
    out = io.StringIO()
    call_command("search_reindex", stdout=out)
    assert "Indexed" in out.getvalue()
    assert found(client, "capybara") == [case.number]
