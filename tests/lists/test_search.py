"""The search box (`q`): every source of a case's text, ranked, in sync, never beyond access."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from supportdesk.cases.actions import add_comment, edit_case
from supportdesk.cases.models import Case, Status
from supportdesk.lists.columns import COLUMNS, SortKey
from supportdesk.lists.filters import parse_filters
from supportdesk.lists.paging import keyset_page
from supportdesk.lists.queries import cases_matching
from supportdesk.people.services import user_upsert
from supportdesk.records.services import record_upsert
from supportdesk.search import queries
from supportdesk.search.documents import index_cases
from tests.factories import RecordFactory
from tests.lists.conftest import copies, numbers
from tests.web.conftest import make_case

pytestmark = pytest.mark.django_db


def found(client, q: str, **params) -> list[str]:
    """Numbers of the cases the Cases tab finds for `q` among all the user can see."""
    return numbers(client.get("/cases/", {"view": "my-requests", "f": "1", "q": q, **params}))


def api_found(client, q: str, **params) -> list[str]:
    response = client.get("/api/v1/cases", {"q": q, **params})
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


@pytest.fixture
def acme(rep, opportunity):
    """A Deal Desk case on the rep's “Acme Corp — FY27 Renewal” opportunity."""
    return make_case(
        rep,
        opportunity,
        subject="Co-term the Zanzibar licences",
        description="The customer wants one invoice for the quokka subscriptions.",
    )


def test_each_source_of_text_finds_the_case(login, rep, deal_desk_agent, acme):
    add_comment(acme, author=deal_desk_agent, body="Checked with the wombat team.")
    client = login(rep)
    for q in ("Zanzibar", "quokka", "wombat", "Acme", "006ACME0001", "Rita", "rita", "licence"):
        assert found(client, q) == [acme.number], q


def test_a_case_number_finds_its_case_padded_or_not(login, rep, acme):
    client = login(rep)
    assert found(client, acme.number) == [acme.number]
    assert found(client, str(acme.pk)) == [acme.number]


def test_an_exact_case_number_comes_first(login, rep, opportunity, acme):
    mention = make_case(
        rep, opportunity, subject=f"Follow-up of {acme.pk} and {acme.number}", description="x"
    )
    assert found(login(rep), acme.number) == [acme.number, mention.number]


def test_a_match_in_the_subject_ranks_above_one_in_a_comment(login, rep, opportunity, acme):
    in_comment = make_case(rep, opportunity, subject="Something else", description="Nothing.")
    add_comment(in_comment, author=rep, body="Is this like Zanzibar?")
    older_in_subject = acme
    assert found(login(rep), "zanzibar") == [older_in_subject.number, in_comment.number]


def test_every_word_is_required(login, rep, opportunity, acme):
    make_case(rep, opportunity, subject="Zanzibar only", description="Nothing.")
    assert found(login(rep), "zanzibar quokka") == [acme.number]
    assert found(login(rep), '"one invoice"') == [acme.number]
    assert found(login(rep), '"invoice one"') == []


def test_only_cases_the_user_may_see_are_found(login, rep, other_rep, outsider, acme, api):
    assert found(login(other_rep), "Zanzibar") == []
    assert found(login(outsider), acme.number) == []
    assert api_found(api(outsider), "Zanzibar") == []
    own = make_case(other_rep, RecordFactory(owner=other_rep), description="Zanzibar too.")
    assert found(login(other_rep), "Zanzibar") == [own.number]


def test_internal_notes_are_found_by_the_team_and_admins_only(
    login, rep, deal_desk_agent, admin_user, acme, api
):
    add_comment(acme, author=deal_desk_agent, body="Margin is thin: pangolin", internal=True)
    assert found(login(deal_desk_agent), "pangolin") == [acme.number]
    assert found(login(admin_user), "pangolin") == [acme.number]
    assert found(login(rep), "pangolin") == []  # the requester sees the case, not the note
    assert api_found(api(rep), "pangolin") == []
    assert api_found(api(deal_desk_agent), "pangolin") == [acme.number]


def test_a_watcher_from_another_team_cannot_find_a_case_by_its_note(
    login, rep, deal_desk_agent, billing_agent, acme
):
    add_comment(acme, author=rep, body=f"@{billing_agent.username} have a look")  # watches now
    add_comment(acme, author=deal_desk_agent, body="pangolin", internal=True)
    client = login(billing_agent)
    assert found(client, "Zanzibar") == [acme.number]
    assert found(client, "pangolin") == []
    assert found(client, "Zanzibar pangolin") == []


