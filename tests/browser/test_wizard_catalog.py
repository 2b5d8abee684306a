"""The Request Support wizard in a real browser, for one request type of every (team, record
kind) pair the catalog offers, and the detours a requester takes: a missing choice, a required
field left empty, an attachment, Previous, a change of request type, and the duplicate prompt
when the same request is made twice on one record."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from supportdesk.cases.models import Case
from supportdesk.catalog.models import RequestType, SubRequest, effective_fields
from supportdesk.catalog.queries import active_request_types
from supportdesk.catalog.schema import condition_holds
from supportdesk.people.models import Team
from supportdesk.records.models import Record
from tests.browser.flows import catalog_team_kind_pairs, covering_pairs, log_in
from tests.factories import RecordFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEAM_KIND_PAIRS = catalog_team_kind_pairs()
# Each team and each record kind at least once; BROWSER_EVERY_PAIR=1 walks all the pairs.
WALKED_PAIRS = (
    TEAM_KIND_PAIRS
    if os.environ.get("BROWSER_EVERY_PAIR", "").strip() in {"1", "true", "yes"}
    else covering_pairs(TEAM_KIND_PAIRS)
)
Choice = tuple[RequestType, SubRequest | None]


def wizard_choices(team: Team, kind: str) -> list[Choice]:
    """The type step's radio buttons, in the order the wizard shows them."""
    return [
        (rt, sub)
        for rt in active_request_types(team=team, kind=kind)
        for sub in (rt.active_subs or [None])
    ]


def first_choice_asking_something(team: Team, kind: str) -> Choice:
    """The first request type (or sub-request) with at least one required field of its own, so
    the details step has something to fill; the first of all when none has."""
    choices = wizard_choices(team, kind)
    assert choices, f"the catalog offers {team.name} nothing for {kind}"
    for rt, sub in choices:
        if any(d.get("required") for d in effective_fields(rt, sub)):
            return rt, sub
    return choices[0]


def sample_answer(definition: dict, record: Record, username: str) -> Any:
    """A valid answer of the definition's type (picklists: the first option)."""
    options = definition.get("options") or []
    return {
        "text": "Sample answer",
        "long_text": "A longer sample answer,\non two lines.",
        "number": "12",
        "money": "1500.00",
        "percent": "15",
        "date": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "user": username,
        "picklist": options[0] if options else "",
        "multi_picklist": options[:1],
        "url": "https://crm.example.com/evidence/1",
        "email": "buyer@customer.example",
        "checkbox": True,
        "record": record.external_id,
        "file": "evidence.pdf",
    }[definition["type"]]


def answers_to_give(definitions: list[dict], record: Record, username: str) -> dict[str, Any]:
    """Answers for the required fields, and for those that become required (required_if)
    once the others are answered."""
    answers: dict[str, Any] = {}
    grew = True
    while grew:
        grew = False
        for definition in definitions:
            name = definition["name"]
            needed = definition.get("required") or (
                definition.get("required_if")
                and condition_holds(definition["required_if"], answers)
            )
            if needed and name not in answers:
                answers[name] = sample_answer(definition, record, username)
                grew = True
    return answers


def fill_answer(page: Any, definition: dict, value: Any, tmp_path: Path) -> None:
    field_id = f"#id_details-{definition['name']}"
    kind = definition["type"]
    if kind == "picklist":
        page.locator(field_id).select_option(value)
    elif kind == "multi_picklist":
        options = definition["options"]
        for chosen in value:
            page.locator(f"{field_id}_{options.index(chosen)}").check()
    elif kind == "checkbox":
        page.locator(field_id).check()
    elif kind == "file":
        upload = tmp_path / value
        upload.write_bytes(b"%PDF-1.4 evidence")
        page.locator(field_id).set_input_files(str(upload))
    else:
        page.locator(field_id).fill(str(value))


def start_request(page: Any, live_server: Any, record: Record) -> None:
    page.goto(f"{live_server.url}{record.get_absolute_url()}")
    page.get_by_role("button", name="Request Support").click()
    page.wait_for_url(re.compile(r"/requests/.+/team/$"))


def choose_team(page: Any, team: Team) -> None:
    page.locator(f"input[name=team][value='{team.pk}']").check()
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(re.compile(r"/type/$"))


def choose_type(page: Any, choice: Choice) -> None:
    rt, sub = choice
    value = f"{rt.pk}:{sub.pk}" if sub else str(rt.pk)
    page.locator(f"input[name=choice][value='{value}']").check()
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(re.compile(r"/details/$"))


def next_to_review(page: Any) -> None:
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(re.compile(r"/review/$"))


def submit(page: Any) -> Case:
    page.get_by_role("button", name=re.compile("^Submit")).click()
    page.wait_for_url(re.compile(r"/cases/\d{8}/submitted/$"))
    number = re.search(r"/cases/(\d{8})/submitted/", page.url).group(1)
    assert number in page.locator("main").inner_text()
    return Case.objects.get(pk=int(number))


