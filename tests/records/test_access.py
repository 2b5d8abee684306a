"""The one access rule for records: owner / edit share / read share / none / admin."""

from __future__ import annotations

import pytest
from django.http import Http404

from supportdesk.people.models import Team
from supportdesk.records.queries import (
    can_edit_record,
    record_for,
    records_editable_by,
    records_readable_by,
)
from tests.factories import MembershipFactory, RecordShareFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_owner_can_read_and_edit(opportunity, rep):
    assert can_edit_record(rep, opportunity)
    assert opportunity in records_readable_by(rep)
    assert opportunity in records_editable_by(rep)


def test_user_with_an_edit_share_can_edit(opportunity, other_rep, shared_edit):
    assert can_edit_record(other_rep, opportunity)
    assert opportunity in records_editable_by(other_rep)


def test_user_with_a_read_share_can_read_but_not_edit(opportunity, other_rep, shared_read):
    assert not can_edit_record(other_rep, opportunity)
    assert opportunity in records_readable_by(other_rep)
    assert opportunity not in records_editable_by(other_rep)


def test_member_of_a_team_with_an_edit_share_can_edit(opportunity):
    team: Team = TeamFactory(name="Partner Team")
    member = MembershipFactory(team=team).user
    RecordShareFactory(record=opportunity, team=team, level="edit")
    assert can_edit_record(member, opportunity)
    assert opportunity in records_editable_by(member)


def test_user_without_access_neither_reads_nor_edits_and_gets_404(opportunity, outsider):
    assert not can_edit_record(outsider, opportunity)
    assert opportunity not in records_readable_by(outsider)
    with pytest.raises(Http404):
        record_for(outsider, opportunity.pk)


def test_ops_admin_can_read_and_edit_everything(opportunity, admin_user):
    assert can_edit_record(admin_user, opportunity)
    assert record_for(admin_user, opportunity.pk) == opportunity


def test_inactive_users_have_no_access(opportunity, rep):
    rep.is_active = False
    rep.save()
    assert not can_edit_record(rep, opportunity)
    assert not records_readable_by(rep).exists()


def test_shares_do_not_leak_to_other_records(opportunity, other_rep, shared_edit):
    other = RecordShareFactory(user=UserFactory()).record
    assert other not in records_readable_by(other_rep)