def test_an_edit_is_searchable_at_once(login, rep, acme):
    edit_case(acme, actor=rep, changes={"subject": "Platypus terms", "description": "Emu."})
    client = login(rep)
    assert found(client, "platypus") == found(client, "emu") == [acme.number]
    assert found(client, "Zanzibar") == found(client, "quokka") == []


def test_a_rolled_back_comment_is_not_findable(login, rep, acme):
    with pytest.raises(RuntimeError), transaction.atomic():
        add_comment(acme, author=rep, body="armadillo")
        raise RuntimeError("the request failed after the comment")
    assert found(login(rep), "armadillo") == []
    add_comment(acme, author=rep, body="armadillo")
    assert found(login(rep), "armadillo") == [acme.number]


def test_a_renamed_record_finds_its_cases_by_the_new_name(login, rep, admin_user, acme):
    record_upsert(admin_user, kind="opportunity", name="Bilby Ltd", external_id="006ACME0001")
    client = login(rep)
    assert found(client, "Bilby") == [acme.number]
    assert found(client, "Acme") == []


def test_a_renamed_requester_finds_their_cases_by_the_new_name(login, rep, acme):
    user_upsert(username="rita", full_name="Margarethe Quoll")
    client = login(rep)
    assert found(client, "Quoll") == [acme.number]
    assert found(client, "Rep") == []


def test_search_narrows_the_other_filters(login, rep, opportunity, acme):
    closed = make_case(rep, opportunity, subject="Zanzibar closed", description="x")
    Case.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    client = login(rep)
    assert found(client, "zanzibar", status="closed") == [closed.number]
    assert set(found(client, "zanzibar")) == {acme.number, closed.number}


@pytest.mark.parametrize("q", ['"', "AND OR NOT", "-", "*", "NEAR(a b)", "a:b", "{x}", "''"])
def test_odd_input_is_words_never_syntax(login, rep, acme, q):
    response = login(rep).get("/cases/", {"view": "my-requests", "f": "1", "q": q})
    assert response.status_code == 200


def test_a_too_long_search_is_refused_with_the_reason(login, rep, api):
    response = login(rep).get("/cases/", {"view": "my-requests", "f": "1", "q": "x" * 201})
    assert "at most 200 characters" in response.content.decode()
    assert api(rep).get("/api/v1/cases", {"q": "x" * 201}).status_code == 422


def test_the_api_searches_with_the_same_filter(api, rep, opportunity, acme):
    other = make_case(rep, opportunity, subject="Other", description="zanzibar in passing")
    assert api_found(api(rep), "zanzibar") == [acme.number, other.number]
    assert api_found(api(rep), "zanzibar", sort="number") == [acme.number, other.number]
    assert api_found(api(rep), "zanzibar", sort="-number") == [other.number, acme.number]


def test_relevance_without_a_search_falls_back_to_the_views_sort(login, rep, acme):
    response = login(rep).get("/cases/", {"view": "my-requests", "sort": "-relevance"})
    assert numbers(response) == [acme.number]


def test_ranked_results_page_by_cursor_without_gaps_or_duplicates(rep, opportunity, acme):
    made = copies(acme, 23, subject=lambda i: "Zanzibar " * (1 + i % 4) + f"#{i}")
    index_cases(Case.objects.filter(pk__in=[c.pk for c in made]))
    filters = parse_filters({"q": "zanzibar"}, user=rep).filters
    cases = cases_matching(rep, filters)
    sort = [SortKey(COLUMNS["relevance"], True)]
    seen, cursor = [], None
    while True:
        page = keyset_page(cases, sort=sort, user=rep, cursor=cursor, size=5)
        seen += [(c.search_rank, c.pk) for c in page.items]
        if not (cursor := page.next_cursor):
            break
    assert len(seen) == len({pk for _, pk in seen}) == 24
    assert seen == sorted(seen, key=lambda t: (-t[0], -t[1]))


@pytest.fixture
def broad(monkeypatch):
    """Searches matching more than 2 documents count as broad: listed newest first."""
    monkeypatch.setattr("supportdesk.search.queries.BROAD", 2)


