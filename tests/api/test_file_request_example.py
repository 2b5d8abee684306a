"""docs/examples/file_request.py against a live server, with a real token."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from supportdesk.cases.models import Case
from supportdesk.people.models import ApiToken
from supportdesk.people.services import token_create
from tests.factories import RecordFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "file_request.py"
ARGS = [
    "006EXAMPLE1",
    "Deal Desk",
    "Quote Help",
    "Which approval does this ramp need?",
    "--sub-request",
    "Quote Question",
    "--detail",
    "quote_url=https://crm.example.com/q/1",
]


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("file_request_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def rita_token() -> str:
    rita = UserFactory(username="rita")
    RecordFactory(owner=rita, external_id="006EXAMPLE1")
    return token_create(user=rita, name="script", scope=ApiToken.Scope.READ_WRITE)[1]


def test_main_files_the_request(example, live_server, rita_token, capsys):
    assert example.main([*ARGS, "--url", live_server.url, "--token", rita_token]) == 0
    case = Case.objects.get(record__external_id="006EXAMPLE1")
    assert case.requester.username == "rita"
    assert case.sub_request.name == "Quote Question"
    assert capsys.readouterr().out.startswith(f"Case {case.number}: ")


def test_a_retry_with_the_same_key_returns_the_same_case(example, live_server, rita_token):
    body = {
        "record": "006EXAMPLE1",
        "team": "Deal Desk",
        "request_type": "Quote Help",
        "sub_request": "Quote Question",
        "description": "Ramp approval?",
        "details": {"quote_url": "https://crm.example.com/q/1"},
    }
    first = example.file_request(live_server.url, rita_token, body, idempotency_key="k-1")
    again = example.file_request(live_server.url, rita_token, body, idempotency_key="k-1")
    assert again["number"] == first["number"]
    assert Case.objects.count() == 1


def test_refusals_are_printed_with_their_fields(example, live_server, rita_token, capsys):
    args = [*ARGS[:6], "--url", live_server.url, "--token", rita_token]  # no quote_url
    assert example.main(args) == 1
    assert "422" in capsys.readouterr().err
    assert not Case.objects.exists()
