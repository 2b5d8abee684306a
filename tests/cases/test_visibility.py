"""The one access rule for cases (DESIGN.md, "Who sees a case")."""

from __future__ import annotations

import pytest
from django.http import Http404

from supportdesk.cases.models import Case, CaseWatcher
from supportdesk.cases.queries import (
    can_see_case,
    case_for,
    cases_on_record_visible_to,
    cases_visible_to,
    other_cases_on_record,
)
from supportdesk.cases.services import submit_case
from tests.conftest import team
from tests.factories import RecordFactory, RecordShareFactory, RequestTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity):
    request_type = RequestTypeFactory(team=team("Deal Desk"))
    return submit_case(rep, record=opportunity, request_type=request_type, description="x").case


def sees(user, case) -> bool:
    try:
        case_for(user, case.number)
    except Http404:
        return False
    return case in cases_visible_to(user)


def test_requester_sees_it(rep, case):
    assert sees(rep, case)


def test_agent_of_the_owning_team_sees_it(deal_desk_agent, case):
    assert sees(deal_desk_agent, case)


def test_agent_of_another_team_does_not(billing_agent, case):
    assert not sees(billing_agent, case)


def test_someone_with_edit_access_to_the_record_sees_it(other_rep, case, shared_edit):
    assert sees(other_rep, case)


def test_read_access_to_the_record_is_not_enough(other_rep, case, shared_read):
    assert not sees(other_rep, case)


def test_a_watcher_sees_it(outsider, case):
    assert not sees(outsider, case)
    CaseWatcher.objects.create(case=case, user=outsider)
    assert sees(outsider, case)


def test_ops_admin_sees_it(admin_user, case):
    assert sees(admin_user, case)


def test_strangers_get_404_exactly_like_missing_cases(outsider, case):
    with pytest.raises(Http404):
        case_for(outsider, case.number)
    with pytest.raises(Http404):
        case_for(outsider, "99999999")
    with pytest.raises(Http404):
        case_for(outsider, "not-a-number")


def test_the_visible_list_has_no_duplicates(deal_desk_agent, case, shared_edit):
    CaseWatcher.objects.create(case=case, user=deal_desk_agent)
    assert list(cases_visible_to(deal_desk_agent)) == [case]


# ---- the single-case check and the record's other cases agree with the rule ----------------


def test_the_single_case_checks_agree_with_the_rule_for_every_persona(
    rep, other_rep, outsider, admin_user, deal_desk_agent, billing_agent, opportunity
):
    """`can_see_case`, `case_for` and `other_cases_on_record` (plain SQL) answer exactly what
    `cases_visible_to` (the ORM rule, used by every list) answers: requester, watcher, owning
    team, teams of linked parent/child cases, record edit shares (user or team), admins."""
    deal_desk, billing = team("Deal Desk"), team("Billing")

    def new_case(requester, record, team_):
        request_type = RequestTypeFactory(team=team_)
        return submit_case(
            requester, record=record, request_type=request_type, description="x"
        ).case

    other_record = RecordFactory(owner=other_rep, name="Other", external_id="006OTHER001")
    team_shared = RecordFactory(owner=other_rep, name="Team share", external_id="006TEAM0001")
    RecordShareFactory(record=team_shared, team=billing, level="edit")
    read_only = RecordFactory(owner=other_rep, name="Read share", external_id="006READ0001")
    RecordShareFactory(record=read_only, team=deal_desk, level="read")
    cases = [
        new_case(rep, opportunity, deal_desk),
        new_case(rep, opportunity, billing),
        new_case(other_rep, other_record, deal_desk),
        new_case(other_rep, other_record, billing),
        new_case(other_rep, team_shared, deal_desk),
        new_case(other_rep, read_only, billing),
    ]
    parent, child = new_case(other_rep, other_record, billing), cases[2]  # Deal Desk's child
    Case.objects.filter(pk=child.pk).update(parent=parent)
    Case.objects.filter(pk=parent.pk).update(child_count=1)
    linked_child = new_case(other_rep, other_record, billing)  # a child of Deal Desk's case
    Case.objects.filter(pk=linked_child.pk).update(parent=cases[2])
    Case.objects.filter(pk=cases[2].pk).update(child_count=1)
    CaseWatcher.objects.create(case=cases[3], user=outsider)
    everything = list(Case.objects.select_related("record"))
    for user in (rep, other_rep, outsider, admin_user, deal_desk_agent, billing_agent):
        user = type(user).objects.get(pk=user.pk)  # fresh: no rule or teams cached on it
        visible = set(cases_visible_to(user).values_list("pk", flat=True))
        single = {c.pk for c in everything if can_see_case(user, c)}
        assert single == visible, user.username
        for c in everything:
            try:
                found = case_for(user, c.number).pk == c.pk
            except Http404:
                found = False
            assert found is (c.pk in visible), (user.username, c.pk)
            on_record = {pk for pk, *_ in other_cases_on_record(user, c, limit=100)}
            expected = set(
                cases_on_record_visible_to(user, c.record)
                .exclude(pk=c.pk)
                .values_list("pk", flat=True)
            )
            assert on_record == expected, (user.username, c.pk)
    user = type(outsider).objects.get(pk=outsider.pk)
    user.is_active = False
    assert not any(can_see_case(user, c) for c in everything)
