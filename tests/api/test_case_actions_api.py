"""Working a case through the API: /cases/{number}/… — the actions, the feed, files, watchers.

Personas (tests/conftest.py): Rita the requester, Dan of Deal Desk (the case's team), Bea of
Billing, Olga an outsider, Oscar another rep, Ada an admin.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from supportdesk.cases.models import Attachment, Case, CaseEvent, Status
from supportdesk.cases.services import create_upload, submit_case
from supportdesk.notify.models import Notification
from supportdesk.people.models import ApiToken
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory, quote_question

pytestmark = pytest.mark.django_db


def upload_id(user: Any, name: str = "notes.pdf", content: bytes = b"%PDF-1.4 notes") -> str:
    file = SimpleUploadedFile(name, content, "application/pdf")
    return str(create_upload(user, file=file).id)


@pytest.fixture
def case(rep, opportunity) -> Case:
    """A new Deal Desk case (Quote Help / Quote Question) with one file from the requester."""
    return quote_question(rep, opportunity, attachment_ids=[upload_id(rep, "brief.pdf")])


@pytest.fixture
def rita(api_client, rep):
    return api_client(rep)


@pytest.fixture
def dan(api_client, deal_desk_agent):
    return api_client(deal_desk_agent)


@pytest.fixture
def otto(api_client, case):
    """A second agent of Deal Desk."""
    user = UserFactory(username="otto", first_name="Otto", last_name="Other")
    MembershipFactory(user=user, team=team("Deal Desk"))
    return api_client(user)


def url(case: Case, suffix: str = "") -> str:
    return f"/api/v1/cases/{case.number}" + (f"/{suffix}" if suffix else "")


def send(client: Any, method: str, path: str, body: Any = None) -> Any:
    data = b"" if body is None else json.dumps(body)
    return client.generic(method.upper(), path, data, content_type="application/json")


def post(client: Any, case: Case, suffix: str, body: Any = None) -> Any:
    return send(client, "post", url(case, suffix), body)


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def field_errors(response: Any) -> dict[str, str]:
    body = problem(response, 422)
    return {e["field"]: e["message"] for e in body["errors"]}


def kinds(case: Case) -> list[str]:
    return list(case.events.order_by("id").values_list("kind", flat=True))


def taken(case: Case, by: Any) -> Case:
    ok(post(by, case, "take"))
    case.refresh_from_db()
    return case


# Every change and read under /cases/{number}/; `{file}` is the case's attachment.
WRITES = [
    ("post", "take", {}),
    ("post", "assign", {"assignee": "dan"}),
    ("post", "ask", {"question": "Which quote?"}),
    ("post", "hold", {"reason": "Waiting on Legal"}),
    ("post", "resume", {}),
    ("post", "close", {"resolution": "answered", "note": "Done"}),
    ("post", "reopen", {"reason": "Not done"}),
    ("post", "move", {"team": "Billing", "request_type": "Invoice Copy Requests", "reason": "x"}),
    ("patch", "", {"subject": "A new subject"}),
    ("post", "watchers", {"user": "olga"}),
    ("post", "comments", {"body": "Hello"}),
    ("post", "attachments", {"uploads": []}),
    ("delete", "attachments/{file}", None),
]
READS = [
    ("get", "events", None),
    ("get", "watchers", None),
    ("get", "attachments", None),
    ("get", "attachments/{file}/download", None),
]


def route(case: Case, suffix: str) -> str:
    return url(case, suffix.format(file=case.attachments.get().pk))


# ---- who may call what -------------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES + READS)
@pytest.mark.parametrize("who", ["outsider", "billing_agent"])
def test_a_stranger_and_an_agent_of_another_team_get_404_everywhere(
    api_client, request, case, who, method, suffix, body
):
    client = api_client(request.getfixturevalue(who))
    before = case.version
    response = send(client, method, route(case, suffix), body)
    assert problem(response, 404)["detail"] == "No such case."
    case.refresh_from_db()
    assert case.version == before


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_read_token_may_change_nothing(api_client, deal_desk_agent, case, method, suffix, body):
    client = api_client(deal_desk_agent, scope=ApiToken.Scope.READ)
    response = send(client, method, route(case, suffix), body)
    assert "read" in problem(response, 403)["detail"]
    assert kinds(case) == [CaseEvent.CREATED]


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_stale_version_is_a_409_with_the_current_version_and_changes_nothing(
    rita, dan, case, method, suffix, body
):
    ok(send(rita, "patch", url(case), {"description": "Edited meanwhile"}))  # version 2
    events = kinds(case)
    path = route(case, suffix)
    if body is None:
        response = send(dan, method, f"{path}?version=1")
    else:
        response = send(dan, method, path, body | {"version": 1})
    conflict = problem(response, 409)
    assert conflict["version"] == 2 and "changed since you opened it" in conflict["detail"]
    case.refresh_from_db()
    assert case.version == 2 and kinds(case) == events


def test_the_current_version_is_accepted(rita, dan, case):
    ok(send(rita, "patch", url(case), {"description": "Edited meanwhile"}))
    body = ok(post(dan, case, "take", {"version": 2}))
    assert body["version"] == 3 and body["owner"] == "dan"


# ---- the case output ---------------------------------------------------------------------


def test_an_action_answers_with_the_case_as_get_shows_it(dan, case):
    body = ok(post(dan, case, "take"))
    assert body == ok(dan.get(url(case)))
    assert body["actions"] == sorted(body["actions"])
    assert "take" not in body["actions"] and {"ask", "hold", "close"} <= set(body["actions"])


def test_the_case_tells_each_caller_what_they_may_do(rita, dan, api_client, admin_user, case):
    assert ok(rita.get(url(case)))["actions"] == ["add_watcher", "comment", "edit", "withdraw"]
    assert {"take", "assign", "move", "internal_note"} <= set(ok(dan.get(url(case)))["actions"])
    assert "take" not in ok(api_client(admin_user).get(url(case)))["actions"]


# ---- ownership ---------------------------------------------------------------------------


def test_an_agent_takes_the_case(dan, case, rep):
    body = ok(post(dan, case, "take"))
    assert (body["owner"], body["status"], body["version"]) == ("dan", "Work in Progress", 2)
    assert body["first_response_at"] is not None
    assert kinds(case)[-2:] == [CaseEvent.OWNER_CHANGED, CaseEvent.STATUS_CHANGED]
    assert Notification.objects.filter(user=rep, kind="case.owner_changed").exists()


def test_the_loser_of_a_take_race_gets_409_naming_the_winner(dan, otto, case):
    ok(post(dan, case, "take"))
    conflict = problem(post(otto, case, "take"), 409)
    assert "already taken by Dan Desk" in conflict["detail"] and conflict["version"] == 2
    case.refresh_from_db()
    assert case.owner.username == "dan"
    assert kinds(case).count(CaseEvent.OWNER_CHANGED) == 1


def test_the_requester_may_not_take_the_case(rita, case):
    assert "cannot take" in problem(post(rita, case, "take"), 403)["detail"]
    assert Case.objects.get(pk=case.pk).owner is None


def test_an_agent_assigns_the_case_to_a_member_of_the_team(dan, otto, case):
    body = ok(post(dan, case, "assign", {"assignee": "otto"}))
    assert (body["owner"], body["status"]) == ("otto", "Work in Progress")
    assert case.events.get(kind=CaseEvent.OWNER_CHANGED).data == {"from": None, "to": "otto"}


def test_assigning_to_someone_outside_the_team_names_assignee(dan, billing_agent, case):
    assert "Deal Desk" in field_errors(post(dan, case, "assign", {"assignee": "bea"}))["assignee"]
    assert "assignee" in field_errors(post(dan, case, "assign", {}))


def test_the_requester_may_not_assign(rita, case):
    problem(post(rita, case, "assign", {"assignee": "dan"}), 403)


# ---- status ------------------------------------------------------------------------------


def test_asking_the_requester_records_the_question_and_waits_for_them(dan, rita, case, rep):
    taken(case, dan)
    body = ok(post(dan, case, "ask", {"question": "Which quote version?"}))
    assert body["status"] == "Pending Response"
    question = case.events.filter(kind=CaseEvent.COMMENTED).get()
    assert question.data["body"] == "Which quote version?" and question.data["question"]
    assert Notification.objects.filter(user=rep, kind="case.pending_response").exists()
    ok(post(rita, case, "comments", {"body": "Version 3."}), 201)
    assert ok(rita.get(url(case)))["status"] == "Work in Progress"


def test_a_question_is_required_and_only_the_team_asks(dan, rita, case):
    taken(case, dan)
    assert field_errors(post(dan, case, "ask", {"question": "  "})) == {
        "question": "Say what you need from the requester, or choose fields for them to fill in."
    }
    problem(post(rita, case, "ask", {"question": "?"}), 403)


def test_hold_and_resume_need_no_body(dan, case):
    taken(case, dan)
    assert ok(post(dan, case, "hold", {"reason": "Waiting on Legal"}))["status"] == "On Hold"
    assert case.events.filter(kind=CaseEvent.STATUS_CHANGED).first().data["reason"] == (
        "Waiting on Legal"
    )
    assert ok(post(dan, case, "resume"))["status"] == "Work in Progress"
    assert ok(post(dan, case, "hold"))["status"] == "On Hold"


def test_a_new_case_cannot_be_put_on_hold_and_the_requester_never_can(dan, rita, case):
    problem(post(dan, case, "hold"), 403)
    taken(case, dan)
    problem(post(rita, case, "hold"), 403)
    problem(post(rita, case, "resume"), 403)


def test_the_team_closes_with_a_resolution_and_a_note(dan, case):
    body = ok(post(dan, case, "close", {"resolution": "answered", "note": "Ramp needs VP."}))
    assert body["status"] == "Closed" and body["closed_at"] is not None
    assert (body["resolution"], body["resolution_note"]) == ("answered", "Ramp needs VP.")
    assert body["actions"] == ["add_watcher", "comment", "internal_note"]
    closed = case.events.get(kind=CaseEvent.STATUS_CHANGED)
    assert closed.data["to"] == Status.CLOSED and closed.data["resolution"] == "answered"


def test_closing_names_every_missing_or_wrong_field(dan, case):
    assert set(field_errors(post(dan, case, "close", {}))) == {"resolution", "note"}
    errors = field_errors(post(dan, case, "close", {"resolution": "fixed-it", "note": "x"}))
    assert set(errors) == {"resolution"}
    assert Case.objects.get(pk=case.pk).status == Status.NEW


def test_the_requester_may_withdraw_but_not_resolve(rita, case):
    refused = post(rita, case, "close", {"resolution": "resolved", "note": "Done"})
    assert "withdraw" in problem(refused, 403)["detail"]
    body = ok(post(rita, case, "close", {"resolution": "withdrawn", "note": "Sorted it myself"}))
    assert (body["status"], body["resolution"]) == ("Closed", "withdrawn")


def test_the_requester_reopens_within_the_window_with_a_reason(dan, rita, case):
    ok(post(dan, case, "close", {"resolution": "answered", "note": "Done"}))
    assert field_errors(post(rita, case, "reopen", {})) == {
        "reason": "Say why the case needs more work."
    }
    body = ok(post(rita, case, "reopen", {"reason": "The approval is still missing"}))
    assert (body["status"], body["resolution"], body["closed_at"]) == (
        "Work in Progress",
        None,
        None,
    )


def test_the_requester_may_not_reopen_after_the_window_but_an_admin_may(
    dan, rita, case, api_client, admin_user
):
    ok(post(dan, case, "close", {"resolution": "answered", "note": "Done"}))
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - dt.timedelta(days=15))
    problem(post(rita, case, "reopen", {"reason": "Again"}), 403)
    problem(post(dan, case, "reopen", {"reason": "Again"}), 403)
    admin = api_client(admin_user)
    assert ok(post(admin, case, "reopen", {"reason": "Again"}))["status"] == "Work in Progress"


def test_an_open_case_cannot_be_reopened(dan, case):
    problem(post(dan, case, "reopen", {"reason": "?"}), 403)


# ---- moves -------------------------------------------------------------------------------


def test_a_move_asks_the_requester_for_what_the_new_type_lacks(dan, rita, case):
    taken(case, dan)
    body = ok(
        post(
            dan,
            case,
            "move",
            {"team": "Billing", "request_type": "Invoice Copy Requests", "reason": "An invoice"},
        )
    )
    assert (body["number"], body["team"], body["status"]) == (
        case.number,
        "Billing",
        "Pending Response",
    )
    assert body["owner"] is None and body["request_type"] == "Invoice Copy Requests"
    assert body["actions"] == []  # Dan is not in Billing: the case has left his sight
    moved = case.events.get(kind=CaseEvent.TEAM_MOVED)
    assert moved.data["missing"] == ["Invoice number"] and moved.data["reason"] == "An invoice"
    problem(dan.get(url(case)), 404)
    assert ok(rita.get(url(case)))["status"] == "Pending Response"


def test_a_move_names_every_missing_field(dan, case):
    errors = field_errors(post(dan, case, "move", {}))
    assert set(errors) == {"team", "reason"}  # no team yet: the type cannot be checked
    errors = field_errors(post(dan, case, "move", {"team": "Billing", "reason": "x"}))
    assert set(errors) == {"request_type"} and "Invoice Copy Requests" in errors["request_type"]
    errors = field_errors(post(dan, case, "move", {"team": "Nope", "request_type": "X"}))
    assert set(errors) == {"team", "reason"} and "Deal Desk" in errors["team"]
    assert Case.objects.get(pk=case.pk).team.name == "Deal Desk"


def test_a_move_to_the_same_type_is_named(dan, case):
    body = {
        "team": "Deal Desk",
        "request_type": "Quote Help",
        "sub_request": "Quote Question",
        "reason": "x",
    }
    assert set(field_errors(post(dan, case, "move", body))) == {"request_type"}


def test_the_requester_may_not_move_the_case_even_with_bad_names(rita, case):
    problem(post(rita, case, "move", {"team": "Nope", "reason": "x"}), 403)


# ---- edits -------------------------------------------------------------------------------


def test_the_requester_edits_only_what_is_sent(rita, case):
    body = ok(
        send(
            rita,
            "patch",
            url(case),
            {
                "description": "New text",
                "needed_by": "2099-01-01",
                "details": {"quote_url": "https://crm.example.com/q/2"},
            },
        )
    )
    assert (body["description"], body["needed_by"]) == ("New text", "2099-01-01")
    assert body["details"]["quote_url"] == "https://crm.example.com/q/2"
    assert body["subject"] == case.subject and body["version"] == 2
    changed = case.events.filter(kind=CaseEvent.FIELD_CHANGED)
    assert sorted(e.data["field"] for e in changed) == [
        "description",
        "details.quote_url",
        "needed_by",
    ]


def test_a_needed_by_date_may_be_cleared(rita, case):
    ok(send(rita, "patch", url(case), {"needed_by": "2099-01-01"}))
    assert ok(send(rita, "patch", url(case), {"needed_by": None}))["needed_by"] is None


def test_edits_name_every_wrong_field(rita, case):
    errors = field_errors(
        send(rita, "patch", url(case), {"subject": "", "details": {"quote_url": "not a url"}})
    )
    assert set(errors) == {"subject", "details.quote_url"}
    assert set(field_errors(send(rita, "patch", url(case), {"needed_by": "soon"}))) == {"needed_by"}
    assert kinds(case) == [CaseEvent.CREATED]


def test_the_requester_may_not_edit_a_case_in_progress(rita, dan, case):
    taken(case, dan)
    problem(send(rita, "patch", url(case), {"subject": "Mine"}), 403)
    assert ok(send(dan, "patch", url(case), {"subject": "Agreed"}))["subject"] == "Agreed"


# ---- watchers ----------------------------------------------------------------------------


def test_a_watcher_is_added_once_with_an_event(rita, case, outsider):
    body = ok(post(rita, case, "watchers", {"user": "olga"}), 201)
    assert body["watchers"] == ["rita", "olga"] and body["version"] == 2
    assert ok(post(rita, case, "watchers", {"user": "olga"}), 200)["watchers"] == ["rita", "olga"]
    assert kinds(case).count(CaseEvent.WATCHER_ADDED) == 1
    assert Notification.objects.filter(user=outsider, kind="watcher.added").exists()
    listed = ok(rita.get(url(case, "watchers")))
    assert [(w["user"], w["name"], w["added_by"]) for w in listed] == [
        ("rita", "Rita Rep", "rita"),
        ("olga", "Olga Outsider", "rita"),
    ]


def test_an_unknown_watcher_is_named(rita, case):
    assert set(field_errors(post(rita, case, "watchers", {"user": "nobody"}))) == {"user"}


def test_a_watcher_sees_the_case_but_may_not_add_watchers(api_client, rita, case, outsider):
    ok(post(rita, case, "watchers", {"user": "olga"}), 201)
    olga = api_client(outsider)
    assert ok(olga.get(url(case)))["actions"] == ["comment"]
    problem(post(olga, case, "watchers", {"user": "oscar"}), 403)


# ---- the feed ----------------------------------------------------------------------------


def test_a_comment_answers_201_with_the_event_and_its_files(rita, rep, case):
    file_id = upload_id(rep, "po.pdf")
    event = ok(post(rita, case, "comments", {"body": "See the PO", "attachments": [file_id]}), 201)
    assert set(event) == {"id", "kind", "actor", "created_at", "internal", "data", "attachments"}
    assert (event["kind"], event["actor"], event["internal"]) == ("comment.added", "rita", False)
    assert event["data"]["body"] == "See the PO"
    [file] = event["attachments"]
    assert file["name"] == "po.pdf"
    assert file["download_url"].endswith(url(case, f"attachments/{file['id']}/download"))
    assert ok(rita.get(url(case, "events")))["items"][0] == event


def test_mentions_reach_individuals_and_team_handles_are_never_broadcast(dan, case, outsider):
    body = {"body": "@olga can you confirm? cc @billing @nobody"}
    event = ok(post(dan, case, "comments", body), 201)
    assert event["data"]["mentions"] == ["olga"]
    assert event["data"]["team_handles"] == ["billing"]
    assert "olga" in ok(dan.get(url(case)))["watchers"]
    assert Notification.objects.filter(user=outsider, kind="case.mentioned").exists()
    assert not Notification.objects.filter(user__memberships__team__slug="billing").exists()


def test_a_comment_needs_a_body_and_known_uploads(rita, other_rep, case):
    errors = field_errors(post(rita, case, "comments", {"body": " "}))
    assert errors == {"body": "Write a comment."}
    someone_elses = upload_id(other_rep)
    errors = field_errors(
        post(rita, case, "comments", {"body": "x", "attachments": [someone_elses]})
    )
    assert set(errors) == {"attachments"}
    assert set(field_errors(post(rita, case, "comments", {"body": "x", "attachments": ["z"]}))) == {
        "attachments.0"
    }


def test_internal_notes_stay_inside_the_team(dan, rita, deal_desk_agent, case):
    file_id = upload_id(deal_desk_agent, "margin.pdf")
    note = {"body": "Margin looks thin", "internal": True, "attachments": [file_id]}
    event = ok(post(dan, case, "comments", note), 201)
    assert event["internal"]
    note_file = event["attachments"][0]["id"]
    assert [e["kind"] for e in ok(rita.get(url(case, "events")))["items"]] == ["case.created"]
    assert ok(dan.get(url(case, "events")))["items"][0]["id"] == event["id"]
    assert note_file not in [a["id"] for a in ok(rita.get(url(case, "attachments")))]
    assert note_file not in [a["id"] for a in ok(rita.get(url(case)))["attachments"]]
    assert note_file not in [
        a["id"] for a in ok(rita.get("/api/v1/cases"))["items"][0]["attachments"]
    ]
    problem(rita.get(url(case, f"attachments/{note_file}/download")), 404)
    assert dan.get(url(case, f"attachments/{note_file}/download")).status_code == 200


def test_the_requester_may_not_write_internal_notes(rita, case):
    problem(post(rita, case, "comments", {"body": "sneaky", "internal": True}), 403)
    assert kinds(case) == [CaseEvent.CREATED]


def test_the_feed_is_newest_first_and_paginated_by_cursor(rita, case):
    for n in range(4):
        ok(post(rita, case, "comments", {"body": f"comment {n}"}), 201)
    page = ok(rita.get(url(case, "events") + "?limit=2"))
    seen = [e["data"].get("body") for e in page["items"]]
    while page["next_cursor"]:
        page = ok(rita.get(page["next"]))
        seen += [e["data"].get("body") for e in page["items"]]
    assert seen == ["comment 3", "comment 2", "comment 1", "comment 0", None]
    assert set(field_errors(rita.get(url(case, "events") + "?cursor=nonsense"))) == {"cursor"}


def add_comments(case: Case, author: Any, count: int) -> None:
    """`count` comments straight into the feed, every other one with a file."""
    events = CaseEvent.objects.bulk_create(
        CaseEvent(case=case, kind=CaseEvent.COMMENTED, actor=author, data={"body": f"#{n}"})
        for n in range(count)
    )
    Attachment.objects.bulk_create(
        Attachment(
            case=case,
            file="attachments/x.pdf",
            name=f"{event.pk}.pdf",
            size=1,
            uploaded_by=author,
            event=event,
        )
        for event in events[::2]
    )


# token, the caller's teams, the case, a page of events with their actors, their files.
FEED_QUERIES = 5


@pytest.mark.parametrize("count", [5, 50])
@pytest.mark.parametrize("who", ["rep", "deal_desk_agent"])
def test_the_feed_takes_a_fixed_number_of_queries(
    api_client, request, case, rep, who, count, django_assert_max_num_queries
):
    client = api_client(request.getfixturevalue(who))
    client.get(url(case, "events"))  # the token's last_used_at is written once
    add_comments(case, rep, count)
    with django_assert_max_num_queries(FEED_QUERIES):
        page = ok(client.get(url(case, "events") + "?limit=100"))
    assert len(page["items"]) == count + 1
    assert sum(len(e["attachments"]) for e in page["items"]) == (count + 1) // 2


# ---- attachments -------------------------------------------------------------------------


def test_files_are_attached_listed_downloaded_and_removed(rita, rep, case):
    uploads = [upload_id(rep, "a.pdf", b"%PDF a"), upload_id(rep, "b.pdf", b"%PDF b")]
    made = ok(post(rita, case, "attachments", {"uploads": uploads}), 201)
    made.sort(key=lambda a: a["name"])  # add_attachments keeps no order
    assert [a["name"] for a in made] == ["a.pdf", "b.pdf"]
    assert kinds(case).count(CaseEvent.ATTACHMENT_ADDED) == 2
    listed = ok(rita.get(url(case, "attachments")))
    assert sorted(a["name"] for a in listed) == ["a.pdf", "b.pdf", "brief.pdf"]
    download = rita.get(url(case, f"attachments/{made[0]['id']}/download"))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF a"
    assert download["Content-Disposition"] == 'attachment; filename="a.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    removed = send(rita, "delete", url(case, f"attachments/{made[0]['id']}"))
    assert removed.status_code == 204 and removed.content == b""
    assert Attachment.objects.get(pk=made[0]["id"]).removed_at is not None
    assert kinds(case)[-1] == CaseEvent.ATTACHMENT_REMOVED
    assert [a["name"] for a in ok(rita.get(url(case)))["attachments"]] == ["brief.pdf", "b.pdf"]
    problem(rita.get(url(case, f"attachments/{made[0]['id']}/download")), 404)
    problem(send(rita, "delete", url(case, f"attachments/{made[0]['id']}")), 404)


def test_attaching_names_the_uploads(rita, other_rep, case):
    assert set(field_errors(post(rita, case, "attachments", {"uploads": []}))) == {"uploads"}
    theirs = upload_id(other_rep)
    assert set(field_errors(post(rita, case, "attachments", {"uploads": [theirs]}))) == {"uploads"}
    assert set(field_errors(post(rita, case, "attachments", {}))) == {"uploads"}


def test_only_the_uploader_or_the_team_removes_a_file(api_client, rita, dan, case, outsider):
    ok(post(rita, case, "watchers", {"user": "olga"}), 201)
    brief = case.attachments.get().pk
    problem(send(api_client(outsider), "delete", url(case, f"attachments/{brief}")), 403)
    assert send(dan, "delete", url(case, f"attachments/{brief}")).status_code == 204


def test_a_file_of_another_case_is_not_found(rita, rep, opportunity, case):
    other = submit_case(
        rep,
        record=opportunity,
        request_type=case.request_type,
        sub_request=case.sub_request,
        description="Another",
        answers={"quote_url": "https://crm.example.com/q/9"},
        attachment_ids=[upload_id(rep, "other.pdf")],
    ).case
    theirs = other.attachments.get().pk
    problem(rita.get(url(case, f"attachments/{theirs}/download")), 404)
    problem(send(rita, "delete", url(case, f"attachments/{theirs}")), 404)
    assert Attachment.objects.get(pk=theirs).removed_at is None
