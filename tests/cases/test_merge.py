"""Merging a duplicate into its master (issue 6): the service, the case page, and the race."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportdesk.cases.actions import (
    ActionInvalid,
    ActionNotAllowed,
    add_attachments,
    add_comment,
    add_watcher,
    close_case,
    reopen_case,
    take_case,
)
from supportdesk.cases.merge import lock_pair, merge_case
from supportdesk.cases.models import Attachment, Case, CaseEvent, Resolution, Status
from supportdesk.cases.queries import can_see_case
from supportdesk.notify.models import Delivery, Notification
from tests.factories import quote_question
from tests.web.conftest import make_case, request_type, upload_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def master(rep, opportunity, deal_desk_agent) -> Case:
    return take_case(quote_question(rep, opportunity), agent=deal_desk_agent)


@pytest.fixture
def duplicate(other_rep, opportunity, shared_edit) -> Case:
    """The same question, asked again by another rep who may edit the record."""
    return quote_question(other_rep, opportunity, subject="Ramp approval, again")


def merged(case: Case) -> Case:
    return Case.objects.select_related("duplicate_of").get(pk=case.pk)


def kinds(case: Case) -> list[str]:
    return list(case.events.order_by("id").values_list("kind", flat=True))


def text(response) -> str:
    return response.content.decode()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---- the service ---------------------------------------------------------------------------


def test_the_duplicate_closes_as_a_duplicate_of_the_master(duplicate, master, deal_desk_agent):
    merge_case(duplicate, into=master.number, agent=deal_desk_agent, reason="Same ramp question")

    dup = merged(duplicate)
    assert dup.status == Status.CLOSED and dup.closed_at is not None
    assert dup.resolution == Resolution.DUPLICATE and dup.duplicate_of == master
    assert dup.resolution_note == f"Merged into case {master.number}: Same ramp question"
    assert dup.version == duplicate.version + 1
    closed = dup.events.get(kind=CaseEvent.STATUS_CHANGED, data__to=Status.CLOSED)
    assert closed.data["resolution"] == Resolution.DUPLICATE
    master.refresh_from_db()
    assert master.status == Status.WORK_IN_PROGRESS and master.duplicate_of is None


def test_both_feeds_record_the_merge(duplicate, master, deal_desk_agent, other_rep):
    merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same ramp question")
    on_dup = duplicate.events.get(kind=CaseEvent.MERGED)
    on_master = master.events.get(kind=CaseEvent.MERGED)
    for event in (on_dup, on_master):
        assert event.actor == deal_desk_agent
        assert event.data["from"] == duplicate.number and event.data["into"] == master.number
        assert event.data["reason"] == "Same ramp question"
    assert on_master.data["watchers"] == [other_rep.username]


def test_the_requester_and_watchers_of_the_duplicate_watch_the_master(
    duplicate, master, deal_desk_agent, other_rep, watcher, rep
):
    add_watcher(duplicate, actor=other_rep, username=watcher.username)
    assert not can_see_case(watcher, master)
    merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same ramp question")

    assert set(master.watchers.all()) == {rep, other_rep, watcher}  # rep: its requester
    added = master.events.filter(kind=CaseEvent.WATCHER_ADDED)
    assert {e.data["user"] for e in added} == {other_rep.username, watcher.username}
    assert {e.data["reason"] for e in added} == {"merged"}
    assert can_see_case(watcher, master) and can_see_case(other_rep, master)


def test_public_files_are_copied_to_the_master_and_stay_on_the_duplicate(
    duplicate, master, deal_desk_agent, other_rep
):
    kept = add_attachments(duplicate, actor=other_rep, upload_ids=[upload_for(other_rep)])[0]
    gone = add_attachments(duplicate, actor=other_rep, upload_ids=[upload_for(other_rep, "x.pdf")])
    Attachment.objects.filter(pk=gone[0].pk).update(removed_at=master.created_at)
    add_comment(
        duplicate,
        author=deal_desk_agent,
        body="Discount sheet",
        internal=True,
        attachment_ids=[upload_for(deal_desk_agent, "discounts.pdf")],
    )
    merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same ramp question")

    copies = list(master.attachments.all())
    assert [(a.name, a.file.name, a.uploaded_by) for a in copies] == [
        (kept.name, kept.file.name, other_rep)
    ]
    assert copies[0].pk != kept.pk and copies[0].event is None
    assert duplicate.attachments.count() == 3  # the duplicate keeps its own, removed ones too
    assert master.events.get(kind=CaseEvent.MERGED).data["files"] == [kept.name]


def test_the_copied_file_downloads_from_the_master_for_its_requester(
    duplicate, master, deal_desk_agent, other_rep, rep
):
    add_attachments(duplicate, actor=other_rep, upload_ids=[upload_for(other_rep)])
    merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same ramp question")
    copy = master.attachments.get()
    response = login(rep).get(reverse("cases:attachment", args=[master.number, copy.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 demo"


def test_the_duplicates_people_and_the_masters_owner_are_notified(
    duplicate, master, deal_desk_agent, other_rep, watcher
):
    add_watcher(duplicate, actor=other_rep, username=watcher.username)
    add_watcher(master, actor=deal_desk_agent, username="rita")  # the master's requester
    merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same ramp question")

    note = Notification.objects.get(user=other_rep, kind="case.merged")
    event = master.events.get(kind=CaseEvent.MERGED)
    assert (
        note.case == master
        and note.url == f"{master.get_absolute_url()}?event={event.pk}#event-{event.pk}"
    )
    assert note.title == f"Case {duplicate.number} was merged into case {master.number}"
    assert Notification.objects.filter(user=watcher, kind="case.merged", case=master).exists()
    assert Notification.objects.filter(user=master.requester, kind="case.merged").exists()
    assert Delivery.objects.filter(user=other_rep, kind="case.merged", case=master).exists()
    assert not Notification.objects.filter(user=deal_desk_agent, kind="case.merged").exists()


def test_the_masters_owner_hears_of_it(duplicate, master, deal_desk_colleague):
    merge_case(duplicate, into=master, agent=deal_desk_colleague, reason="Same ramp question")
    note = Notification.objects.get(user=master.owner, kind="case.merged")
    assert duplicate.number in note.body or duplicate.subject in note.body


def test_an_agent_of_another_team_cannot_merge_the_case(duplicate, master, billing_agent):
    with pytest.raises(ActionNotAllowed):
        merge_case(duplicate, into=master, agent=billing_agent, reason="Mine now")
    assert merged(duplicate).status == Status.NEW


def test_the_requester_cannot_merge_their_own_case(duplicate, master, other_rep):
    with pytest.raises(ActionNotAllowed):
        merge_case(duplicate, into=master, agent=other_rep, reason="Same question")
    assert merged(duplicate).duplicate_of is None


def test_a_closed_case_cannot_be_merged(duplicate, master, deal_desk_agent):
    close_case(duplicate, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    with pytest.raises(ActionNotAllowed, match="is closed"):
        merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same")


def test_a_master_the_agent_cannot_see_is_refused_like_a_missing_one(
    duplicate, rep, opportunity, deal_desk_agent
):
    billing = make_case(rep, opportunity, request_type=request_type("Billing", "Internal Support"))
    assert not can_see_case(deal_desk_agent, billing)
    watching = list(billing.watchers.all())
    with pytest.raises(ActionInvalid) as hidden:
        merge_case(duplicate, into=billing.number, agent=deal_desk_agent, reason="Same")
    with pytest.raises(ActionInvalid) as missing:
        merge_case(duplicate, into="99999999", agent=deal_desk_agent, reason="Same")
    assert hidden.value.errors == {"into": [f"There is no case {billing.number} that you can see."]}
    assert missing.value.errors == {"into": ["There is no case 99999999 that you can see."]}
    assert merged(duplicate).status == Status.NEW and list(billing.watchers.all()) == watching


def test_the_master_may_belong_to_another_team_the_agent_can_see(
    duplicate, rep, opportunity, deal_desk_agent, admin_user
):
    billing = make_case(rep, opportunity, request_type=request_type("Billing", "Internal Support"))
    add_watcher(billing, actor=admin_user, username=deal_desk_agent.username)
    merge_case(duplicate, into=billing.number, agent=deal_desk_agent, reason="Billing has it")
    assert merged(duplicate).duplicate_of == billing
    assert billing.events.filter(kind=CaseEvent.MERGED).exists()


def test_invalid_masters_and_reasons_are_named(duplicate, master, deal_desk_agent):
    def errors(into, reason="Same") -> dict:
        with pytest.raises(ActionInvalid) as invalid:
            merge_case(duplicate, into=into, agent=deal_desk_agent, reason=reason)
        return invalid.value.errors

    assert errors(duplicate.number) == {
        "into": ["Choose another case: a case cannot be merged into itself."]
    }
    assert errors("", "  ") == {
        "reason": ["Say why this case is a duplicate."],
        "into": ["Enter the number of the case this one duplicates."],
    }
    assert errors("not-a-number") == {"into": ["There is no case not-a-number that you can see."]}
    close_case(master, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    assert errors(master.number) == {
        "into": [f"Case {master.number} is closed: merge into an open case, or reopen it first."]
    }
    before = merged(duplicate)
    assert (before.status, before.version) == (Status.NEW, duplicate.version)


def test_a_master_merged_elsewhere_points_to_its_own_master(
    duplicate, master, rep, opportunity, deal_desk_agent
):
    third = quote_question(rep, opportunity)
    merge_case(master, into=third, agent=deal_desk_agent, reason="Oldest first")
    with pytest.raises(ActionInvalid, match=f"was merged into case {third.number}"):
        merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same")


def test_a_master_that_is_a_duplicate_of_this_case_is_refused(duplicate, master, deal_desk_agent):
    # Not reachable through the services (a reopened duplicate is unlinked), but a cycle must
    # never be written: the rows may have been changed by hand or by an older release.
    Case.objects.filter(pk=master.pk).update(duplicate_of=duplicate)
    with pytest.raises(ActionInvalid, match="is a duplicate of this case"):
        merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same")


def test_reopening_a_merged_duplicate_unlinks_it(duplicate, master, deal_desk_agent, other_rep):
    merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same ramp question")
    dup = reopen_case(merged(duplicate), actor=other_rep, reason="It is a different ramp")

    assert dup.status == Status.WORK_IN_PROGRESS and merged(dup).duplicate_of is None
    assert merged(dup).resolution == ""
    reopened = dup.events.filter(kind=CaseEvent.STATUS_CHANGED).latest("id")
    assert reopened.data["unmerged_from"] == master.number
    assert other_rep in master.watchers.all()  # what the master gained stays
    page = text(login(other_rep).get(dup.get_absolute_url()))
    assert f"It is no longer a duplicate of case {master.number}." in page


def test_both_rows_are_locked_lower_id_first(duplicate, master, deal_desk_agent):
    low, high = sorted([duplicate.pk, master.pk])
    for first, second in ((low, high), (high, low)):
        with CaptureQueriesContext(connection) as queries:
            lock_pair(first, second)
        locked = [q["sql"] for q in queries.captured_queries]
        assert len(locked) == 2
        assert f"= {low}" in locked[0] and f"= {high}" in locked[1]


# ---- the race ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_agents_merging_a_pair_both_ways_do_not_deadlock(
    rep, other_rep, opportunity, shared_edit, deal_desk_agent, deal_desk_colleague
):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory SQLite cannot run concurrent writers")
    a, b = quote_question(rep, opportunity), quote_question(other_rep, opportunity)
    barrier = threading.Barrier(2)
    outcomes: list[str] = ["", ""]

    def merge(i: int, dup: Case, into: Case, agent) -> None:
        try:
            barrier.wait(timeout=30)
            merge_case(dup, into=into.number, agent=agent, reason="Same")
            outcomes[i] = "won"
        except (ActionNotAllowed, ActionInvalid):
            outcomes[i] = "refused"
        except BaseException as error:  # reported by the assertion below
            outcomes[i] = repr(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=merge, args=(0, a, b, deal_desk_agent)),
        threading.Thread(target=merge, args=(1, b, a, deal_desk_colleague)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused", "won"], outcomes
    rows = {c.pk: c for c in Case.objects.filter(pk__in=[a.pk, b.pk])}
    closed = [c for c in rows.values() if c.status == Status.CLOSED]
    assert len(closed) == 1 and closed[0].duplicate_of_id in rows


# ---- the case page -------------------------------------------------------------------------


def test_the_menu_offers_the_merge_to_the_team_only(duplicate, deal_desk_agent, other_rep):
    url = reverse("cases:merge", args=[duplicate.number])
    assert f'href="{url}"' in text(login(deal_desk_agent).get(duplicate.get_absolute_url()))
    assert "Merge into another case…" in text(
        login(deal_desk_agent).get(duplicate.get_absolute_url())
    )
    assert f'href="{url}"' not in text(login(other_rep).get(duplicate.get_absolute_url()))


def test_merging_from_the_case_page(duplicate, master, deal_desk_agent):
    client = login(deal_desk_agent)
    url = reverse("cases:merge", args=[duplicate.number])
    form = text(client.get(url))
    assert 'name="into"' in form and 'name="reason"' in form
    data = {"into": f"#{master.number}", "reason": "Same ramp", "version": duplicate.version}
    response = client.post(url, data)

    assert response.status_code == 302 and response.url == duplicate.get_absolute_url()
    assert merged(duplicate).duplicate_of == master
    page = text(client.get(response.url))
    assert f"is closed as a duplicate of case {master.number}" in page
    assert f"merged this case into case {master.number}" in page
    assert "Merged into" in page and f'href="{master.get_absolute_url()}"' in page


def test_the_master_lists_its_merged_duplicates(duplicate, master, deal_desk_agent, watcher):
    add_watcher(master, actor=deal_desk_agent, username=watcher.username)
    merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same ramp question")
    page = text(login(deal_desk_agent).get(master.get_absolute_url()))
    assert "Merged duplicates (1)" in page and f'href="{duplicate.get_absolute_url()}"' in page
    assert f"merged case {duplicate.number} into this case" in page
    assert "New watchers: Oscar Other." in page
    watchers_page = text(login(watcher).get(master.get_absolute_url()))  # not the duplicate's
    assert f'{duplicate.number} <span class="muted small">(you cannot open it)' in watchers_page
    assert f'href="{duplicate.get_absolute_url()}"' not in watchers_page


def test_the_form_names_what_is_wrong(duplicate, rep, opportunity, deal_desk_agent):
    billing = make_case(rep, opportunity, request_type=request_type("Billing", "Internal Support"))
    client = login(deal_desk_agent)
    url = reverse("cases:merge", args=[duplicate.number])
    response = client.post(url, {"into": billing.number, "reason": "Same"})
    assert response.status_code == 200
    assert f"There is no case {billing.number} that you can see." in text(response)
    empty = text(client.post(url, {"into": "", "reason": ""}))
    assert "Enter the number of the case this one duplicates." in empty
    assert "Say why this case is a duplicate." in empty
    assert merged(duplicate).status == Status.NEW


def test_the_page_refuses_those_who_may_not_merge(duplicate, master, other_rep, outsider):
    url = reverse("cases:merge", args=[duplicate.number])
    response = login(other_rep).post(url, {"into": master.number, "reason": "Same"})
    assert response.status_code == 302 and merged(duplicate).duplicate_of is None
    assert login(outsider).post(url, {"into": master.number, "reason": "x"}).status_code == 404
