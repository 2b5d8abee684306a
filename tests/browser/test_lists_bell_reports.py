"""List views, the notifications bell, dashboard drill-down and "Report a problem", in a real
browser."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from supportdesk.cases import actions
from supportdesk.cases.models import Case, Status
from supportdesk.lists.models import ListView, Visibility
from supportdesk.notify.models import Notification
from supportdesk.people.models import Membership, Team
from tests.browser.flows import log_in
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk() -> dict[str, Any]:
    """Rita's three Deal Desk cases (one waiting on her, one closed) and Oscar's one; Dan and
    Dora work Deal Desk."""
    rita = UserFactory(username="rita", first_name="Rita", last_name="Rep")
    oscar = UserFactory(username="oscar", first_name="Oscar", last_name="Other")
    deal_desk = Team.objects.get(name="Deal Desk")
    dan = UserFactory(username="dan", first_name="Dan", last_name="Desk")
    dora = UserFactory(username="dora", first_name="Dora", last_name="Desk")
    for agent in (dan, dora):
        MembershipFactory(user=agent, team=deal_desk, role=Membership.Role.AGENT)
    record = RecordFactory(owner=rita, name="Acme Corp — FY27 Renewal", external_id="006LIST")
    open_case = quote_question(rita, record, description="A ramp question.")
    waiting = quote_question(rita, RecordFactory(owner=rita), description="Which version?")
    actions.take_case(waiting, agent=dan)
    actions.ask_requester(waiting, agent=dan, question="Which quote version?")
    closed = quote_question(rita, RecordFactory(owner=rita), description="Old question.")
    actions.take_case(closed, agent=dan)
    actions.close_case(closed, actor=dan, resolution="answered", note="Answered.")
    others = quote_question(oscar, RecordFactory(owner=oscar), description="Oscar's question.")
    return {"open": open_case, "waiting": waiting, "closed": closed, "others": others}


def case_numbers_listed(page: Any) -> set[str]:
    links = page.locator("#results table a[href*='/cases/']").all_inner_texts()
    return {text for text in links if re.fullmatch(r"\d{8}", text)}


def test_an_agent_saves_a_private_view_shares_it_with_the_team_and_exports_it(
    page: Any,
    second_page: Any,
    live_server: Any,
    desk: dict[str, Any],
    screenshot: Callable[[Any, str], Path],
) -> None:
    log_in(page, live_server, "dan")
    page.goto(f"{live_server.url}/cases/")

    # Filters: Deal Desk's closed cases, whoever owns them.
    page.locator("#filters summary").click()
    filters = page.locator("form.filter-form")
    statuses = filters.get_by_role("group", name="Status", exact=True)
    for box in statuses.locator("input[type=checkbox]").all():
        box.uncheck()
    statuses.get_by_label("Closed").check()
    filters.get_by_label("Owner", exact=True).fill("")  # anyone's, not only mine
    filters.get_by_role("group", name="Team", exact=True).get_by_label("Deal Desk").check()
    filters.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"status=closed"))
    assert case_numbers_listed(page) == {desk["closed"].number}

    # Columns: add the first case field not shown yet.
    page.locator("#columns summary").click()
    extra = page.locator(".column-chooser .column-options input[name=columns]").first
    column_key, column_label = extra.get_attribute("value"), ""
    column_label = page.locator(".column-chooser .column-options label.check").first.inner_text()
    extra.check()
    page.get_by_role("button", name="Show these columns").click()
    page.wait_for_url(re.compile(r"columns="))
    headers = page.locator("#results thead").text_content()
    assert column_label.strip() in headers

    # Save as a private view.
    page.get_by_role("link", name="Save as new view…").click()
    page.get_by_label("View name").fill("Closed Deal Desk cases")
    assert page.get_by_label("Only I can see this view").is_checked()
    page.get_by_role("button", name="Save view").click()
    page.get_by_role("heading", name="Closed Deal Desk cases", exact=True).wait_for()
    assert "Only I can see this view" in page.locator(".page-header").inner_text()
    view = ListView.objects.get(name="Closed Deal Desk cases")
    assert view.visibility == Visibility.PRIVATE
    assert view.filters["status"] == ["closed"] and "owner" not in view.filters
    assert column_key in str(view.columns)
    assert case_numbers_listed(page) == {desk["closed"].number}

    # Dora, on Deal Desk too, cannot pick it yet…
    log_in(second_page, live_server, "dora")
    second_page.goto(f"{live_server.url}/cases/")
    assert second_page.locator("#id_view option", has_text="Closed Deal Desk cases").count() == 0

    # …until Dan shares it with his team.
    page.get_by_role("link", name="Rename or share").click()
    page.get_by_label("Members of my team(s) can see this view").check()
    page.get_by_role("group", name="Teams").get_by_label("Deal Desk").check()
    page.get_by_role("button", name="Save view").click()
    page.get_by_role("heading", name="Closed Deal Desk cases", exact=True).wait_for()
    assert ListView.objects.get(pk=view.pk).visibility == Visibility.TEAMS
    second_page.goto(f"{live_server.url}/cases/?view={view.pk}")
    second_page.get_by_role("heading", name="Closed Deal Desk cases", exact=True).wait_for()
    assert "read-only" in second_page.locator(".page-header").inner_text()
    assert case_numbers_listed(second_page) == {desk["closed"].number}

    # Export: the download holds the view's cases and columns.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert column_label.strip() in rows[0]
    assert [row for row in rows[1:] if desk["closed"].number in row]
    assert len(rows) == 2
    screenshot(second_page, "shared-view")


def test_the_bell_counts_another_persons_action_and_marking_read_clears_it(
    page: Any,
    second_page: Any,
    live_server: Any,
    desk: dict[str, Any],
    screenshot: Callable[[Any, str], Path],
) -> None:
    rita, case = "rita", desk["open"]
    Notification.objects.filter(user__username=rita).update(
        read_at=Case.objects.get(pk=case.pk).created_at
    )
    page.clock.install()
    log_in(page, live_server, rita)
    page.goto(f"{live_server.url}{case.get_absolute_url()}")
    bell = page.locator("#bell")
    assert bell.get_attribute("aria-label") == "Notifications, none unread"

    # Dan, in his own browser, takes the case and asks Rita something.
    dan = second_page
    log_in(dan, live_server, "dan")
    dan.goto(f"{live_server.url}{case.get_absolute_url()}")
    dan.get_by_role("button", name="Take ownership").click()
    dan.locator(".case-header .status", has_text="Work in Progress").wait_for()
    dan.get_by_text("More actions").click()
    dan.get_by_role("link", name="Ask requester for information…").click()
    dan.get_by_label("Your question").fill("Is the ramp still needed?")
    dan.get_by_role("button", name="Ask the requester").click()
    dan.locator(".case-header .status", has_text="Pending Response").wait_for()

    # Rita's bell shows it at its next poll, without a reload.
    unread = Notification.objects.filter(user__username=rita, read_at__isnull=True).count()
    assert unread >= 1
    page.clock.run_for("00:31")
    page.locator(f"#bell[aria-label='Notifications, {unread} unread']").wait_for()
    assert page.locator("#bell .bell-count").inner_text() == str(unread)

    # The list, newest first; marking one read lowers the count.
    page.locator("#bell").click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    items = page.locator("li.notification--unread")
    assert items.count() == unread
    assert "Is the ramp still needed?" in page.locator("main").inner_text()
    items.first.get_by_role("button", name=re.compile("^Mark read")).click()
    page.locator("li.notification--unread").nth(unread - 1).wait_for(state="detached")
    remaining = unread - 1
    label = f"Notifications, {remaining} unread" if remaining else "Notifications, none unread"
    assert page.locator("#bell").get_attribute("aria-label") == label
    if remaining:
        page.get_by_role("button", name=re.compile("^Mark all as read")).click()
        page.locator("li.notification--unread").first.wait_for(state="detached")
    assert page.locator("#bell").get_attribute("aria-label") == "Notifications, none unread"
    assert not Notification.objects.filter(user__username=rita, read_at__isnull=True).exists()
    screenshot(page, "all-read")


@pytest.mark.parametrize(
    ("figure", "expected"),
    [("My open requests", {"open", "waiting"}), ("Waiting on me", {"waiting"})],
    ids=["open", "waiting-on-me"],
)
def test_a_dashboard_figure_opens_the_list_of_exactly_its_cases(
    page: Any,
    live_server: Any,
    desk: dict[str, Any],
    screenshot: Callable[[Any, str], Path],
    figure: str,
    expected: set[str],
) -> None:
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/reports/")
    page.get_by_role("link", name="My requests").click()
    card = page.locator(".report-figure", has=page.get_by_text(figure, exact=True))
    link = card.locator(".report-figure-value a")
    assert link.inner_text() == str(len(expected))
    link.click()
    page.wait_for_url(re.compile(r"/cases/\?"))
    page.locator("#results").wait_for()
    assert case_numbers_listed(page) == {desk[name].number for name in expected}
    screenshot(page, "drill-down")


def test_a_problem_report_from_a_page_becomes_an_it_case(
    page: Any, live_server: Any, desk: dict[str, Any], screenshot: Callable[[Any, str], Path]
) -> None:
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/reports/")
    page.locator(".usermenu summary").click()
    page.get_by_role("link", name="Report a problem").click()
    page.get_by_role("heading", name="Report a problem").wait_for()
    assert "Reported from" in page.locator("main").inner_text()

    page.get_by_role("button", name="Send report").click()  # nothing filled in
    page.get_by_role("alert").first.wait_for()
    short = page.locator(".field--error", has=page.get_by_label(re.compile("^Short description")))
    assert short.locator(".field-error").count() == 1

    page.get_by_label(re.compile("^Short description")).fill("The reports page shows no charts")
    page.get_by_label(re.compile("^Description")).fill("Opened Reports; the charts stay empty.")
    shot = {"name": "reports.png", "mimeType": "image/png", "buffer": page.screenshot()}
    page.locator("#id_details-error_screenshot").set_input_files(shot)
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(r"/cases/\d{8}/submitted/$"))
    number = re.search(r"/cases/(\d{8})/", page.url).group(1)
    case = Case.objects.get(pk=int(number))
    screenshot(page, "problem-submitted")
    assert case.team.name == "IT / Enterprise Applications" and case.record is None
    assert case.status == Status.NEW
    assert case.details["short_description"] == "The reports page shows no charts"
    assert [a.name for a in case.attachments.all()] == ["reports.png"]
