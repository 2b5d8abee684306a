"""The "Other departments" page: every redirect with the source document's instructions."""

from __future__ import annotations

import pytest

from supportdesk.catalog.models import Redirect

pytestmark = pytest.mark.django_db


def test_the_page_lists_every_active_department_with_its_instructions(client, rep):
    client.force_login(rep)
    page = client.get("/departments/").content.decode()
    for redirect in Redirect.objects.filter(is_active=True):
        assert redirect.name.replace("&", "&amp;") in page
    assert "@sales-comp" in page and "Legal Request" in page


def test_it_needs_a_login(client):
    assert client.get("/departments/").status_code == 302
