"""The demo data a newcomer logs into: every role, every record kind, cases in every status."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from supportdesk.cases.models import Case, Status
from supportdesk.people.models import Membership, Team
from supportdesk.records.models import Kind, Record

pytestmark = pytest.mark.django_db


def test_demo_covers_every_role_kind_and_status_and_is_idempotent(capsys):
    call_command("demo")
    first = capsys.readouterr().out
    counts = (Record.objects.count(), Case.objects.count(), Membership.objects.count())
    call_command("demo")
    assert (Record.objects.count(), Case.objects.count(), Membership.objects.count()) == counts

    assert "password for all" in first and "ops" in first
    assert Record.objects.count() >= 40
    assert set(Record.objects.values_list("kind", flat=True)) == set(Kind.values)
    assert Record.objects.filter(kind=Kind.OPPORTUNITY, account__isnull=False).exists()
    for team in Team.objects.filter(is_active=True):
        roles = set(team.memberships.values_list("role", flat=True))
        assert roles == {"agent", "lead"}, team.name
    assert Case.objects.count() >= 12
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    assert Case.objects.values("team").distinct().count() >= 5