def test_a_broad_search_lists_its_matches_newest_first(login, rep, opportunity, acme, broad):
    newer = [make_case(rep, opportunity, subject=f"Zanzibar {i}", description="x") for i in (1, 2)]
    assert found(login(rep), "zanzibar") == [newer[1].number, newer[0].number, acme.number]
    assert found(login(rep), "zanzibar", sort="number") == [
        acme.number, newer[0].number, newer[1].number
    ]  # fmt: skip


def test_a_broad_search_keeps_internal_notes_to_the_team(
    login, rep, other_rep, deal_desk_agent, admin_user, opportunity, acme, broad
):
    cases = [acme, *(make_case(rep, opportunity, description="y") for _ in range(3))]
    for case in cases:
        add_comment(case, author=deal_desk_agent, body="pangolin", internal=True)
    expected = [c.number for c in reversed(cases)]
    assert found(login(deal_desk_agent), "pangolin") == expected
    assert found(login(admin_user), "pangolin") == expected
    assert found(login(rep), "pangolin") == []
    assert found(login(other_rep), "pangolin") == []


def test_a_broad_search_counts_its_matches_only_up_to_its_cap(
    login, rep, opportunity, acme, broad, monkeypatch
):
    monkeypatch.setattr("supportdesk.search.queries.BROAD_COUNT_CAP", 2)
    for i in (1, 2):
        make_case(rep, opportunity, subject=f"Zanzibar {i}", description="x")
    client = login(rep)
    page = client.get("/cases/", {"view": "my-requests", "f": "1", "q": "zanzibar"})
    assert b"<strong>2+</strong> cases" in page.content
    assert len(numbers(page)) == 3  # the page itself lists every match
    body = client.get("/api/v1/cases", {"q": "zanzibar"}).json()
    assert (body["count"], body["count_exact"], len(body["items"])) == (2, False, 3)
    # A search that is not broad counts exactly, as any list does.
    exact = client.get("/api/v1/cases", {"q": "quokka"}).json()
    assert (exact["count"], exact["count_exact"]) == (1, True)


@pytest.mark.parametrize("who", ["deal_desk_agent", "admin_user", "rep"])
def test_a_broad_search_pages_newest_first_both_ways(request, who, rep, opportunity, acme, broad):
    """Team members and admins walk the index in id order (SQLite), others their own cases:
    either way the pages are the matches newest first, forwards and back, each once."""
    user = request.getfixturevalue(who)
    made = copies(acme, 11, subject=lambda i: f"Zanzibar #{i}")
    index_cases(Case.objects.filter(pk__in=[c.pk for c in made]))
    cases = cases_matching(user, parse_filters({"q": "zanzibar"}, user=user).filters)
    sort = [SortKey(COLUMNS["relevance"], True)]
    pages, cursor = [], None
    while True:
        page = keyset_page(cases, sort=sort, user=user, cursor=cursor, size=5)
        pages.append([c.pk for c in page.items])
        if not (cursor := page.next_cursor):
            break
    newest_first = sorted([acme.pk, *(c.pk for c in made)], reverse=True)
    assert [pk for page in pages for pk in page] == newest_first
    back = keyset_page(cases, sort=sort, user=user, cursor=page.previous_cursor, size=5)
    assert [c.pk for c in back.items] == pages[-2]


def test_postgresql_takes_a_clearly_broad_search_from_its_estimate_without_counting(
    rep, opportunity, acme, monkeypatch, django_assert_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner estimates; SQLite counts (cheaply, from FTS5)")
    for i in range(30):
        make_case(rep, opportunity, subject=f"Zanzibar {i}", description="x")
    monkeypatch.setattr("supportdesk.search.queries.BROAD", 5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_case_index")
    monkeypatch.setattr("supportdesk.search.queries.BROAD_BY_ESTIMATE", 20)
    with django_assert_num_queries(1):  # the EXPLAIN alone
        assert queries.broad(queries.parse_terms("zanzibar"))
    monkeypatch.setattr("supportdesk.search.queries.BROAD_BY_ESTIMATE", 1_000)
    with django_assert_num_queries(2):  # not clear enough: counted
        assert queries.broad(queries.parse_terms("zanzibar"))
    with django_assert_num_queries(2):
        assert not queries.broad(queries.parse_terms("quokka"))
