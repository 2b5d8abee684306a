"""The demo has list views to try: a private one, a team one and a published one."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from supportdesk.lists.models import ListView, Visibility

pytestmark = pytest.mark.django_db


def test_the_demo_creates_its_views_once(capsys):
    call_command("demo")
    call_command("demo")
    views = {v.name: v for v in ListView.objects.select_related("owner")}
    assert len(views) == 3
    assert views["My closed requests this quarter"].visibility == Visibility.PRIVATE
    team_view = views["Deal Desk — urgent and high"]
    assert list(team_view.teams.values_list("name", flat=True)) == ["Deal Desk"]
    assert views["Waiting on the requester"].owner.is_staff
