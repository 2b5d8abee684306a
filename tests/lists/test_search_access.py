"""A broad search by someone in no team reads the index for their words and their access token
together (`search.queries.OwnMatches`). The tokens follow every way such a user reaches a case
(requester, watcher, record owner, edit share), kept by triggers whoever writes the rows."""

from __future__ import annotations

import pytest
from django.db import connection

from supportdesk.cases.actions import add_watcher
from supportdesk.cases.models import Case, CaseWatcher
from supportdesk.cases.queries import cases_visible_to
from supportdesk.records.models import Record, RecordShare
from supportdesk.search.documents import TABLE, access_token
from tests.factories import RecordFactory, UserFactory
from tests.lists.test_search import found
from tests.web.conftest import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def broad(monkeypatch):
    """Searches matching more than 2 documents count as broad: listed newest first."""
    monkeypatch.setattr("supportdesk.search.queries.BROAD", 2)


@pytest.fixture
def wombats(rep, opportunity):
    """Three of the rep's cases on their opportunity, all about wombats, newest last."""
    return [make_case(rep, opportunity, subject=f"Wombat {i}", description="x") for i in range(3)]


def reached_by(user) -> set[int]:
    """The case ids whose documents name `user` among those who reach them."""
    token = access_token(user.pk)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s",  # noqa: S608
                [f'access : "{token}"'],
            )
        else:
            cursor.execute(
                f"SELECT rowid FROM {TABLE} WHERE access @@ to_tsquery('simple', %s)",  # noqa: S608
                [token],
            )
        return {row[0] for row in cursor.fetchall()}


def newest_first(cases: list[Case]) -> list[str]:
    return [c.number for c in sorted(cases, key=lambda c: c.pk, reverse=True)]


def test_watching_finds_a_case_and_unwatching_hides_it(
    login, rep, other_rep, deal_desk_agent, wombats, broad
):
    client = login(other_rep)
    assert found(client, "wombat") == []
    add_watcher(wombats[1], actor=rep, username=other_rep.username)
    assert found(client, "wombat") == [wombats[1].number]
    CaseWatcher.objects.filter(case=wombats[1], user=other_rep).delete()  # as the admin would
    assert found(client, "wombat") == []


def test_an_edit_share_finds_the_records_cases_and_a_read_share_does_not(
    login, other_rep, opportunity, wombats, broad
):
    client = login(other_rep)
    share = RecordShare.objects.create(record=opportunity, user=other_rep, level="edit")
    assert found(client, "wombat") == newest_first(wombats)
    share.level = RecordShare.Level.READ
    share.save()
    assert found(client, "wombat") == []
    share.level = RecordShare.Level.EDIT
    share.save()
    share.delete()
    assert found(client, "wombat") == []


def test_a_new_record_owner_finds_its_cases_and_the_old_one_only_their_requests(
    login, rep, other_rep, outsider, opportunity, wombats, broad
):
    elsewhere = make_case(rep, opportunity, subject="Wombat elsewhere", description="x")
    Case.objects.filter(pk=elsewhere.pk).update(requester=outsider)
    CaseWatcher.objects.filter(case=elsewhere).update(user=outsider)  # requesters watch
    assert found(login(rep), "wombat") == newest_first([*wombats, elsewhere])
    Record.objects.filter(pk=opportunity.pk).update(owner=other_rep)  # an import, say
    assert found(login(other_rep), "wombat") == newest_first([*wombats, elsewhere])
    assert found(login(rep), "wombat") == newest_first(wombats)


def test_a_case_given_to_another_requester_or_record_follows_them(
    login, other_rep, outsider, wombats, broad
):
    Case.objects.filter(pk=wombats[0].pk).update(requester=other_rep)
    assert found(login(other_rep), "wombat") == [wombats[0].number]
    theirs = RecordFactory(owner=outsider, name="Outsider's deal")
    Case.objects.filter(pk=wombats[2].pk).update(record=theirs)
    assert found(login(outsider), "wombat") == [wombats[2].number]


def test_the_tokens_name_exactly_the_cases_the_access_rule_gives_someone_in_no_team(
    rep, other_rep, outsider, deal_desk_agent, opportunity
):
    """Whatever the way in, the tokens and `cases_visible_to` agree (the team's ways aside)."""
    owned_by_other = RecordFactory(owner=other_rep, name="Other's deal")
    cases = [
        make_case(rep, opportunity),
        make_case(rep, opportunity),
        make_case(other_rep, owned_by_other),
        make_case(other_rep, owned_by_other),
    ]
    Case.objects.filter(pk=cases[2].pk).update(requester=outsider)
    Case.objects.filter(pk=cases[3].pk).update(requester=rep)
    add_watcher(cases[0], actor=rep, username=outsider.username)
    RecordShare.objects.create(record=opportunity, user=other_rep, level="edit")
    RecordShare.objects.create(record=owned_by_other, user=rep, level="read")
    stranger = UserFactory(username="stan")
    for user in (rep, other_rep, outsider, stranger):
        assert reached_by(user) == set(cases_visible_to(user).values_list("pk", flat=True)), user
