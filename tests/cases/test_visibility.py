"""The one access rule for cases (DESIGN.md, "Who sees a case")."""

from __future__ import annotations

import pytest
from django.http import Http404

from supportdesk.cases.models import CaseWatcher
from supportdesk.cases.queries import case_for, cases_visible_to
from supportdesk.cases.services import submit_case
from tests.conftest import team
from tests.factories import RequestTypeFactory

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
