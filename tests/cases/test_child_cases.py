"""Linked cases through the services: asking another team for help (a child case), follow-ups,
who sees linked cases, and closing a parent while its children are open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from supportdesk.cases.actions import ActionInvalid, close_case, take_case
from supportdesk.cases.models import Case, CaseEvent, CaseWatcher, Resolution, Status
from supportdesk.cases.problems import problem_report_type
from supportdesk.cases.queries import can_see_case, cases_visible_to
from supportdesk.cases.services import (
    LinkNotAllowed,
    RecordNotEditable,
    create_upload,
    submit_case,
)
from supportdesk.catalog.queries import resolve_choice
from supportdesk.notify.models import Notification
from supportdesk.people.models import Membership
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def invoice_copy():
    return resolve_choice(
        "opportunity", team="Billing", request_type="Invoice Copy Requests", sub_request=None
    ).request_type


def ask_billing(asker, parent: Case, **overrides) -> Case:
    """`asker` asks Billing for an invoice copy from `parent` (a child case)."""
    arguments = {
        "record": parent.record,
        "parent": parent,
        "request_type": invoice_copy(),
        "description": "The quote must match last year's invoice.",
        "answers": {"invoice_number": "INV-1"},
    }
    return submit_case(asker, **(arguments | overrides)).case


@pytest.fixture
def sales_ops_agent(db):
    user = UserFactory(username="sol", first_name="Sol", last_name="Ops")
    MembershipFactory(user=user, team=team("Sales Operations"), role=Membership.Role.AGENT)
    return user


@pytest.fixture
def taken_case(quote_case, deal_desk_agent) -> Case:
    return take_case(quote_case, agent=deal_desk_agent)


def close_long_ago(case: Case, agent) -> Case:
    close_case(case, actor=agent, resolution=Resolution.ANSWERED, note="Answered by email")
    long_ago = timezone.now() - dt.timedelta(days=settings.CASE_REOPEN_DAYS, hours=1)
    Case.objects.filter(pk=case.pk).update(closed_at=long_ago)
    return Case.objects.select_related("record", "team").get(pk=case.pk)


# ---- asking another team for help ----------------------------------------------------------


def test_an_agent_without_access_to_the_record_asks_another_team_for_help(
    taken_case, deal_desk_agent, rep, billing_agent
):
    with pytest.raises(RecordNotEditable):  # not on their own: the parent case grants it
        submit_case(deal_desk_agent, record=taken_case.record, request_type=invoice_copy())
    version = taken_case.version

    child = ask_billing(deal_desk_agent, taken_case)

    assert child.parent == taken_case and child.record == taken_case.record
    assert child.team.name == "Billing" and child.requester == deal_desk_agent
    parent_link = taken_case.events.get(kind=CaseEvent.LINKED)
    assert parent_link.data == {"child": child.number, "team": "Billing", "follow_up": False}
    assert child.events.get(kind=CaseEvent.LINKED).data["parent"] == taken_case.number
    assert Case.objects.get(pk=taken_case.pk).version == version + 1
    told = Notification.objects.filter(kind="case.linked", case=taken_case)
    assert list(told.values_list("user__username", flat=True)) == ["rita"]  # not the asker
    assert "asked Billing for help" in told.get().title


def test_the_requester_and_a_watcher_may_ask_for_help_a_stranger_may_not(
    quote_case, rep, watcher, outsider
):
    assert ask_billing(rep, quote_case).parent == quote_case
    CaseWatcher.objects.create(case=quote_case, user=watcher)
    assert ask_billing(watcher, quote_case).parent == quote_case
    with pytest.raises(LinkNotAllowed):
        ask_billing(outsider, quote_case)
    assert quote_case.children.count() == 2


def test_the_same_submission_key_makes_one_child_and_one_link(quote_case, deal_desk_agent):
    first = ask_billing(deal_desk_agent, quote_case, submission_key="k1")
    again = ask_billing(deal_desk_agent, quote_case, submission_key="k1")
    assert again == first
    assert quote_case.children.count() == 1
    assert CaseEvent.objects.filter(kind=CaseEvent.LINKED).count() == 2


def test_a_child_must_be_raised_on_the_parents_record(quote_case, deal_desk_agent):
    with pytest.raises(ValueError, match="parent's record"):
        ask_billing(deal_desk_agent, quote_case, record=None)


def test_a_parent_closed_meanwhile_gets_no_child(quote_case, deal_desk_agent):
    stale = Case.objects.select_related("record").get(pk=quote_case.pk)
    close_case(quote_case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    stale.status = Status.NEW  # as the asker's page saw it
    with pytest.raises(LinkNotAllowed):
        ask_billing(deal_desk_agent, stale)
    assert not Case.objects.filter(parent=quote_case).exists()


def broken(user) -> dict:
    screenshot = SimpleUploadedFile(
        "error.png", b"\x89PNG\r\n\x1a\n demo", content_type="image/png"
    )
    return {
        "application": "Salesforce",
        "short_description": "Save fails",
        "error_screenshot": [str(create_upload(user, file=screenshot).id)],
    }


def test_a_parent_without_a_record_gets_a_child_without_one(rep):
    it_type = problem_report_type()
    parent = submit_case(
        rep, record=None, request_type=it_type, description="Broken", answers=broken(rep)
    ).case
    child = submit_case(
        rep,
        record=None,
        parent=parent,
        request_type=it_type,
        description="Also broken here",
        answers=broken(rep),
    ).case
    assert child.parent == parent and child.record is None


# ---- closed parents: reopen within the window, follow up after it ---------------------------


def test_a_closed_parent_takes_no_child_within_the_reopen_window(taken_case, deal_desk_agent, rep):
    close_case(taken_case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    closed = Case.objects.select_related("record").get(pk=taken_case.pk)
    with pytest.raises(LinkNotAllowed, match="reopen it instead"):
        ask_billing(rep, closed)
    with pytest.raises(LinkNotAllowed, match="only its requester"):
        ask_billing(deal_desk_agent, closed)


def test_the_requester_requests_a_follow_up_after_the_window(taken_case, deal_desk_agent, rep):
    closed = close_long_ago(taken_case, deal_desk_agent)
    with pytest.raises(LinkNotAllowed):
        ask_billing(deal_desk_agent, closed)
    follow_up = ask_billing(rep, closed)
    assert follow_up.parent == closed
    assert closed.events.get(kind=CaseEvent.LINKED).data["follow_up"] is True
    told = Notification.objects.get(kind="case.linked", user=deal_desk_agent)  # the owner
    assert "requested a follow-up" in told.title


# ---- who sees linked cases -------------------------------------------------------------------


def test_the_other_team_sees_the_parent_and_the_parents_team_the_child(
    quote_case, deal_desk_agent, deal_desk_colleague, billing_agent, sales_ops_agent, outsider
):
    assert not can_see_case(billing_agent, quote_case)
    child = ask_billing(deal_desk_agent, quote_case)

    assert can_see_case(billing_agent, quote_case)  # the child's team sees the parent
    assert quote_case in cases_visible_to(billing_agent)
    assert can_see_case(deal_desk_colleague, child)  # the parent's team sees the child
    assert child in cases_visible_to(deal_desk_colleague)
    for stranger in (sales_ops_agent, outsider):
        assert not can_see_case(stranger, quote_case) and not can_see_case(stranger, child)
        assert not cases_visible_to(stranger).filter(pk__in=[quote_case.pk, child.pk]).exists()


def test_linking_reaches_one_generation_only(quote_case, deal_desk_agent, billing_agent):
    child = ask_billing(deal_desk_agent, quote_case)
    grandchild = submit_case(
        billing_agent,
        record=child.record,
        parent=child,
        request_type=resolve_choice(
            "opportunity",
            team="Sales Operations",
            request_type="Opportunity Splits",
            sub_request=None,
        ).request_type,
        description="Splits look off too.",
        answers={"split_lines": "rita 100%", "approving_manager": "rita"},
    ).case
    sales_ops = UserFactory(username="sue")
    MembershipFactory(user=sales_ops, team=grandchild.team)
    assert can_see_case(sales_ops, child) and not can_see_case(sales_ops, quote_case)
    assert can_see_case(deal_desk_agent, child)


def test_a_plain_requester_pays_nothing_for_links(rep):
    where = str(cases_visible_to(rep).query).split(" WHERE ", 1)[1]
    assert "parent_id" not in where  # no teams: the linked-case clauses are left out


def test_linked_teams_do_not_see_internal_notes(quote_case, deal_desk_agent, billing_agent):
    from supportdesk.cases.actions import add_comment
    from supportdesk.cases.queries import feed_for

    add_comment(quote_case, author=deal_desk_agent, body="Margin is thin", internal=True)
    ask_billing(deal_desk_agent, quote_case)
    assert not feed_for(billing_agent, quote_case).filter(internal=True).exists()


# ---- closing a parent with open children ---------------------------------------------------


def test_a_parent_with_open_children_closes_only_with_a_reason(taken_case, deal_desk_agent):
    child = ask_billing(deal_desk_agent, taken_case)
    fresh = Case.objects.get(pk=taken_case.pk)
    with pytest.raises(ActionInvalid) as refused:
        close_case(fresh, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    assert "1 linked child case is still open." in refused.value.errors["override"]
    assert Case.objects.get(pk=taken_case.pk).status == Status.WORK_IN_PROGRESS

    close_case(
        fresh,
        actor=deal_desk_agent,
        resolution=Resolution.ANSWERED,
        note="Done",
        override="Billing finishes on their own",
    )
    override = taken_case.events.get(kind=CaseEvent.CLOSE_OVERRIDE)
    assert override.data["blockers"] == ["children"]
    assert override.data["reason"] == "Billing finishes on their own"
    assert Case.objects.get(pk=child.pk).status == Status.NEW  # the child goes on


def test_a_parent_closes_freely_once_its_children_are_closed(
    taken_case, deal_desk_agent, billing_agent
):
    child = ask_billing(deal_desk_agent, taken_case)
    child = take_case(child, agent=billing_agent)
    close_case(child, actor=billing_agent, resolution=Resolution.RESOLVED, note="Sent")
    close_case(
        Case.objects.get(pk=taken_case.pk),
        actor=deal_desk_agent,
        resolution=Resolution.ANSWERED,
        note="Done",
    )
    assert not taken_case.events.filter(kind=CaseEvent.CLOSE_OVERRIDE).exists()


def test_the_requester_withdrawing_says_why_which_covers_open_children(quote_case, rep):
    ask_billing(rep, quote_case)
    close_case(quote_case, actor=rep, resolution=Resolution.WITHDRAWN, note="Not needed")
    override = quote_case.events.get(kind=CaseEvent.CLOSE_OVERRIDE)
    assert override.data["reason"] == "Not needed"
