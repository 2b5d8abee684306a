"""One small world for the access tests: a private case and every kind of relation to it.

The Deal Desk case of Rita (the requester) is watched by Walt, names Mia in a public comment
(which makes her a watcher), carries an internal note of the team that names Lena (the team's
lead) and Sam (a stranger: an internal note never reaches outsiders), a file, an internal
note's file, a field answer and an approval. Henry's Sales Operations case is the "someone
else's" case that none of the roles but the admin may see. Every role has its own saved
view, API token, request draft and notification; Henry has one of each too, which nobody else
may open.

Every private string of the case holds `CANARY`; the internal note and its file hold
`NOTE_CANARY`, which only the Deal Desk team and admins may ever read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from supportdesk.cases.actions import add_attachments, add_comment, add_watcher
from supportdesk.cases.models import Approval, Attachment, Case, RequestDraft
from supportdesk.cases.services import create_upload, submit_case
from supportdesk.lists.models import ListView, Visibility
from supportdesk.notify.emails import settings_token
from supportdesk.notify.models import Notification
from supportdesk.people.models import ApiToken, Membership, hash_token
from supportdesk.records.models import Record
from supportdesk.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import team
from tests.factories import (
    MembershipFactory,
    RecordFactory,
    RequestTypeFactory,
    UserFactory,
    quote_question,
)

CANARY = "zq7canaryx41"  # lower case: survives slugs, URLs and case-folding alike
NOTE_CANARY = "zq7notecanaryx42"

ANONYMOUS = "anonymous"
STRANGER = "stranger"
REQUESTER = "requester"
WATCHER = "watcher"
MENTIONED = "mentioned"
AGENT = "agent"  # of the owning team, Deal Desk
OTHER_AGENT = "other_agent"  # of Billing
LEAD = "lead"  # of Deal Desk
ADMIN = "admin"
OTHER_LEAD = "other_lead"  # of Billing: for the canary only (its team dashboard)

ROLES = (ANONYMOUS, STRANGER, REQUESTER, WATCHER, MENTIONED, AGENT, OTHER_AGENT, LEAD, ADMIN)
SIGNED_IN = frozenset(ROLES) - {ANONYMOUS}
CASE_SEERS = frozenset({REQUESTER, WATCHER, MENTIONED, AGENT, LEAD, ADMIN})
CASE_TEAM = frozenset({AGENT, LEAD, ADMIN})  # internal notes, and the team's work
AGENTS = frozenset({AGENT, OTHER_AGENT, LEAD, ADMIN})  # members of some team, or admins

MISSING_ID = 987654321
MISSING_UUID = "00000000-0000-4000-8000-00000000abcd"


def _file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 private", content_type="application/pdf")


def _upload(user: Any, name: str) -> str:
    return str(create_upload(user, file=_file(name)).id)


@dataclass
class Owned:
    """The objects each user owns: saved view, API token, draft, notification."""

    view: ListView
    token: ApiToken
    draft: RequestDraft
    notification: Notification


@dataclass
class World:
    users: dict[str, Any]
    henry: Any
    record: Record
    case: Case
    hidden_case: Case
    attachment: Attachment
    note_attachment: Attachment
    hidden_attachment: Attachment
    approval: Approval
    hidden_approval: Approval
    webhook: WebhookEndpoint
    delivery: WebhookDelivery
    owned: dict[str, Owned] = field(default_factory=dict)
    henrys: Owned | None = None

    def user(self, role: str) -> Any:
        return self.users.get(role)

    def client(self, role: str) -> Client:
        client = Client()
        if role != ANONYMOUS:
            client.force_login(self.users[role])
        return client


def _member(username: str, team_name: str, role: str = Membership.Role.AGENT) -> Any:
    user = UserFactory(username=username)
    MembershipFactory(user=user, team=team(team_name), role=role)
    return user


def _owned(user: Any, label: str) -> Owned:
    view = ListView.objects.create(
        owner=user, name=f"{label}'s private view", visibility=Visibility.PRIVATE
    )
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=f"{label}'s token", key_hash=hash_token(raw), hint=raw[:8]
    )
    draft = RequestDraft.objects.create(
        user=user, record=RecordFactory(owner=user), data={"common": {}, "answers": {}}
    )
    notification = Notification.objects.create(
        user=user, kind="case.commented", title=f"A note for {label}"
    )
    return Owned(view, token, draft, notification)


def build_world() -> World:
    users: dict[str, Any] = {
        STRANGER: UserFactory(username="sam"),
        REQUESTER: UserFactory(username="rita"),
        WATCHER: UserFactory(username="walt"),
        MENTIONED: UserFactory(username="mia"),
        AGENT: _member("dan", "Deal Desk"),
        OTHER_AGENT: _member("bea", "Billing"),
        LEAD: _member("lena", "Deal Desk", Membership.Role.LEAD),
        ADMIN: UserFactory(username="ada", is_staff=True, is_superuser=True),
        OTHER_LEAD: _member("lars", "Billing", Membership.Role.LEAD),
    }
    henry = UserFactory(username="henry")
    rita, dan = users[REQUESTER], users[AGENT]
    record = RecordFactory(owner=rita, name="Acme Corp — FY27 Renewal", external_id="006ACME0001")
    case = quote_question(
        rita,
        record,
        subject=f"Secret renewal terms {CANARY}",
        description=f"The customer's discount is {CANARY}.",
        answers={"quote_url": f"https://crm.example.com/q/{CANARY}"},
    )
    add_watcher(case, actor=rita, username="walt")
    add_comment(case, author=dan, body=f"@mia please check the {CANARY} terms.")
    add_comment(
        case,
        author=dan,
        body=f"Margin floor is {NOTE_CANARY}; @lena agrees, @sam must never read this.",
        internal=True,
        attachment_ids=[_upload(dan, f"margin-{NOTE_CANARY}.pdf")],
    )
    (attachment,) = add_attachments(
        case, actor=rita, upload_ids=[_upload(rita, f"order-form-{CANARY}.pdf")]
    )
    note_attachment = Attachment.objects.get(case=case, event__internal=True)
    approval = Approval.objects.create(
        case=case,
        step=1,
        step_name="Sr Director Deal Desk approval",
        approver=users[LEAD],
        requested_by=dan,
    )
    henrys_record = RecordFactory(owner=henry, name="Globex — private", external_id="006GLOBEX01")
    hidden_case = submit_case(
        henry,
        record=henrys_record,
        request_type=RequestTypeFactory(team=team("Sales Operations")),
        description="Henry's own business.",
    ).case
    (hidden_attachment,) = add_attachments(
        hidden_case, actor=henry, upload_ids=[_upload(henry, "henry.pdf")]
    )
    hidden_approval = Approval.objects.create(
        case=hidden_case, step=1, step_name="Check", approver=henry, requested_by=henry
    )
    webhook = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/supportdesk",
        event_kinds=["case.created"],
        created_by=users[ADMIN],
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=webhook, event_kind="case.created", event_id="evt-1", payload={"id": "evt-1"}
    )
    world = World(
        users=users,
        henry=henry,
        record=record,
        case=case,
        hidden_case=hidden_case,
        attachment=attachment,
        note_attachment=note_attachment,
        hidden_attachment=hidden_attachment,
        approval=approval,
        hidden_approval=hidden_approval,
        webhook=webhook,
        delivery=delivery,
    )
    world.owned = {role: _owned(user, role) for role, user in users.items()}
    world.henrys = _owned(henry, "henry")
    return world


def email_settings_token(world: World, role: str) -> str:
    return settings_token(world.users[role], "comment.added")
