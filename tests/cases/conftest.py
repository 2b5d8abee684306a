"""Personas and a case shared by the policy, state-machine and race tests of `cases`."""

from __future__ import annotations

import pytest

from supportdesk.cases.models import Case
from supportdesk.people.models import Membership
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory, quote_question


@pytest.fixture
def deal_desk_colleague(db):
    """A second agent of Deal Desk (not the owner of the cases in these tests)."""
    user = UserFactory(username="carl", first_name="Carl", last_name="Colleague")
    MembershipFactory(user=user, team=team("Deal Desk"), role=Membership.Role.AGENT)
    return user


@pytest.fixture
def deal_desk_lead(db):
    user = UserFactory(username="lena", first_name="Lena", last_name="Lead")
    MembershipFactory(user=user, team=team("Deal Desk"), role=Membership.Role.LEAD)
    return user


@pytest.fixture
def watcher(db):
    """A plain user; the tests that need a watcher add them to the case."""
    return UserFactory(username="walt", first_name="Walt", last_name="Watcher")


@pytest.fixture
def quote_case(rep, opportunity) -> Case:
    return quote_question(rep, opportunity)