@pytest.mark.parametrize(("team_name", "kind"), WALKED_PAIRS, ids=lambda v: re.sub(r"\W+", "-", v))
def test_a_request_for_each_team_and_record_kind_reaches_its_team(
    page: Any,
    live_server: Any,
    tmp_path: Path,
    screenshot: Callable[[Any, str], Path],
    team_name: str,
    kind: str,
) -> None:
    rep = UserFactory(username="rita", first_name="Rita", last_name="Rep")
    record = RecordFactory(owner=rep, kind=kind, name=f"Acme Corp — {kind}")
    team = Team.objects.get(name=team_name)
    choice = first_choice_asking_something(team, kind)
    definitions = effective_fields(*choice)
    answers = answers_to_give(definitions, record, rep.username)

    log_in(page, live_server, "rita")
    start_request(page, live_server, record)
    choose_team(page, team)
    choose_type(page, choice)
    for definition in definitions:
        if definition["name"] in answers:
            fill_answer(page, definition, answers[definition["name"]], tmp_path)
    page.get_by_label(re.compile("^Description")).fill(f"Help with this {kind}, please.")
    next_to_review(page)
    body = page.locator("main").inner_text()
    assert team_name in body and choice[0].label in body
    case = submit(page)
    screenshot(page, "submitted")

    assert (case.team, case.record, case.requester) == (team, record, rep)
    assert (case.request_type, case.sub_request) == choice
    file_fields = {d["name"] for d in definitions if d["type"] == "file"}
    for name in answers.keys() - file_fields:
        assert case.details[name] not in (None, "", [], False), name
    assert sorted(a.name for a in case.attachments.all()) == ["evidence.pdf"] * len(
        file_fields & answers.keys()
    )


def test_the_pairs_cover_every_team_and_every_record_kind() -> None:
    from supportdesk.records.models import Kind

    teams = {team for team, _kind in TEAM_KIND_PAIRS}
    kinds = {kind for _team, kind in TEAM_KIND_PAIRS}
    assert kinds == set(Kind.values)
    assert teams == set(Team.objects.values_list("name", flat=True))
    assert {t for t, _k in WALKED_PAIRS} == teams and {k for _t, k in WALKED_PAIRS} == kinds


def test_a_requester_corrects_mistakes_changes_type_and_meets_the_duplicate_prompt(
    page: Any, live_server: Any, tmp_path: Path, screenshot: Callable[[Any, str], Path]
) -> None:
    rep = UserFactory(username="rita", first_name="Rita", last_name="Rep")
    record = RecordFactory(owner=rep, name="Acme Corp — FY27 Renewal", external_id="006DUPE")
    deal_desk = Team.objects.get(name="Deal Desk")
    log_in(page, live_server, "rita")
    start_request(page, live_server, record)
    choose_team(page, deal_desk)

    # Next without a choice: the message sits in the request type group.
    page.get_by_role("button", name="Next", exact=True).click()
    page.locator("#choice_error").wait_for()
    assert "Choose the request type" in page.locator("fieldset.field--error").inner_text()
    page.get_by_role("radio", name="Private Offer").check()
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(re.compile(r"/details/$"))

    # Details with the offer recipient email left empty, and an attachment.
    page.get_by_label(re.compile("^Approved quote")).fill("https://crm.example.com/quote/7")
    page.get_by_label(re.compile("^Marketplace")).select_option("AWS")
    page.get_by_label(re.compile("^Customer's AWS/GCP billing")).fill("1234-5678-9012")
    page.get_by_label(re.compile("^Offer recipient name")).fill("Casey Buyer")
    page.get_by_label(re.compile("^Description")).fill("The customer wants to buy on AWS.")
    attachment = tmp_path / "signed-quote.pdf"
    attachment.write_bytes(b"%PDF-1.4 signed quote")
    page.locator("#id_attachments").set_input_files(str(attachment))
    page.get_by_role("button", name="Next", exact=True).click()
    email_field = page.locator(".field--error", has=page.locator("#id_details-offer_contact_email"))
    email_field.locator(".field-error").wait_for()
    assert "required" in email_field.locator(".field-error").inner_text().lower()
    assert page.locator("#id_details-offer_contact_email").get_attribute("aria-invalid") == "true"
    assert "signed-quote.pdf" in page.locator("main").inner_text()  # kept despite the error

    # Previous keeps the choice; another sub-request drops the answers it does not ask for.
    page.get_by_role("button", name="Previous").click()
    page.wait_for_url(re.compile(r"/type/$"))
    assert page.get_by_role("radio", name="Private Offer").is_checked()
    page.get_by_role("radio", name="Quote Question").check()
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(re.compile(r"/details/$"))
    notice = page.locator(".notice[role=status]").inner_text()
    assert "no longer apply to Quote Help / Quote Question" in notice
    assert "Marketplace" in notice and "Offer recipient name" in notice
    assert page.locator("#id_details-quote_url").input_value().endswith("/quote/7")
    assert page.get_by_label(re.compile("^Description")).input_value().startswith("The customer")
    assert "signed-quote.pdf" in page.locator("main").inner_text()
    next_to_review(page)
    first = submit(page)
    assert [a.name for a in first.attachments.all()] == ["signed-quote.pdf"]

    # The same request again on the same record: the review offers the open case instead.
    start_request(page, live_server, record)
    choose_team(page, deal_desk)
    page.get_by_role("radio", name="Quote Question").check()
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(re.compile(r"/details/$"))
    page.locator("#id_details-quote_url").fill("https://crm.example.com/quote/7")
    page.get_by_label(re.compile("^Description")).fill("Same question as before, again.")
    next_to_review(page)
    duplicates = page.locator("#possible-duplicates")
    duplicates.get_by_role("heading", name="This may already be requested").wait_for()
    assert first.number in duplicates.inner_text()
    assert "Same record, team and request type" in duplicates.inner_text()
    page.get_by_role("button", name="Submit anyway").click()
    reason_error = page.locator("#id_not_duplicate_reason_error")
    reason_error.wait_for()
    assert "Say why this is not a duplicate." in reason_error.inner_text()
    page.get_by_label("Why is this not a duplicate?").fill("A second quote for another entity.")
    second = submit(page)
    screenshot(page, "submitted-anyway")
    assert second.number != first.number
    assert Case.objects.filter(record=record).count() == 2
