"""API fuzzing: schemathesis generates requests for every operation of /api/v1/openapi.json.

Each test fuzzes a batch of operations (at most six of one tag) as one role — a requester, a
Deal Desk agent, an admin, and a requester with a `read` token — through the real WSGI
application on the test database, so xdist spreads the batches over its workers. Half the
generated requests have valid data, half invalid (negative mode). Path parameters are, one
time in two, replaced by ids that exist in the test's world (cases, records, views,
webhooks…), so the fuzzer reaches the objects and not only 404s.

Every answer must be no 5xx, have a documented status code and content type, and match the
documented schema. Hypothesis is derandomized: CI generates the same requests every run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from supportdesk.api.urls import api
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.lists.models import ListView
from supportdesk.notify.models import Notification
from supportdesk.people.models import ApiToken, Membership, Team, hash_token
from supportdesk.reports.registry import DASHBOARDS
from supportdesk.webhooks.models import WebhookEndpoint
from tests.api.conftest import make_token
from tests.conftest import team
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PREFIX = "/api/v1/"
# Examples per operation, generation mode and role: 11 × 2 modes × 3 roles × ~80 operations
# ≈ 5,300 requests a run (plus the reader's 3 × 2 × ~80); the summary line prints the count.
MAX_EXAMPLES = 11
# Not `negative_data_rejection`: a query string cannot carry the type violations negative mode
# makes (a null, a number or an object serialises to text a string parameter accepts), so it
# would flag valid requests. Negative requests must still answer a documented 4xx, never a 5xx.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def openapi_document() -> dict[str, Any]:
    """The document /api/v1/openapi.json serves (test_the_fuzzed_document_is_the_served_one)."""
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix=PREFIX)))


SCHEMA = schemathesis.openapi.from_dict(openapi_document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# A reader is the requester with a `read` token: every unsafe request is a documented 403, so
# fewer examples say enough.
ROLES = ["requester", "agent", "admin", "reader"]
EXAMPLES_FOR = {"reader": 3}
BATCH_SIZE = 6  # operations per test: small enough for xdist to spread the work evenly


def batches() -> dict[str, list[Any]]:
    """The operations by tag, in batches of at most BATCH_SIZE: {"views 1": [...], ...}."""
    by_tag: dict[str, list[Any]] = {}
    for operation in OPERATIONS:
        by_tag.setdefault(operation.tags[0] if operation.tags else "other", []).append(operation)
    return {
        f"{tag} {start // BATCH_SIZE + 1}": operations[start : start + BATCH_SIZE]
        for tag, operations in sorted(by_tag.items())
        for start in range(0, len(operations), BATCH_SIZE)
    }


BATCHES = batches()


@dataclass
class World:
    """What one test fuzzes against: a caller's token and ids that exist."""

    token: str
    max_examples: int
    ids: dict[str, list[Any]]


