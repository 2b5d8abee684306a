"""The case page's actions, through the client: who may do what, what it changes, and what a
stale form or a lost race shows. Each action works without JavaScript (forms and redirects)
and with htmx (inline forms, HX-Redirect when done)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from supportdesk.cases.actions import (
    add_comment,
    ask_requester,
    close_case,
    edit_case,
    take_case,
)
from supportdesk.cases.models import Case, CaseEvent, Resolution, Status
from tests.web.casework import (
    act,
    flashed,
    fresh,
    quote_question_case,
    second_deal_desk_agent,
    text,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity):
    return quote_question_case(rep, opportunity)


@pytest.fixture
def dana(db):
    return second_deal_desk_agent()


@pytest.fixture
def taken(case, deal_desk_agent):
    """The case, owned by Dan and in Work in Progress."""
    return take_case(case, agent=deal_desk_agent)


def kinds(case: Case) -> list[str]:
    return list(case.events.order_by("id").values_list("kind", flat=True))


# ---- what the page offers ------------------------------------------------------------------


def test_the_page_offers_only_what_the_user_may_do(login, case, rep, deal_desk_agent):
    agent_page = text(login(deal_desk_agent).get(case.get_absolute_url()))
    assert f'action="{url(case, "take")}"' in agent_page
    assert "Take ownership</button>" in agent_page
    for name in ("close", "assign", "move", "edit", "watch"):
        assert f'href="{url(case, name)}"' in agent_page
    assert f'href="{url(case, "hold")}"' not in agent_page  # a New case cannot be put on hold
    assert '<details class="menu">' in agent_page  # the rest sits in a menu

    requester_page = text(login(rep).get(case.get_absolute_url()))
    assert f'action="{url(case, "take")}"' not in requester_page
    assert f'href="{url(case, "close")}"' not in requester_page
    assert f'href="{url(case, "withdraw")}"' in requester_page
    assert f'href="{url(case, "edit")}"' in requester_page


@pytest.mark.parametrize(
    "name", ["take", "assign", "ask", "hold", "resume", "close", "reopen", "move", "watch", "edit"]
)
@pytest.mark.parametrize("persona", ["outsider", "billing_agent"])
def test_people_who_cannot_see_the_case_get_404_for_every_action(
    login, case, persona, name, request
):
    client = login(request.getfixturevalue(persona))
    assert client.get(url(case, name)).status_code == 404
    assert act(client, case, name, {"reason": "x", "note": "x"}).status_code == 404
    assert fresh(case).version == case.version


@pytest.mark.parametrize("name", ["take", "close", "assign"])
def test_actions_need_login(client, case, name):
    response = client.post(url(case, name), {"version": case.version})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# ---- take ----------------------------------------------------------------------------------


def test_an_agent_takes_the_case_without_javascript(login, case, deal_desk_agent):
    response = act(login(deal_desk_agent), case, "take")
    assert response.status_code == 302 and response.url == case.get_absolute_url()
    assert flashed(response) == [f"You own case {case.number} now."]
    case = fresh(case)
    assert case.owner == deal_desk_agent and case.status == Status.WORK_IN_PROGRESS
    assert kinds(case)[-2:] == [CaseEvent.OWNER_CHANGED, CaseEvent.STATUS_CHANGED]


def test_an_agent_takes_the_case_with_htmx(login, case, deal_desk_agent):
    response = act(login(deal_desk_agent), case, "take", htmx=True)
    assert response.status_code == 200 and response["HX-Redirect"] == case.get_absolute_url()
    assert fresh(case).owner == deal_desk_agent


def test_the_slower_of_two_agents_hears_who_took_it_and_nothing_changes(
    login, case, deal_desk_agent, dana
):
    seen = case.version
    take_case(case, agent=dana)
    response = act(login(deal_desk_agent), case, "take", version=seen)
    assert response.status_code == 302
    assert flashed(response) == [f"Case {case.number} was already taken by Dana Diaz."]
    case = fresh(case)
    assert case.owner == dana and kinds(case).count(CaseEvent.OWNER_CHANGED) == 1


def test_a_lost_take_race_under_htmx_answers_409_with_the_winner(
    login, case, deal_desk_agent, dana
):
    seen = case.version
    take_case(case, agent=dana)
    response = act(login(deal_desk_agent), case, "take", htmx=True, version=seen)
    assert response.status_code == 409
    assert "already taken by Dana Diaz" in text(response) and "<html" not in text(response)
    assert fresh(case).owner == dana


@pytest.mark.parametrize("persona", ["rep", "other_rep"])
def test_requesters_and_record_editors_cannot_take(login, case, persona, request, shared_edit):
    response = act(login(request.getfixturevalue(persona)), case, "take")
    assert response.status_code == 302
    assert flashed(response) == [f"You cannot take case {case.number} now."]
    assert fresh(case).owner is None and fresh(case).version == case.version


def test_an_admin_who_is_not_in_the_team_cannot_take_but_can_assign(
    login, case, admin_user, deal_desk_agent
):
    client = login(admin_user)
    assert flashed(act(client, case, "take")) == [f"You cannot take case {case.number} now."]
    act(client, case, "assign", {"assignee": "dan"})
    assert fresh(case).owner == deal_desk_agent


# ---- assign --------------------------------------------------------------------------------


def test_assign_offers_the_team_and_gives_the_case_to_the_chosen_member(
    login, taken, deal_desk_agent, dana, billing_agent
):
    client = login(deal_desk_agent)
    form = text(client.get(url(taken, "assign")))
    assert '<option value="dana">Dana Diaz (agent)</option>' in form
    assert 'value="bea"' not in form and 'value="dan"' not in form  # not the team / the owner
    response = act(client, taken, "assign", {"assignee": "dana"})
    assert flashed(response) == [f"Case {taken.number} is now with Dana Diaz."]
    assert fresh(taken).owner == dana
    assert taken.events.filter(kind=CaseEvent.OWNER_CHANGED, data__to="dana").exists()


def test_assigning_to_someone_outside_the_team_is_refused_on_the_field(
    login, taken, deal_desk_agent, billing_agent
):
    response = act(login(deal_desk_agent), taken, "assign", {"assignee": "bea"})
    assert response.status_code == 200 and 'class="field-error"' in text(response)
    assert fresh(taken).owner == deal_desk_agent


def test_the_requester_is_sent_back_from_the_assign_form(login, case, rep):
    response = login(rep).get(url(case, "assign"))
    assert response.status_code == 302 and response.url == case.get_absolute_url()
    assert flashed(response) == [f"You cannot assign case {case.number} now."]


# ---- ask, reply, hold, resume -------------------------------------------------------------


def test_asking_the_requester_waits_for_their_reply(login, taken, deal_desk_agent, rep):
    agent = login(deal_desk_agent)
    response = act(agent, taken, "ask", {"question": "Which **quote** version?"})
    assert response.status_code == 302
    assert fresh(taken).status == Status.PENDING_RESPONSE

    requester = login(rep)
    page = text(requester.get(taken.get_absolute_url()))
    assert "The team is waiting for your answer." in page
    assert "Which <strong>quote</strong> version?" in page
    requester.post(url(taken, "comment"), {"body": "Version 3."})
    assert fresh(taken).status == Status.WORK_IN_PROGRESS


def test_a_question_is_required(login, taken, deal_desk_agent):
    response = act(login(deal_desk_agent), taken, "ask", {"question": "  "})
    assert response.status_code == 200 and "Say what you need from the requester," in text(response)
    assert fresh(taken).status == Status.WORK_IN_PROGRESS


def test_the_requester_cannot_ask_or_hold(login, taken, rep):
    client = login(rep)
    for name in ("ask", "hold"):
        response = act(client, taken, name, {"question": "?", "reason": "?"})
        assert response.status_code == 302 and "You cannot" in flashed(response)[0]
    assert fresh(taken).status == Status.WORK_IN_PROGRESS


def test_hold_and_resume(login, taken, deal_desk_agent):
    client = login(deal_desk_agent)
    act(client, taken, "hold", {"reason": "Waiting on Legal"})
    assert fresh(taken).status == Status.ON_HOLD
    page = text(client.get(taken.get_absolute_url()))
    assert "put the case on hold" in page and "Reason: Waiting on Legal" in page
    assert f'action="{url(taken, "resume")}"' in page
    act(client, taken, "resume")
    assert fresh(taken).status == Status.WORK_IN_PROGRESS


def test_a_stale_hold_shows_what_changed_and_keeps_the_reason(login, taken, deal_desk_agent, rep):
    client = login(deal_desk_agent)
    form = text(client.get(url(taken, "hold")))
    seen = int(form.split('name="seen" value="')[1].split('"')[0])
    add_comment(taken, author=rep, body="Any news on the **ramp**?")
    response = act(
        client, taken, "hold", {"reason": "Waiting on Legal", "seen": seen}, version=taken.version
    )
    page = text(response)
    assert response.status_code == 409
    assert "This case changed since you opened it" in page
    assert "Any news on the <strong>ramp</strong>?" in page  # what changed
    assert "Waiting on Legal</textarea>" in page  # what they typed
    assert fresh(taken).status == Status.WORK_IN_PROGRESS
    version = fresh(taken).version
    assert f'name="version" value="{version}"' in page  # submitting again works
    act(client, taken, "hold", {"reason": "Waiting on Legal"}, version=version)
    assert fresh(taken).status == Status.ON_HOLD


# ---- close, withdraw, reopen ---------------------------------------------------------------


def test_close_form_without_javascript(login, taken, deal_desk_agent):
    client = login(deal_desk_agent)
    page = text(client.get(url(taken, "close")))
    assert "<html" in page and 'value="answered"' in page and "hx-post" not in page
    response = act(client, taken, "close", {"note": "Ramp needs **VP** approval"})
    page = text(response)
    assert response.status_code == 200 and "Choose how the case was resolved." in page
    assert "Ramp needs **VP** approval</textarea>" in page
    response = act(client, taken, "close", {"resolution": "answered", "note": "VP approval."})
    assert response.status_code == 302
    assert flashed(response) == [f"Case {taken.number} is closed: Question answered."]
    case = fresh(taken)
    assert case.status == Status.CLOSED and case.resolution == Resolution.ANSWERED
    page = text(client.get(case.get_absolute_url()))
    assert "<strong>Question answered</strong>" in page and "closed the case" in page


def test_close_with_htmx_opens_inline_and_reloads_the_page_when_done(login, taken, deal_desk_agent):
    client = login(deal_desk_agent)
    inline = text(client.get(url(taken, "close"), headers={"HX-Request": "true"}))
    assert "<html" not in inline and f'hx-post="{url(taken, "close")}"' in inline
    invalid = act(client, taken, "close", {"resolution": "answered"}, htmx=True)
    assert invalid.status_code == 200 and "<html" not in text(invalid)
    assert "Say what was done" in text(invalid)
    done = act(client, taken, "close", {"resolution": "resolved", "note": "Done"}, htmx=True)
    assert done["HX-Redirect"] == taken.get_absolute_url()
    assert fresh(taken).status == Status.CLOSED


def test_a_stale_close_is_refused_with_what_changed(login, taken, deal_desk_agent, dana):
    client = login(deal_desk_agent)
    stale = taken.version
    ask_requester(taken, agent=dana, question="Is the PO signed?")
    response = act(
        client, taken, "close", {"resolution": "resolved", "note": "All done"}, version=stale
    )
    page = text(response)
    assert response.status_code == 409 and "This case changed since you opened it" in page
    assert "Is the PO signed?" in page and "All done</textarea>" in page
    assert fresh(taken).status == Status.PENDING_RESPONSE


def test_the_requester_may_withdraw_but_not_close(login, case, rep):
    client = login(rep)
    assert client.get(url(case, "close")).status_code == 302
    act(client, case, "close", {"resolution": "resolved", "note": "done"})
    assert fresh(case).status == Status.NEW
    response = act(client, case, "withdraw", {"note": "Sorted it myself"})
    assert flashed(response)[-1] == f"You withdrew case {case.number}."
    case = fresh(case)
    assert case.status == Status.CLOSED and case.resolution == Resolution.WITHDRAWN


def test_the_requester_reopens_within_the_window_and_is_told_why_not_after(
    login, taken, deal_desk_agent, rep
):
    close_case(taken, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    client = login(rep)
    assert f'href="{url(taken, "reopen")}"' in text(client.get(taken.get_absolute_url()))
    act(client, taken, "reopen", {"reason": "Still missing"})
    assert fresh(taken).status == Status.WORK_IN_PROGRESS

    close_case(taken, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    Case.objects.filter(pk=taken.pk).update(closed_at=timezone.now() - dt.timedelta(days=15))
    assert f'href="{url(taken, "reopen")}"' not in text(client.get(taken.get_absolute_url()))
    response = act(client, taken, "reopen", {"reason": "Again"})
    assert "closed more than 14 days ago" in flashed(response)[0]
    assert fresh(taken).status == Status.CLOSED


def test_a_reopen_reason_is_required(login, taken, deal_desk_agent, rep):
    close_case(taken, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    response = act(login(rep), taken, "reopen", {"reason": ""})
    assert "Say why the case needs more work." in text(response)


# ---- move ----------------------------------------------------------------------------------


def test_move_offers_team_type_and_sub_request_and_asks_for_what_is_missing(
    login, taken, deal_desk_agent, rep
):
    client = login(deal_desk_agent)
    form = text(client.get(url(taken, "move")))
    assert '<optgroup label="Billing">' in form
    assert ">Billing — Invoice Copy Requests</option>" in form
    assert ">Deal Desk — Quote Help — Private Offer</option>" in form
    assert ">Deal Desk — Quote Help — Quote Question</option>" not in form  # where it is now
    value = form.split(">Billing — Invoice Copy Requests</option>")[0].rsplit('value="', 1)[1]
    value = value.split('"')[0]
    response = act(client, taken, "move", {"choice": value, "reason": "It is about an invoice"})
    case = fresh(taken)
    assert case.team.name == "Billing" and case.status == Status.PENDING_RESPONSE
    assert case.owner is None and case.number == taken.number
    # Dan is not in Billing: he lands on his cases, told where it went.
    assert response.url == "/" and "moved to Billing" in flashed(response)[0]
    page = text(login(rep).get(case.get_absolute_url()))
    assert "moved the case to Billing" in page and "Reason: It is about an invoice" in page
    assert "The requester was asked for: Invoice number." in page


def test_move_needs_a_choice_and_a_reason(login, taken, deal_desk_agent):
    response = act(login(deal_desk_agent), taken, "move", {"choice": "", "reason": ""})
    page = text(response)
    assert (
        "Choose where the case belongs." in page and "Say why the case belongs elsewhere." in page
    )
    assert fresh(taken).team.name == "Deal Desk"


# ---- watchers ------------------------------------------------------------------------------


def test_adding_a_watcher_shares_the_case_visibly(login, case, rep, outsider):
    assert login(outsider).get(case.get_absolute_url()).status_code == 404
    response = act(login(rep), case, "watch", {"username": "@olga"})
    assert flashed(response) == [f"olga now watches case {case.number}."]
    page = text(login(outsider).get(case.get_absolute_url()))
    assert "added Olga Outsider as a watcher" in page
    assert "Rita Rep, Olga Outsider" in page


def test_an_unknown_watcher_is_an_error_on_the_field(login, case, rep):
    response = act(login(rep), case, "watch", {"username": "nobody"})
    assert response.status_code == 200 and "There is no active user called" in text(response)
    assert 'value="nobody"' in text(response)


# ---- edit ----------------------------------------------------------------------------------


def test_editing_details_and_answers_writes_one_event_per_field(login, case, rep):
    client = login(rep)
    form = text(client.get(url(case, "edit")))
    assert 'name="subject"' in form and 'name="details-quote_url"' in form
    assert 'value="https://crm.example.com/q/1"' in form
    response = act(
        client,
        case,
        "edit",
        {
            "subject": "Ramp approval",
            "description": case.description,
            "details-quote_url": "https://crm.example.com/q/2",
        },
    )
    assert flashed(response) == ["Your changes are saved."]
    changes = case.events.filter(kind=CaseEvent.FIELD_CHANGED)
    assert sorted(e.data["field"] for e in changes) == ["details.quote_url", "subject"]
    page = text(client.get(case.get_absolute_url()))
    assert "changed Subject" in page and "Ramp approval" in page


def test_an_invalid_answer_is_shown_on_its_field_and_nothing_typed_is_lost(login, case, rep):
    response = act(
        login(rep),
        case,
        "edit",
        {"subject": "New subject", "description": "New text", "details-quote_url": "not a url"},
    )
    page = text(response)
    assert response.status_code == 200 and "Enter a valid URL." in page
    assert 'value="New subject"' in page and "New text</textarea>" in page
    assert fresh(case).subject != "New subject"


def test_the_requester_cannot_edit_once_the_team_works_on_it(login, taken, rep):
    response = act(login(rep), taken, "edit", {"subject": "x", "description": "y"})
    assert flashed(response) == [f"You cannot edit case {taken.number} now."]


def test_a_stale_edit_shows_what_changed_and_keeps_what_was_typed(
    login, taken, deal_desk_agent, dana
):
    client = login(deal_desk_agent)
    stale = taken.version
    edit_case(taken, actor=dana, changes={"subject": "Ramp approval for Acme"})
    response = act(
        client,
        taken,
        "edit",
        {
            "subject": taken.subject,
            "description": "My better description",
            "details-quote_url": "https://crm.example.com/q/1",
        },
        version=stale,
    )
    page = text(response)
    assert response.status_code == 409 and "This case changed since you opened it" in page
    assert "changed Subject" in page and "Ramp approval for Acme" in page
    assert "My better description</textarea>" in page
    assert fresh(taken).description != "My better description"
    # Dan left the subject alone, so the form now holds Dana's: submitting again keeps it.
    assert 'name="subject" value="Ramp approval for Acme"' in page
    again = {
        "subject": "Ramp approval for Acme",
        "description": "My better description",
        "details-quote_url": "https://crm.example.com/q/1",
    }
    act(client, taken, "edit", again)
    case = fresh(taken)
    assert (case.subject, case.description) == ("Ramp approval for Acme", "My better description")


def test_a_requester_whose_edit_became_impossible_is_told_so(login, case, rep, deal_desk_agent):
    stale = case.version
    take_case(case, agent=deal_desk_agent)  # the requester may no longer edit now
    response = act(
        login(rep), case, "edit", {"subject": "Mine", "description": "Text"}, version=stale
    )
    assert response.status_code == 302
    assert flashed(response) == [f"You cannot edit case {case.number} now."]
    assert fresh(case).subject != "Mine"
