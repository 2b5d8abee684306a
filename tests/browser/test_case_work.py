"""A case worked from start to finish in a real browser, by two people side by side.

Dan (Deal Desk) takes Rita's case and asks her a question; Rita sees that the team waits for
her and answers in the feed, which puts the case back to Work in Progress; Dan closes it with
a resolution; Rita opens the close notification and rates the help 5/5. Every step goes
through htmx, so each one waits for what the step's reload brings (a message, a URL).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from supportdesk.cases.models import Case, CaseEvent, CaseRating, Resolution, Status
from supportdesk.people.models import Membership, Team
from tests.browser.flows import log_in, message
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Which quote version should the ramp use?"
ANSWER = "Version 3, the one with the **ramp**."
NOTE = "Ramp approved on quote version 3."


@pytest.fixture
def case() -> Case:
    """Rita's Deal Desk question on her opportunity, submitted through the service (fast)."""
    rita = UserFactory(username="rita", first_name="Rita", last_name="Rep")
    dan = UserFactory(username="dan", first_name="Dan", last_name="Desk")
    team = Team.objects.get(name="Deal Desk")
    MembershipFactory(user=dan, team=team, role=Membership.Role.AGENT)
    record = RecordFactory(owner=rita, name="Acme Corp — FY27 Renewal", external_id="006WORK")
    return quote_question(rita, record)


def status_badge(page: Any) -> str:
    return page.locator(".case-header .status").inner_text()


def feed(page: Any) -> str:
    return page.locator("#feed-list").inner_text()


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def test_an_agent_takes_asks_and_closes_and_the_requester_answers_and_rates(
    page, second_page, live_server, case
):
    case_url = f"{live_server.url}{case.get_absolute_url()}"
    rita, dan = page, second_page

    # Dan takes the case from the Deal Desk queue.
    log_in(dan, live_server, "dan")
    dan.goto(case_url)
    assert "Owner: Deal Desk queue" in dan.locator(".case-header").inner_text()
    dan.get_by_role("button", name="Take ownership").click()
    message(dan, f"You own case {case.number} now.")
    assert status_badge(dan) == "Work in Progress"
    assert "Owner: Dan Desk" in dan.locator(".case-header").inner_text()

    # …and asks Rita for information (an inline form from the actions menu).
    dan.get_by_text("More actions").click()
    dan.get_by_role("link", name="Ask requester for information…").click()
    dan.get_by_label("Your question").fill(QUESTION)
    dan.get_by_role("button", name="Ask the requester").click()
    message(dan, "Your question went to Rita Rep; the case waits for the answer.")
    assert status_badge(dan) == "Pending Response"
    assert fresh(case).status == Status.PENDING_RESPONSE

    # Rita sees that the team waits for her, and answers in the feed.
    log_in(rita, live_server, "rita")
    rita.goto(case_url)
    rita.get_by_text("The team is waiting for your answer.").wait_for()
    assert QUESTION in feed(rita)
    rita.get_by_label("Add to the feed").fill(ANSWER)
    rita.get_by_role("button", name="Post").click()
    rita.wait_for_url(re.compile(r"#event-\d+$"))  # the page reloads at her comment
    message(rita, "Comment added.")
    assert status_badge(rita) == "Work in Progress"
    assert rita.get_by_text("The team is waiting for your answer.").count() == 0
    assert fresh(case).status == Status.WORK_IN_PROGRESS

    # Dan sees the answer and closes the case with a resolution and a note.
    dan.goto(case_url)
    assert "Version 3, the one with the ramp." in feed(dan)
    assert status_badge(dan) == "Work in Progress"
    dan.get_by_role("link", name="Close…").click()
    dan.get_by_role("radio", name="Question answered").check()
    dan.get_by_label("Resolution note").fill(NOTE)
    dan.get_by_role("button", name="Close the case").click()
    message(dan, f"Case {case.number} is closed: Question answered.")
    assert status_badge(dan) == "Closed"
    assert (fresh(case).status, fresh(case).resolution) == (Status.CLOSED, Resolution.ANSWERED)

    # Rita follows the close notification to the case and rates the help.
    rita.goto(f"{live_server.url}/notifications/")
    closed_notice = re.compile(rf"Case {case.number} was closed: .* how did we do\?")
    rita.get_by_role("link", name=closed_notice).click()
    rita.wait_for_url(re.compile(rf"/cases/{case.number}/#rate$"))  # straight to the form
    rita.get_by_role("heading", name="How did we do?").wait_for()
    rita.get_by_role("group", name=re.compile("Your rating")).get_by_role(
        "radio", name="5 Excellent"
    ).check()
    rita.get_by_label("Comment (optional)").fill("Fast and clear, thank you!")
    rita.get_by_role("button", name="Send rating").click()
    rita.wait_for_url(re.compile(r"#rate$"))
    message(rita, f"Thank you: you rated case {case.number} 5/5.")
    assert "You rated this 5/5" in rita.locator("#rate").inner_text()
    rating = CaseRating.objects.get(case=case)
    assert (rating.score, rating.comment) == (5, "Fast and clear, thank you!")

    # The feed tells each step, newest first; Dan reads the rating in the details.
    dan.goto(case_url)
    assert (
        "Rated 5/5 by the requester: “Fast and clear, thank you!”"
        in dan.locator(".case-details").inner_text()
    )
    steps = [
        "Dan Desk took ownership",
        "Dan Desk asked the requester for information",
        QUESTION,
        "Rita Rep commented",
        "Rita Rep replied",
        "Dan Desk closed the case",
        NOTE,
        "Rita Rep rated the case 5/5",
        "Fast and clear, thank you!",
    ]
    text = feed(dan)
    positions = [text.find(step) for step in steps]
    assert -1 not in positions, [s for s, p in zip(steps, positions, strict=True) if p < 0]
    assert text.find("rated the case") < text.find("closed the case") < text.find("replied")
    assert text.find("replied") < text.find("asked the requester") < text.find("took ownership")
    kinds = list(case.events.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        CaseEvent.CREATED,
        CaseEvent.OWNER_CHANGED,
        CaseEvent.STATUS_CHANGED,  # New → Work in Progress
        CaseEvent.COMMENTED,  # the question
        CaseEvent.STATUS_CHANGED,  # → Pending Response
        CaseEvent.COMMENTED,  # the answer
        CaseEvent.STATUS_CHANGED,  # → Work in Progress
        CaseEvent.STATUS_CHANGED,  # → Closed
        CaseEvent.RATED,
    ]
