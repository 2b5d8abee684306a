"""Fixtures for the web UI tests: logged-in clients, catalog look-ups and quick wizard walks.

The catalog is the real one (loaded into every fresh test database), so these tests also
check that the wizard offers what the seed's routing tables say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from supportdesk.cases.models import Case, Priority, RequestDraft
from supportdesk.cases.services import create_upload, submit_case
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.records.models import Kind, Record
from tests.conftest import team


def request_type(team_name: str, name: str, kind: str = Kind.OPPORTUNITY) -> RequestType:
    return RequestType.objects.get(team=team(team_name), name=name, kind=kind)


def sub_request(rt: RequestType, name: str) -> SubRequest:
    return rt.sub_requests.get(name=name)


def choice(rt: RequestType, sub: SubRequest | None = None) -> str:
    """The type step's radio value for a request type (and sub-request)."""
    return f"{rt.pk}:{sub.pk}" if sub else str(rt.pk)


def pdf(name: str = "order-form.pdf", content: bytes = b"%PDF-1.4 demo") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def step(draft: RequestDraft, name: str) -> str:
    return reverse(f"cases:wizard_{name}", args=[draft.pk])


@pytest.fixture
def login() -> Callable[[Any], Client]:
    """A fresh client logged in as `user` (several users can be logged in side by side)."""

    def _login(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def private_offer() -> tuple[RequestType, SubRequest]:
    rt = request_type("Deal Desk", "Quote Help")
    return rt, sub_request(rt, "Private Offer")


@pytest.fixture
def quote_question() -> tuple[RequestType, SubRequest]:
    rt = request_type("Deal Desk", "Quote Help")
    return rt, sub_request(rt, "Quote Question")


@pytest.fixture
def po_exception() -> tuple[RequestType, SubRequest]:
    rt = request_type("Deal Desk", "Opportunity Help")
    return rt, sub_request(rt, "PO Exception")


def start_wizard(client: Client, record: Record) -> RequestDraft:
    response = client.post(reverse("records:request_support", args=[record.pk]))
    assert response.status_code == 302
    draft = RequestDraft.objects.get(pk=response.url.split("/")[2])
    assert response.url == step(draft, "team")
    return draft


def walk_to_details(client: Client, record: Record, rt: RequestType, sub: SubRequest | None):
    """Start the wizard and choose the team and request type; returns the draft."""
    draft = start_wizard(client, record)
    assert client.post(step(draft, "team"), {"team": rt.team_id}).status_code == 302
    response = client.post(step(draft, "type"), {"choice": choice(rt, sub), "action": "next"})
    assert response.status_code == 302 and response.url == step(draft, "details")
    return draft


PRIVATE_OFFER_ANSWERS = {
    "details-quote_url": "https://crm.example.com/quotes/Q-1",
    "details-marketplace": "AWS",
    "details-customer_billing_id": "123456789012",
    "details-offer_contact_name": "Carla Customer",
    "details-offer_contact_email": "carla@customer.example",
}
COMMON = {"description": "Please build the **AWS** private offer.", "priority": Priority.MEDIUM}


def make_case(requester: Any, record: Record, team_name: str = "Deal Desk", **kw: Any) -> Case:
    """A case submitted through the service (fast), for pages that show cases."""
    arguments = {
        "record": record,
        "request_type": request_type(team_name, "Other"),
        "description": "Something else entirely.",
    }
    return submit_case(requester, **(arguments | kw)).case


def upload_for(user: Any, name: str = "order-form.pdf") -> str:
    return str(create_upload(user, file=pdf(name)).id)
