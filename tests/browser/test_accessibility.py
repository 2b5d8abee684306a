"""axe-core (vendored, tests/browser/vendor) on the main pages: no violation of impact
"serious" or "critical". The pages run under their Content-Security-Policy, which would refuse
the injected axe script, so this test's browser context alone bypasses CSP."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from supportdesk.cases import actions
from supportdesk.people.models import Membership, Team
from tests.browser.flows import log_in, suggest_mentions
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(bypass_csp=True)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def blocking_violations(page: Any) -> list[str]:
    """Run axe on the page as it is; one line per serious or critical violation."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url} {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


@pytest.fixture
def desk() -> dict[str, Any]:
    rita = UserFactory(username="rita", first_name="Rita", last_name="Rep")
    dan = UserFactory(username="dan", first_name="Dan", last_name="Desk")
    MembershipFactory(user=dan, team=Team.objects.get(name="Deal Desk"), role=Membership.Role.AGENT)
    record = RecordFactory(owner=rita, name="Acme Corp — FY27 Renewal", external_id="006AXE")
    case = quote_question(rita, record)
    actions.take_case(case, agent=dan)
    actions.ask_requester(case, agent=dan, question="Which quote version?", fields=["quote_url"])
    return {"case": case, "record": record}


def test_the_main_pages_have_no_serious_accessibility_violations(
    axe_page: Any,
    live_server: Any,
    desk: dict[str, Any],
    screenshot: Callable[[Any, str], Path],
) -> None:
    page, case, record = axe_page, desk["case"], desk["record"]
    found: list[str] = []

    page.goto(f"{live_server.url}/accounts/login/")
    found += blocking_violations(page)

    log_in(page, live_server, "dan")
    page.goto(f"{live_server.url}/reports/")
    found += blocking_violations(page)
    page.goto(f"{live_server.url}/cases/")
    page.locator("#filters summary").click()  # the filter and column panels open
    page.locator("#columns summary").click()
    found += blocking_violations(page)
    # The agent's case page with its menu open, the close form loaded and @mention suggestions.
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    page.get_by_text("More actions").click()
    page.get_by_role("link", name="Close…").click()
    page.get_by_role("button", name="Close the case").wait_for()
    suggest_mentions(page, "#id_body", "@ri")
    found += blocking_violations(page)
    page.goto(f"{live_server.url}/reports/my-work/")
    page.locator(".report-canvas canvas").first.wait_for()
    found += blocking_violations(page)

    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    page.locator("#answer").wait_for()
    found += blocking_violations(page)
    for path in ("/records/", "/report-problem/", "/notifications/"):
        page.goto(f"{live_server.url}{path}")
        found += blocking_violations(page)
    assert page.locator("li.notification").count() >= 1

    # The wizard, step by step (the details step with its error messages shown).
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    page.get_by_role("button", name="Request Support").click()
    page.wait_for_url(re.compile(r"/team/$"))
    found += blocking_violations(page)
    page.get_by_role("radio", name=re.compile("^Deal Desk")).check()
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(re.compile(r"/type/$"))
    found += blocking_violations(page)
    page.get_by_role("radio", name="Quote Question").check()
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(re.compile(r"/details/$"))
    page.get_by_role("button", name="Next", exact=True).click()
    page.get_by_role("alert").first.wait_for()
    found += blocking_violations(page)
    page.locator("#id_details-quote_url").fill("https://crm.example.com/q/9")
    page.get_by_label(re.compile("^Description")).fill("Another quote question.")
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(re.compile(r"/review/$"))
    found += blocking_violations(page)
    screenshot(page, "wizard-review")

    assert found == [], "\n".join(found)

    # The check does see a violation: an image without a text alternative is critical.
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    assert any(" image-alt (critical)" in line for line in blocking_violations(page))
