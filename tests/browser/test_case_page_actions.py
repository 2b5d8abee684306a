"""The case page's other actions in a real browser (test_case_work.py walks take, ask,
comment-as-answer, close and rate): the agent puts a case on hold and resumes it, asks for
fields that the requester fills in the answer form, the requester comments and reopens the
closed case; and a person @mentioned through the composer's autocomplete is notified."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from supportdesk.cases.models import Case, Status
from supportdesk.notify.models import Notification
from supportdesk.people.models import Membership, Team
from tests.browser.flows import log_in
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case() -> Case:
    rita = UserFactory(username="rita", first_name="Rita", last_name="Rep")
    dan = UserFactory(username="dan", first_name="Dan", last_name="Desk")
    MembershipFactory(user=dan, team=Team.objects.get(name="Deal Desk"), role=Membership.Role.AGENT)
    record = RecordFactory(owner=rita, name="Acme Corp — FY27 Renewal", external_id="006ACTS")
    return quote_question(rita, record)


def status_badge(page: Any) -> str:
    return page.locator(".case-header .status").inner_text()


def wait_for_status(page: Any, label: str) -> None:
    page.locator(".case-header .status", has_text=re.compile(f"^{label}$")).wait_for()


def open_menu_action(page: Any, label: str) -> None:
    page.get_by_text("More actions").click()
    page.get_by_role("link", name=label).click()


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def test_hold_resume_ask_for_fields_answer_comment_close_and_reopen(
    page: Any,
    second_page: Any,
    live_server: Any,
    case: Case,
    screenshot: Callable[[Any, str], Path],
) -> None:
    case_url = f"{live_server.url}{case.get_absolute_url()}"
    rita, dan = page, second_page

    log_in(dan, live_server, "dan")
    dan.goto(case_url)
    dan.get_by_role("button", name="Take ownership").click()
    wait_for_status(dan, "Work in Progress")

    # A change of status: on hold with a reason, then back to work.
    open_menu_action(dan, "Put on hold…")
    dan.get_by_label("Reason").fill("Waiting for the customer's legal review.")
    dan.get_by_role("button", name="Put on hold").click()
    wait_for_status(dan, "On Hold")
    assert fresh(case).status == Status.ON_HOLD
    dan.get_by_role("button", name="Resume work").click()
    wait_for_status(dan, "Work in Progress")

    # Ask for a field: the requester gets a form with exactly that field.
    open_menu_action(dan, "Ask requester for information…")
    dan.get_by_label("Your question").fill("Please confirm the quote link.")
    dan.locator("input[name=ask_fields][value=quote_url]").check()
    dan.get_by_role("button", name="Ask the requester").click()
    wait_for_status(dan, "Pending Response")

    log_in(rita, live_server, "rita")
    rita.goto(case_url)
    answer = rita.locator("#answer")
    answer.get_by_role("heading", name="Answer the team's request").wait_for()
    answer.get_by_label(re.compile("^Quote")).fill("https://crm.example.com/q/2")
    answer.get_by_role("button", name="Send my answers").click()
    rita.locator("#answer").wait_for(state="detached")
    rita.reload()
    wait_for_status(rita, "Work in Progress")
    assert fresh(case).details["quote_url"] == "https://crm.example.com/q/2"

    # A plain comment from the requester.
    rita.get_by_label("Add to the feed").fill("Thanks, the customer signs on Friday.")
    rita.get_by_role("button", name="Post").click()
    rita.wait_for_url(re.compile(r"#event-\d+$"))
    assert "the customer signs on Friday" in rita.locator("#feed-list").inner_text()

    # Dan closes; Rita reopens with a reason, and the case goes back to Dan's work.
    dan.goto(case_url)
    dan.get_by_role("link", name="Close…").click()
    dan.get_by_role("radio", name="Question answered").check()
    dan.get_by_label("Resolution note").fill("Quote version 2 is the right one.")
    dan.get_by_role("button", name="Close the case").click()
    wait_for_status(dan, "Closed")

    rita.goto(case_url)
    rita.get_by_role("link", name="Reopen…").click()
    rita.get_by_role("button", name="Reopen").click()  # no reason: refused, next to the field
    reason = rita.locator(".field--error", has=rita.get_by_label("Why does it need more work?"))
    reason.get_by_text("Say why the case needs more work.").wait_for()
    rita.get_by_label("Why does it need more work?").fill("The customer asked for a new ramp.")
    rita.get_by_role("button", name="Reopen").click()
    wait_for_status(rita, "Work in Progress")
    screenshot(rita, "reopened-by-requester")

    reopened = fresh(case)
    assert reopened.status == Status.WORK_IN_PROGRESS and reopened.owner.username == "dan"
    assert "The customer asked for a new ramp." in rita.locator("#feed-list").inner_text()


def test_a_person_mentioned_through_autocomplete_is_notified(
    page: Any, live_server: Any, case: Case, screenshot: Callable[[Any, str], Path]
) -> None:
    UserFactory(username="victor", first_name="Victor", last_name="Viewer")
    log_in(page, live_server, "dan")
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    composer = page.locator("#id_body")
    composer.press_sequentially("Victor, please check @vic")
    menu = page.locator(".mention-menu")
    menu.get_by_role("option", name=re.compile("Victor Viewer")).wait_for()
    assert composer.get_attribute("aria-activedescendant").startswith("id_body-mention-option")
    menu.get_by_role("option", name=re.compile("Victor Viewer")).click()
    assert composer.input_value().startswith("Victor, please check @victor")
    page.get_by_role("button", name="Post").click()
    page.wait_for_url(re.compile(r"#event-\d+$"))
    feed = page.locator("#feed-list")
    feed.get_by_text("please check").wait_for()
    screenshot(page, "mention-posted")

    notified = Notification.objects.filter(user__username="victor", case=case)
    assert notified.exists()
