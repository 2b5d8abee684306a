"""The Content-Security-Policy in a real browser: the main pages, the case page's htmx actions,
@mention suggestions and the report charts run with no CSP violation, and htmx injects no
<style> element (the policy allows none)."""

from __future__ import annotations

from typing import Any

import pytest

from supportdesk.cases import actions
from supportdesk.people.models import Membership, Team
from tests.browser.flows import log_in
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dan_with_a_case() -> tuple[str, int]:
    rita = UserFactory(username="rita")
    dan = UserFactory(username="dan")
    MembershipFactory(user=dan, team=Team.objects.get(name="Deal Desk"), role=Membership.Role.AGENT)
    record = RecordFactory(owner=rita, external_id="006CSP")
    case = quote_question(rita, record)
    actions.take_case(case, agent=dan)
    return case.number, record.pk


def test_main_pages_run_without_csp_violations(
    page: Any, live_server: Any, dan_with_a_case: tuple[str, int]
) -> None:
    number, record_pk = dan_with_a_case
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "unsafe-eval" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(str(error)))

    log_in(page, live_server, "dan")

    page.goto(f"{live_server.url}/cases/{number}/")
    composer = page.locator("textarea[data-mention-url]").first
    composer.fill("@ri")  # mention suggestions: fetched and shown by app.js
    page.locator(".mention-menu [role=option]").first.wait_for()
    composer.fill("")

    page.goto(f"{live_server.url}/reports/my-work/")
    page.locator(".report-canvas canvas").first.wait_for()  # Chart.js drew, via CSSOM only

    page.goto(f"{live_server.url}/records/{record_pk}/")
    page.goto(f"{live_server.url}/cases/")
    page.goto(f"{live_server.url}/notifications/")
    assert page.evaluate("() => document.querySelectorAll('style').length") == 0
    assert violations == []

    # The listener does see a violation: an injected inline script is refused.
    page.evaluate(
        """() => {
          const script = document.createElement('script');
          script.textContent = 'window.injected = true';
          document.head.appendChild(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected === undefined")
    assert any("Content Security Policy" in text for text in violations)
