"""In a real browser: typing a team's handle in the composer offers "Ask <team> for help",
which leads through the guided request to a child case linked to this one."""

from __future__ import annotations

import re

import pytest

from supportdesk.cases.models import Case
from supportdesk.people.models import Membership, Team
from tests.browser.flows import log_in
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case() -> Case:
    rita = UserFactory(username="rita", first_name="Rita", last_name="Rep")
    dan = UserFactory(username="dan", first_name="Dan", last_name="Desk")
    MembershipFactory(user=dan, team=Team.objects.get(name="Deal Desk"), role=Membership.Role.AGENT)
    record = RecordFactory(owner=rita, name="Acme Corp — FY27 Renewal", external_id="006LINK")
    return quote_question(rita, record)


def test_an_agent_asks_billing_from_the_composer_and_the_parent_lists_the_child(
    page, live_server, case
):
    log_in(page, live_server, "dan")
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    page.locator("#id_body").press_sequentially("cc @bil")
    option = page.locator(".mention-menu [role='option']", has_text="Ask Billing for help")
    option.wait_for()
    page.locator("#id_body").press("Enter")
    page.wait_for_url(re.compile(r"/ask-for-help/\?team=billing$"))
    assert page.locator("#id_team_0").is_checked()  # Billing, preset
    page.get_by_role("button", name="Next").click()

    page.wait_for_url(re.compile(r"/requests/.+/type/$"))
    assert f"Linked to case {case.number}" in page.locator(".notice--linked").inner_text()
    page.get_by_label("Invoice Copy Requests").check()
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/details/$"))
    page.get_by_label(re.compile("^Invoice number")).fill("INV-42")
    page.get_by_label(re.compile("^Description")).fill("Please send a copy of INV-42.")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/review/$"))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/submitted/$"))

    child = Case.objects.get(parent=case)
    assert child.details == {"invoice_number": "INV-42"}
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    assert child.number in page.locator("#linked-cases").inner_text()
