"""`Idempotency-Key` on the creating POSTs that use `api/idempotency.py`: a retry replays the
first answer and creates nothing; the same key on another request is a 422; answers holding a
secret shown once are never replayed (409)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.utils import timezone

from supportdesk.api.models import IdempotentRequest
from supportdesk.cases.actions import take_case
from supportdesk.cases.models import Approval, Attachment, Case, CaseEvent, CaseWatcher, Upload
from supportdesk.cases.services import create_upload
from supportdesk.lists.models import ListView
from supportdesk.notify.housekeeping import tidy_up
from supportdesk.people.models import ApiToken
from supportdesk.records.models import Record, RecordShare
from supportdesk.webhooks.models import WebhookEndpoint
from tests.approval_helpers import po_exception
from tests.factories import quote_question

pytestmark = pytest.mark.django_db

HEADER = "HTTP_IDEMPOTENCY_KEY"


@dataclass
class Route:
    """One creating POST: who calls it, where, with what, and which rows it makes."""

    client: Any
    path: str
    body: Any
    other_body: Any
    model: type[Model]
    multipart: bool = False

    def post(self, key: str | None, body: Any = None, client: Any = None) -> Any:
        extra = {HEADER: key} if key is not None else {}
        body = self.body if body is None else body
        client = client or self.client
        if self.multipart:
            return client.post(self.path, body(), **extra)
        return client.post(self.path, json.dumps(body), content_type="application/json", **extra)


def _pdf(name: str) -> Callable[[], dict[str, Any]]:
    return lambda: {"file": SimpleUploadedFile(name, b"%PDF-1.4 x", "application/pdf")}


@pytest.fixture
def case(rep, opportunity) -> Case:
    return quote_question(rep, opportunity)


def _comments(f: Callable[[str], Any]) -> Route:
    case = f("case")
    path = f"/api/v1/cases/{case.number}/comments"
    return Route(f("rep_api"), path, {"body": "Hello"}, {"body": "Bye"}, CaseEvent)


def _attachments(f: Callable[[str], Any]) -> Route:
    case, rep = f("case"), f("rep")
    first, second = (
        str(create_upload(rep, file=SimpleUploadedFile(n, b"%PDF-1.4", "application/pdf")).id)
        for n in ("a.pdf", "b.pdf")
    )
    path = f"/api/v1/cases/{case.number}/attachments"
    return Route(f("rep_api"), path, {"uploads": [first]}, {"uploads": [second]}, Attachment)


def _watchers(f: Callable[[str], Any]) -> Route:
    case, _, _ = f("case"), f("outsider"), f("other_rep")
    path = f"/api/v1/cases/{case.number}/watchers"
    return Route(f("rep_api"), path, {"user": "olga"}, {"user": "oscar"}, CaseWatcher)


def _uploads(f: Callable[[str], Any]) -> Route:
    return Route(f("rep_api"), "/api/v1/uploads", _pdf("a.pdf"), _pdf("b.pdf"), Upload, True)


def _views(f: Callable[[str], Any]) -> Route:
    return Route(f("rep_api"), "/api/v1/views", {"name": "Mine"}, {"name": "Other"}, ListView)


def _clone(f: Callable[[str], Any]) -> Route:
    return Route(f("rep_api"), "/api/v1/views/my-open/clone", {}, {"x": 1}, ListView)


def _records(f: Callable[[str], Any]) -> Route:
    body = {"kind": "opportunity", "name": "Globex", "external_id": "006GLOBEX1", "owner": "rita"}
    other = body | {"external_id": "006GLOBEX2"}
    f("rep")
    return Route(f("admin_api"), "/api/v1/records", body, other, Record)


def _record_share(f: Callable[[str], Any]) -> Route:
    f("opportunity"), f("outsider"), f("other_rep")
    path = "/api/v1/records/006ACME0001/shares"
    return Route(f("admin_api"), path, {"user": "olga"}, {"user": "oscar"}, RecordShare)


def _record_shares_bulk(f: Callable[[str], Any]) -> Route:
    f("opportunity"), f("outsider"), f("other_rep")
    one = {"items": [{"record": "006ACME0001", "user": "olga"}]}
    other = {"items": [{"record": "006ACME0001", "user": "oscar"}]}
    return Route(f("admin_api"), "/api/v1/records/shares", one, other, RecordShare)


def _approvals(f: Callable[[str], Any]) -> Route:
    agent = f("deal_desk_agent")
    case = take_case(po_exception(f("rep"), f("opportunity")), agent=agent)
    f("sid"), f("bill")
    client = f("api_client")(agent)
    path = f"/api/v1/cases/{case.number}/approvals"
    body = {"step": 1, "approvers": ["sid"]}
    return Route(client, path, body, {"step": 1, "approvers": ["bill"]}, Approval)


ROUTES = {
    "comments": _comments,
    "attachments": _attachments,
    "watchers": _watchers,
    "uploads": _uploads,
    "views": _views,
    "views-clone": _clone,
    "records": _records,
    "record-share": _record_share,
    "record-shares-bulk": _record_shares_bulk,
    "approvals": _approvals,
}


@pytest.fixture(params=list(ROUTES))
def route(request) -> Route:
    return ROUTES[request.param](request.getfixturevalue)


def test_a_retry_replays_the_first_answer_and_creates_nothing(route):
    first = route.post("k-1")
    assert first.status_code in {200, 201}, first.content
    count = route.model.objects.count()

    again = route.post("k-1")

    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert route.model.objects.count() == count


def test_the_same_key_on_another_body_is_a_422(route):
    assert route.post("k-1").status_code in {200, 201}
    count = route.model.objects.count()

    other = route.post("k-1", route.other_body)

    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert other.json()["errors"] == [
        {"field": "Idempotency-Key", "message": "This key was used for another request."}
    ]
    assert route.model.objects.count() == count


def test_without_a_key_nothing_is_stored(route):
    assert route.post(None).status_code in {200, 201}
    assert not IdempotentRequest.objects.exists()


def test_keys_are_per_user(case, rep_api, api_client, deal_desk_agent):
    path = f"/api/v1/cases/{case.number}/comments"
    body = json.dumps({"body": "Same words"})
    mine = rep_api.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    dan = api_client(deal_desk_agent)
    theirs = dan.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs
    assert IdempotentRequest.objects.filter(key="k").count() == 2


def test_a_failed_request_frees_its_key_for_the_corrected_retry(rep_api):
    bad = rep_api.post_json("/api/v1/views", {"name": ""}, HTTP_IDEMPOTENCY_KEY="k-fix")
    assert bad.status_code == 422
    assert not IdempotentRequest.objects.exists()

    good = rep_api.post_json("/api/v1/views", {"name": "Fixed"}, HTTP_IDEMPOTENCY_KEY="k-fix")

    assert good.status_code == 201
    assert list(ListView.objects.values_list("name", flat=True)) == ["Fixed"]


@pytest.mark.parametrize("key", ["", "with space", "é", "x" * 256])
def test_a_bad_key_is_a_422_naming_the_header(rep_api, key):
    response = rep_api.post_json("/api/v1/views", {"name": "Mine"}, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert not ListView.objects.exists()


def test_a_claim_still_running_is_a_409_with_retry_after(rep, rep_api):
    IdempotentRequest.objects.create(
        user=rep, key="busy", method="POST", path="/api/v1/views", body_sha256="-"
    )
    response = rep_api.post_json("/api/v1/views", {"name": "Mine"}, HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert response["Content-Type"] == "application/problem+json"
    assert not ListView.objects.exists()


def test_a_token_is_never_shown_again(rep, rep_api):
    body = {"name": "export"}
    first = rep_api.post_json("/api/v1/tokens", body, HTTP_IDEMPOTENCY_KEY="tok")
    assert first.status_code == 201
    raw = first.json()["token"]
    count = ApiToken.objects.count()

    again = rep_api.post_json("/api/v1/tokens", body, HTTP_IDEMPOTENCY_KEY="tok")

    assert again.status_code == 409
    assert again.json()["detail"] == ("Already created with this key; the token was shown once.")
    assert raw not in again.content.decode()
    assert ApiToken.objects.count() == count
    stored = IdempotentRequest.objects.get(key="tok")
    assert stored.status == 201 and stored.body == "" and raw not in stored.body


def test_a_webhook_secret_is_never_shown_again(admin_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # no DNS lookup of the test host
    body = {"url": "http://127.0.0.1:9/h", "event_kinds": ["case.created"]}
    first = admin_api.post_json("/api/v1/webhooks", body, HTTP_IDEMPOTENCY_KEY="hook")
    assert first.status_code == 201, first.content

    again = admin_api.post_json("/api/v1/webhooks", body, HTTP_IDEMPOTENCY_KEY="hook")

    assert again.status_code == 409
    assert "shown once" in again.json()["detail"]
    assert WebhookEndpoint.objects.count() == 1
    assert IdempotentRequest.objects.get(key="hook").body == ""


def test_an_expired_key_may_be_used_again(rep_api, settings):
    assert rep_api.post_json("/api/v1/views", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="old")
    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))

    again = rep_api.post_json("/api/v1/views", {"name": "B"}, HTTP_IDEMPOTENCY_KEY="old")

    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert ListView.objects.count() == 2


def test_housekeeping_purges_expired_keys(rep, rep_api):
    rep_api.post_json("/api/v1/views", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="old")
    rep_api.post_json("/api/v1/views", {"name": "B"}, HTTP_IDEMPOTENCY_KEY="new")
    IdempotentRequest.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    assert tidy_up()["idempotency_keys"] == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


def test_the_header_is_documented_on_each_covered_route(client, rep):
    client.force_login(rep)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    covered = [
        "/api/v1/cases/{number}/comments",
        "/api/v1/cases/{number}/attachments",
        "/api/v1/cases/{number}/watchers",
        "/api/v1/cases/{number}/approvals",
        "/api/v1/uploads",
        "/api/v1/views",
        "/api/v1/views/{view_id}/clone",
        "/api/v1/records",
        "/api/v1/records/{external_id}/shares",
        "/api/v1/records/shares",
        "/api/v1/tokens",
        "/api/v1/webhooks",
    ]
    for path in covered:
        params = paths[path]["post"].get("parameters", [])
        header = [p for p in params if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert len(header) == 1 and header[0]["description"], path
