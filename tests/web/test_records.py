"""The Records tab and the record page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportdesk.records.models import Kind
from tests.factories import RecordFactory, RecordShareFactory, UserFactory
from tests.web.conftest import make_case

pytestmark = pytest.mark.django_db

LIST = reverse("records:list")


def text(response) -> str:
    return response.content.decode()


def detail(record) -> str:
    return reverse("records:detail", args=[record.pk])


# ---- the list -----------------------------------------------------------------------------


def test_records_list_shows_only_readable_records(login, rep, other_rep, opportunity):
    hidden = RecordFactory(owner=other_rep, name="Globex — Secret Deal")
    shared = RecordFactory(owner=other_rep, name="Initech — Shared")
    RecordShareFactory(record=shared, user=rep, level="read")
    page = text(login(rep).get(LIST))
    assert opportunity.name in page and shared.name in page
    assert hidden.name not in page
    assert 'href="/records/' in page and '<th scope="col">Owner</th>' in page


def test_records_list_for_an_outsider_is_empty(login, outsider, opportunity):
    page = text(login(outsider).get(LIST))
    assert opportunity.name not in page and "No records are shared with you yet" in page


def test_admin_sees_every_record(login, admin_user, opportunity):
    assert opportunity.name in text(login(admin_user).get(LIST))


def test_search_by_name_or_external_id(login, rep, opportunity):
    other = RecordFactory(owner=rep, name="Umbrella Corp", external_id="001UMB")
    client = login(rep)
    by_name = text(client.get(LIST, {"q": "acme"}))
    assert opportunity.name in by_name and other.name not in by_name
    by_id = text(client.get(LIST, {"q": "001umb"}))
    assert other.name in by_id and opportunity.name not in by_id


def test_search_never_finds_unreadable_records(login, rep, other_rep):
    RecordFactory(owner=other_rep, name="Acme Hidden", external_id="006HIDDEN")
    page = text(login(rep).get(LIST, {"q": "Acme Hidden"}))
    assert "Acme Hidden</a>" not in page and "Nothing you can see matches" in page


def test_filter_by_kind(login, rep, opportunity):
    account = RecordFactory(owner=rep, name="Acme Inc", kind=Kind.CUSTOMER_ACCOUNT)
    client = login(rep)
    accounts = text(client.get(LIST, {"kind": Kind.CUSTOMER_ACCOUNT}))
    assert account.name in accounts and opportunity.name not in accounts
    assert '<option value="customer_account" selected>' in accounts
    everything = text(client.get(LIST, {"kind": "nonsense"}))
    assert account.name in everything and opportunity.name in everything


def test_list_is_paginated_by_50_and_keeps_the_filters(login, rep):
    for i in range(55):
        RecordFactory(owner=rep, name=f"Bulk record {i:02d}")
    client = login(rep)
    first = text(client.get(LIST, {"q": "bulk"}))
    assert first.count("Bulk record") == 50 and "Page 1 of 2" in first
    assert 'href="?q=bulk&amp;page=2"' in first
    second = text(client.get(LIST, {"q": "bulk", "page": 2}))
    assert second.count("Bulk record") == 5


def test_list_queries_do_not_grow_with_rows(login, rep, django_assert_max_num_queries):
    account = RecordFactory(owner=rep, kind=Kind.CUSTOMER_ACCOUNT)
    for _ in range(40):
        RecordFactory(owner=UserFactory(), account=account)
    for record in RecordFactory._meta.model.objects.exclude(owner=rep):
        RecordShareFactory(record=record, user=rep, level="read")
    client = login(rep)
    with django_assert_max_num_queries(6):  # session, user, teams, count, page, bell
        assert text(client.get(LIST)).count('href="/records/') >= 41


# ---- the record page ----------------------------------------------------------------------


def test_owner_sees_the_record_and_the_request_support_button(login, rep, opportunity):
    page = text(login(rep).get(detail(opportunity)))
    assert "<h1>Acme Corp — FY27 Renewal</h1>" in page
    assert "<dt>Stage</dt><dd>4-Proposal</dd>" in page
    assert "<dt>Amount</dt><dd>120,000</dd>" in page
    assert "<dt>Close date</dt><dd>14 May 2031</dd>" in page
    assert reverse("records:request_support", args=[opportunity.pk]) in page
    assert ">Request Support</button>" in page


def test_reader_sees_an_explanation_instead_of_the_button(
    login, other_rep, opportunity, shared_read
):
    page = text(login(other_rep).get(detail(opportunity)))
    assert ">Request Support</button>" not in page
    assert (
        "Only people with edit access to this record can request support — ask the owner, "
        "Rita Rep, to share it with edit access." in page
    )


def test_edit_share_gets_the_button(login, other_rep, opportunity, shared_edit):
    assert ">Request Support</button>" in text(login(other_rep).get(detail(opportunity)))


def test_admin_gets_the_button(login, admin_user, opportunity):
    assert ">Request Support</button>" in text(login(admin_user).get(detail(opportunity)))


def test_no_read_access_is_not_found(login, outsider, opportunity):
    assert login(outsider).get(detail(opportunity)).status_code == 404


def test_a_missing_record_is_not_found(login, rep):
    assert login(rep).get(reverse("records:detail", args=[999999])).status_code == 404


def test_record_page_lists_only_the_cases_the_viewer_may_see(
    login, rep, other_rep, opportunity, shared_edit
):
    mine = make_case(rep, opportunity)
    theirs = make_case(other_rep, opportunity)
    # The owner (edit access) sees every case on the record.
    page = text(login(rep).get(detail(opportunity)))
    assert mine.number in page and theirs.number in page
    # A reader sees only their own.
    shared_edit.level = "read"
    shared_edit.save()
    page = text(login(other_rep).get(detail(opportunity)))
    assert theirs.number in page and mine.number not in page


def test_record_page_queries_do_not_grow_with_cases(
    login, rep, opportunity, django_assert_max_num_queries
):
    for _ in range(30):
        make_case(rep, opportunity)
    client = login(rep)
    with django_assert_max_num_queries(6):  # session, user, record, teams, cases, bell
        page = text(client.get(detail(opportunity)))
    assert page.count('href="/cases/0') == 30
