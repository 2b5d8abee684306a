"""Report charts in a real browser: charts.js draws each chart table with the vendored
Chart.js, the table stays, a click on a bar opens the list of its cases, and the print
stylesheet leaves only the report."""

from __future__ import annotations

import re
from typing import Any

import pytest

from supportdesk.cases import actions
from supportdesk.people.models import Membership, Team
from tests.browser.flows import log_in
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dan_with_a_case() -> str:
    rita = UserFactory(username="rita")
    dan = UserFactory(username="dan")
    MembershipFactory(user=dan, team=Team.objects.get(name="Deal Desk"), role=Membership.Role.AGENT)
    case = quote_question(rita, RecordFactory(owner=rita, external_id="006CHART"))
    actions.take_case(case, agent=dan)
    return case.number


def test_charts_are_drawn_above_their_tables_and_a_bar_opens_its_cases(
    page: Any, live_server: Any, dan_with_a_case: str
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, "dan")
    page.goto(f"{live_server.url}/reports/my-work/")

    canvases = page.locator(".report-canvas canvas[role=img]")
    canvases.first.wait_for()
    assert canvases.count() == 2
    label = canvases.first.get_attribute("aria-label")
    assert label.startswith("Stacked bar chart: My open cases by status and age")
    assert "Raised today: total 1" in label
    assert page.locator(".report-table table").first.is_visible()  # the table stays

    # The one bar: Work in Progress, raised today. Click its middle.
    point = page.evaluate(
        """() => {
          const canvas = document.querySelector('.report-canvas canvas');
          canvas.scrollIntoView({block: 'center'});
          const bar = Chart.getChart(canvas).getDatasetMeta(0).data[1];
          const box = canvas.getBoundingClientRect();
          return {x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2};
        }"""
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile(r"/cases/\?.*status=work_in_progress"))
    assert page.get_by_role("link", name=dan_with_a_case).count() >= 1
    assert errors == []


def test_printing_leaves_the_report_without_navigation_or_filters(
    page: Any, live_server: Any, dan_with_a_case: str
) -> None:
    log_in(page, live_server, "dan")
    page.goto(f"{live_server.url}/reports/my-work/")
    page.locator(".report-canvas canvas").first.wait_for()
    page.emulate_media(media="print")

    assert not page.locator(".topbar").is_visible()
    assert not page.locator("form.report-filters").is_visible()
    assert not page.get_by_role("link", name="Export CSV").is_visible()
    assert page.locator(".print-only").is_visible()
    assert page.locator(".report-canvas canvas").first.is_visible()