def build_world(role: str) -> World:
    """Cases, records, a view, a webhook, a spare token… so path parameters can name real
    objects. The caller's own token is not among them: revoking it would end the test early."""
    rep = UserFactory(username="rita")
    agent = UserFactory(username="dan")
    MembershipFactory(user=agent, team=team("Deal Desk"), role=Membership.Role.AGENT)
    admin = UserFactory(username="ada", is_staff=True, is_superuser=True)
    caller = {"requester": rep, "agent": agent, "admin": admin, "reader": rep}[role]
    records = [RecordFactory(owner=rep) for _ in range(2)]
    cases = [quote_question(rep, record) for record in records]
    view = ListView.objects.create(owner=caller, name="Mine", filters={}, columns=["number"])
    webhook = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in", event_kinds=["case.created"], created_by=admin
    )
    spare = ApiToken.objects.get(key_hash=hash_token(make_token(caller)))
    request_types = RequestType.objects.order_by("pk")[:2]
    return World(
        token=make_token(
            caller, scope=ApiToken.Scope.READ if role == "reader" else ApiToken.Scope.READ_WRITE
        ),
        max_examples=EXAMPLES_FOR.get(role, MAX_EXAMPLES),
        ids={
            "number": [c.number for c in cases],
            "external_id": [r.external_id for r in records],
            "view_id": [str(view.pk), "my-requests", "team-queue"],
            "webhook_id": [webhook.pk],
            "token_id": [spare.pk],
            "notification_id": list(Notification.objects.values_list("pk", flat=True)[:2]),
            "type_id": [t.pk for t in request_types],
            "sub_id": list(SubRequest.objects.order_by("pk").values_list("pk", flat=True)[:2]),
            "slug": list(Team.objects.order_by("pk").values_list("slug", flat=True)[:2]),
            "username": ["rita", "dan"],
            "name": list(DASHBOARDS),
        },
    )


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """The project's WSGI handler, kept on the test's connection (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    settings.API_RATE_LIMIT = "off"  # 429 is tested in test_rate_limit.py; here it would hide all


def fuzz(
    operation: Any, mode: GenerationMode, world: World, app: WSGIHandler
) -> tuple[int, str | None]:
    """Run one operation's examples: how many requests were sent, and the first failure."""
    sent = 0
    known = {name: values for name, values in world.ids.items() if values}

    @hypothesis_settings(
        max_examples=world.max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        nonlocal sent
        for name in list(case.path_parameters or {}):
            if name in known and data.draw(st.booleans(), label=f"known {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(known[name]), label=name)
        sent += 1
        case.call_and_validate(
            app=app, headers={"Authorization": f"Bearer {world.token}"}, checks=CHECKS
        )

    try:
        run()
    except (Exception, BaseExceptionGroup) as failure:  # reported with the other failures
        return sent, f"{operation.label} ({mode.value}): {str(failure)[:1500]}"
    return sent, None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("batch", BATCHES)
def test_fuzz(
    batch: str, role: str, wsgi_app: WSGIHandler, record_property: Callable[..., None]
) -> None:
    world = build_world(role)
    sent, failures = 0, []
    for operation in BATCHES[batch]:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            requests, failure = fuzz(operation, mode, world, wsgi_app)
            sent += requests
            failures += [failure] if failure else []
    record_property("fuzzed_requests", sent)
    print(f"fuzzed {batch} as {role}: {sent} requests")
    assert not failures, "\n\n".join(failures)
    assert sent >= len(BATCHES[batch]) * 2  # at least one request per operation and mode


def test_the_fuzzed_document_is_the_served_one(client, rep) -> None:
    client.force_login(rep)
    assert client.get("/api/v1/openapi.json").json() == openapi_document()


# Bugs the fuzzer found, kept as plain regression tests.


@pytest.mark.parametrize("number", ["²", "①", "٣"])
def test_a_number_of_non_ascii_digits_names_no_case(rep_api, number: str) -> None:
    """str.isdigit() accepts these, int() refuses "²": it was a 500 on every case route."""
    response = rep_api.post_json(f"/api/v1/cases/{number}/comments", {"body": "Hello"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_catalog_and_team_schemas_do_not_share_a_name(client, rep) -> None:
    """Two models named TeamOut made the catalog document the admin's team schema."""
    client.force_login(rep)
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "request_types" in components["CatalogTeamOut"]["properties"]
    assert "members" in components["TeamOut"]["properties"]


def test_nul_characters_are_refused_before_the_database(rep_api, opportunity) -> None:
    """PostgreSQL cannot store U+0000: it was a 500 in bodies, queries and paths."""
    body = {"items": [{"record": "006ACME\x000001", "user": "oscar"}]}
    answers = [
        rep_api.post_json("/api/v1/records/shares", body),
        rep_api.get("/api/v1/cases", {"text": "acme\x00"}),
        rep_api.get("/api/v1/views/1%00/cases"),
    ]
    fields = [[e["field"] for e in answer.json()["errors"]] for answer in answers]
    assert [answer.status_code for answer in answers] == [422, 422, 422]
    assert fields == [["items.0.record"], ["text"], ["view_id"]]


def test_an_unreadable_multipart_body_is_a_400(rep_api) -> None:
    boundary = "fuzz"
    body = f"--{boundary}\r\n" + "X-Long: " + "a" * 9000 + "\r\n\r\nx\r\n--{boundary}--\r\n"
    response = rep_api.generic(
        "POST", "/api/v1/uploads", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
