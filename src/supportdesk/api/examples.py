"""Examples of the API's main bodies, shown in the OpenAPI document and /api/v1/docs.

A schema takes them with `model_config = documented(EXAMPLE)`; tests/api/test_openapi.py
checks that every example is valid against the schema it illustrates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict

Example = dict[str, Any]

SITE = "https://support.example.com"
UPLOAD_ID = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"


def documented(*examples: Example, required: Sequence[str] = ()) -> ConfigDict:
    """A model config carrying `examples` (and the fields to document as `required`)."""
    extra: dict[str, Any] = {"examples": list(examples)}
    if required:
        extra["required"] = list(required)
    return ConfigDict(json_schema_extra=extra)


RECORD_IN: Example = {
    "kind": "opportunity",
    "name": "Acme Corp — FY27 Renewal",
    "external_id": "006Hs00001AcmeRnw",
    "owner": "rita",
    "account": "001Hs00000AcmeCorp",
    "attributes": {"stage": "4-Proposal", "amount": "120000", "close_date": "2027-03-31"},
}
RECORD_OUT: Example = {
    **RECORD_IN,
    "url": f"{SITE}/records/006Hs00001AcmeRnw/",
    "can_request_support": True,
}
RECORD_SHARES_IN: Example = {
    "items": [
        {"record": "006Hs00001AcmeRnw", "user": "oscar", "level": "edit"},
        {"record": "006Hs00001AcmeRnw", "team": "Deal Desk", "level": "read"},
    ]
}
RECORD_SHARES_OUT: Example = {
    "created": 1,
    "updated": 1,
    "items": [
        {"record": "006Hs00001AcmeRnw", "user": "oscar", "team": None, "level": "edit"},
        {"record": "006Hs00001AcmeRnw", "user": None, "team": "Deal Desk", "level": "read"},
    ],
}

CASE_IN: Example = {
    "record": "006Hs00001AcmeRnw",
    "team": "Deal Desk",
    "request_type": "Quote Help",
    "sub_request": "Quote Question",
    "priority": "High",
    "description": "Which approval does the ramp on year two need?",
    "needed_by": "2027-03-15",
    "details": {"quote_url": "https://crm.example.com/q/Q-00412"},
    "attachments": [UPLOAD_ID],
}
CASE_OUT: Example = {
    "number": "00001042",
    "status": "work_in_progress",
    "team": "Deal Desk",
    "request_type": "Quote Help",
    "sub_request": "Quote Question",
    "subject": "Quote Question — Acme Corp — FY27 Renewal",
    "priority": "high",
    "urgent_reason": "",
    "description": "Which approval does the ramp on year two need?",
    "needed_by": "2027-03-15",
    "owner": "dan",
    "requester": "rita",
    "record": "006Hs00001AcmeRnw",
    "parent": None,
    "duplicate_of": None,
    "details": {"quote_url": "https://crm.example.com/q/Q-00412"},
    "attachments": [
        {
            "id": 7,
            "name": "ramp-schedule.pdf",
            "size": 48213,
            "content_type": "application/pdf",
            "field_name": "",
            "url": f"{SITE}/cases/00001042/attachments/7/",
            "download_url": f"{SITE}/api/v1/cases/00001042/attachments/7/download",
        }
    ],
    "watchers": ["oscar"],
    "version": 4,
    "resolution": None,
    "resolution_note": "",
    "created_at": "2027-03-02T09:14:05Z",
    "first_response_at": "2027-03-02T10:02:41Z",
    "closed_at": None,
    "actions": ["assign", "ask", "hold", "close", "move", "add_watcher", "comment"],
    "url": f"{SITE}/cases/00001042/",
    "rating": None,
    "sla": {
        "stage": "on_track",
        "first_response_due": "2027-03-02T13:14:05Z",
        "resolution_due": "2027-03-04T13:14:05Z",
        "due": "2027-03-04T13:14:05Z",
    },
    "info_requests": 0,
    "info_request": None,
}
CASE_PAGE: Example = {
    "items": [CASE_OUT],
    "next_cursor": "eyJrIjpbIjIwMjctMDMtMDJUMDk6MTQ6MDVaIiwxMDQyXX0",
    "next": f"{SITE}/api/v1/cases?cursor=eyJrIjpbIjIwMjctMDMtMDJUMDk6MTQ6MDVaIiwxMDQyXX0",
}
CASE_EDIT_IN: Example = {"version": 4, "needed_by": "2027-03-20", "details": {"seats": 250}}
COMMENT_IN: Example = {
    "version": 4,
    "body": "@rita the ramp needs **VP Sales** approval; I have asked for it.",
    "internal": False,
    "attachments": [],
}
EVENT_OUT: Example = {
    "id": 311,
    "kind": "comment.added",
    "actor": "dan",
    "created_at": "2027-03-02T10:02:41Z",
    "internal": False,
    "data": {
        "body": "@rita the ramp needs **VP Sales** approval; I have asked for it.",
        "mentions": ["rita"],
        "team_handles": [],
    },
    "attachments": [],
}

VIEW_IN: Example = {
    "name": "Urgent Deal Desk queue",
    "visibility": "teams",
    "teams": ["deal-desk"],
    "filters": {"team": ["deal-desk"], "owner": "queue", "priority": ["high", "urgent"]},
    "columns": ["number", "subject", "priority", "requester", "created_at"],
    "sort": "-priority,created_at",
}
VIEW_OUT: Example = {
    "id": "12",
    "name": "Urgent Deal Desk queue",
    "builtin": False,
    "owner": "dan",
    "visibility": "teams",
    "teams": ["deal-desk"],
    "filters": {"team": ["deal-desk"], "owner": "queue", "priority": ["high", "urgent"]},
    "columns": ["number", "subject", "priority", "requester", "created_at"],
    "sort": "-priority,created_at",
    "editable": True,
    "url": f"{SITE}/cases/?view=12",
}
VIEW_CASE_PAGE: Example = {
    "columns": [{"key": "number", "label": "Number"}, {"key": "priority", "label": "Priority"}],
    "items": [
        {
            "number": "00001042",
            "url": f"{SITE}/cases/00001042/",
            "values": {"number": "00001042", "priority": "High"},
        }
    ],
    "next_cursor": None,
    "next": None,
    "previous_cursor": None,
    "previous": None,
    "count": 1,
    "count_exact": True,
}

NOTIFICATION_OUT: Example = {
    "id": 5120,
    "kind": "case.commented",
    "title": "Dan Desk commented on 00001042",
    "body": "@rita the ramp needs VP Sales approval; I have asked for it.",
    "case": "00001042",
    "url": f"{SITE}/cases/00001042/#event-311",
    "created_at": "2027-03-02T10:02:41Z",
    "read_at": None,
}
NOTIFICATION_PAGE: Example = {"items": [NOTIFICATION_OUT], "next_cursor": None, "next": None}

TOKEN_IN: Example = {"name": "Nightly CRM sync", "scope": "read+write", "expires_in_days": 90}
TOKEN_OUT: Example = {
    "id": 17,
    "user": "rita",
    "name": "Nightly CRM sync",
    "scope": "read+write",
    "hint": "sd_Xq3v",
    "state": "active",
    "created_at": "2027-03-01T08:00:00Z",
    "last_used_at": "2027-03-02T02:00:13Z",
    "expires_at": "2027-05-30T08:00:00Z",
    "revoked_at": None,
}
TOKEN_CREATED_OUT: Example = {
    **TOKEN_OUT,
    "last_used_at": None,
    "token": "sd_Xq3vR8mT2kLp9wYbN4cE7hJ1uA6sD0fG",
}

WEBHOOK_IN: Example = {
    "url": "https://hooks.example.com/supportdesk",
    "event_kinds": ["case.created", "case.status_changed", "case.closed"],
    "description": "Data warehouse feed",
}
WEBHOOK_OUT: Example = {
    "id": 3,
    **WEBHOOK_IN,
    "active": True,
    "created_by": "ada",
    "created_at": "2027-03-01T08:00:00Z",
    "secret": None,
}
CASE_LIST_PAGE: Example = {
    **CASE_PAGE,
    "previous_cursor": None,
    "previous": None,
    "count": 1,
    "count_exact": True,
}
