"""Demo data: people for every role, records of every kind, and cases in several states.

Idempotent: users and records are upserted by username / external id, and demo cases are
submitted with fixed submission keys, so running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from supportdesk.cases.approvals import request_approval
from supportdesk.cases.models import Case, CaseEvent, Priority, Status
from supportdesk.cases.services import create_upload, submit_case
from supportdesk.catalog.models import RequestType, effective_fields
from supportdesk.catalog.schema import condition_holds
from supportdesk.lists.demo import create_views
from supportdesk.people.models import ApprovalRole, Membership, Team
from supportdesk.people.queries import teams_by_name
from supportdesk.records.models import Kind, Record, RecordShare
from supportdesk.reports import rollups
from supportdesk.sla.engine import refresh_case_sla, sweep

DEMO_PASSWORD = "supportdesk-demo"  # noqa: S105 — demo accounts only, printed at start

REPS = [
    ("rita", "Rita", "Reyes", "Account Executive"),
    ("sam", "Sam", "Sato", "Account Executive"),
    ("pia", "Pia", "Patel", "Partner Manager"),
    ("leo", "Leo", "Lind", "Sales Development Rep"),
]
# (team, agent, lead): each (username, first, last)
TEAM_PEOPLE = [
    ("Billing", ("bianca", "Bianca", "Berg"), ("boris", "Boris", "Brandt")),
    ("Deal Desk", ("dana", "Dana", "Diaz"), ("derek", "Derek", "Dunn")),
    ("Ecosystem Operations", ("elena", "Elena", "Engel"), ("ethan", "Ethan", "Ellis")),
    ("Renewal Operations", ("rosa", "Rosa", "Rossi"), ("raj", "Raj", "Rao")),
    ("Sales Operations", ("sofia", "Sofia", "Silva"), ("sean", "Sean", "Shaw")),
    ("Sales Development & Marketing", ("maya", "Maya", "Moreau"), ("marco", "Marco", "Meyer")),
    ("IT / Enterprise Applications", ("ian", "Ian", "Ito"), ("iris", "Iris", "Ivanova")),
]
ADMIN = ("ops", "Olivia", "Okafor")
# Approval roles of the catalog, and who holds them: (role slug, username, first, last, title).
APPROVERS = [
    ("sales-leadership", "nina", "Nina", "Novak", "Sales Director"),
    ("compensation", "carlos", "Carlos", "Cruz", "Sales Compensation"),
    ("sr-director-deal-desk", "derek", "Derek", "Dunn", ""),
    ("sr-manager-billing-ar", "boris", "Boris", "Brandt", ""),
]


@dataclass(frozen=True)
class Login:
    username: str
    name: str
    role: str


def _user(username: str, first: str, last: str, *, admin: bool = False) -> AbstractBaseUser:
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@example.com",
            "is_staff": admin,
            "is_superuser": admin,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def create_people() -> list[Login]:
    logins = []
    for username, first, last, title in REPS:
        _user(username, first, last)
        logins.append(Login(username, f"{first} {last}", f"sales — {title}"))
    for team_name, agent, lead in TEAM_PEOPLE:
        team = Team.objects.get(name=team_name)
        for (username, first, last), role in ((agent, "agent"), (lead, "lead")):
            user = _user(username, first, last)
            Membership.objects.update_or_create(user=user, team=team, defaults={"role": role})
            logins.append(Login(username, f"{first} {last}", f"{role}, {team_name}"))
    _user(*ADMIN, admin=True)
    logins.append(Login(ADMIN[0], f"{ADMIN[1]} {ADMIN[2]}", "ops admin (staff)"))
    for slug, username, first, last, title in APPROVERS:
        role = ApprovalRole.objects.get(slug=slug)
        role.members.add(_user(username, first, last))
        if title:
            logins.append(Login(username, f"{first} {last}", f"{title}, approves {role.name}"))
    return logins


def _today_plus(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


ACCOUNTS = [
    ("001DEMO000000001", "Acme Corporation", "rita", "Large", 12000),
    ("001DEMO000000002", "Globex Inc.", "rita", "Mid-Market", 1800),
    ("001DEMO000000003", "Initech", "sam", "SMB", 240),
    ("001DEMO000000004", "Umbrella Health", "sam", "Large", 31000),
    ("001DEMO000000005", "Stark Logistics", "rita", "Mid-Market", 2600),
    ("001DEMO000000006", "Wayne Financial", "sam", "Large", 54000),
    ("001DEMO000000007", "Hooli Cloud", "rita", "Mid-Market", 4100),
    ("001DEMO000000008", "Soylent Foods", "sam", "SMB", 95),
]
PARTNERS = [
    ("001DEMOP00000001", "CloudBridge Partners", "pia", "Select"),
    ("001DEMOP00000002", "DevOps Distribution GmbH", "pia", "Open"),
    ("001DEMOP00000003", "Northwind Resellers", "pia", "Select"),
    ("001DEMOP00000004", "Pacific Marketplace Services", "pia", "Open"),
]
STAGES = ["1-Discovery", "2-Scoping", "3-Technical Evaluation", "4-Proposal", "5-Negotiating"]


def _opportunities() -> list[tuple[str, str, str, str, dict[str, Any]]]:
    rows = []
    for i, (account_id, account, owner, _segment, _size) in enumerate(ACCOUNTS):
        for j, what in enumerate(("FY27 Renewal", "Ultimate Upgrade")[: 2 if i < 4 else 1]):
            rows.append(
                (
                    f"006DEMO0000000{i}{j}",
                    f"{account} — {what}",
                    owner,
                    account_id,
                    {
                        "stage": STAGES[(i + j) % len(STAGES)],
                        "amount": str(25000 * (i + 1) + 10000 * j),
                        "close_date": _today_plus(4 + 9 * i + 5 * j),
                        "order_type": "Growth" if j else "Renewal",
                        # renewals suggest High within 14 days (cases.priority_rules)
                        **({} if j else {"renewal_date": _today_plus(5 + 9 * i)}),
                    },
                )
            )
    return rows


def _simple_records() -> list[tuple[str, str, str, str, str | None, dict[str, Any]]]:
    """(kind, external id, name, owner, account external id, attributes)."""
    rows: list[tuple[str, str, str, str, str | None, dict[str, Any]]] = []
    people = ["Alex Kim", "Jordan Blake", "Chris Novak", "Taylor Ng", "Morgan Hale", "Sky Park"]
    for i, person in enumerate(people):
        account = ACCOUNTS[i % len(ACCOUNTS)]
        rows.append(
            (
                Kind.CONTACT,
                f"003DEMO00000000{i}",
                person,
                account[2],
                account[0],
                {"title": "Director of Engineering", "email": f"contact{i}@example.org"},
            )
        )
        rows.append(
            (
                Kind.LEAD,
                f"00QDEMO00000000{i}",
                f"{person} (lead)",
                "leo",
                None,
                {"company": f"Prospect {i} Ltd", "status": "MQL", "score": 80 + i},
            )
        )
    for i, partner in enumerate(PARTNERS):
        account = ACCOUNTS[i]
        rows.append(
            (
                Kind.DEAL_REGISTRATION,
                f"a0DDEMO00000000{i}",
                f"{partner[1]} — {account[1]}",
                "pia",
                partner[0],
                {
                    "status": "Approved" if i % 2 else "Submitted",
                    "expiration_date": _today_plus(30 + 10 * i),
                },
            )
        )
    for i in range(2):
        rows.append(
            (
                Kind.LABRA_LEAD,
                f"a1LDEMO00000000{i}",
                f"AWS Marketplace lead {i + 1}",
                "pia",
                PARTNERS[3][0],
                {"marketplace": "AWS"},
            )
        )
        rows.append(
            (
                Kind.LABRA_REFERRAL,
                f"a1RDEMO00000000{i}",
                f"GCP referral {i + 1}",
                "pia",
                PARTNERS[3][0],
                {"marketplace": "GCP"},
            )
        )
        rows.append(
            (
                Kind.INFLUENCE_OBJECT,
                f"a1IDEMO00000000{i}",
                f"Partner influence {i + 1}",
                "pia",
                PARTNERS[i][0],
                {"influence": "Technical"},
            )
        )
    return rows


def _upsert(
    kind: str,
    external_id: str,
    name: str,
    owner: str,
    account: str | None,
    attributes: dict[str, Any],
) -> Record:
    record, _ = Record.objects.update_or_create(
        external_id=external_id,
        defaults={
            "kind": kind,
            "name": name,
            "owner": get_user_model().objects.get(username=owner),
            "account": Record.objects.get(external_id=account) if account else None,
            "attributes": attributes,
        },
    )
    return record


def create_records() -> int:
    for external_id, name, owner, segment, employees in ACCOUNTS:
        _upsert(
            Kind.CUSTOMER_ACCOUNT,
            external_id,
            name,
            owner,
            None,
            {"segment": segment, "employee_count": employees, "region": "AMER"},
        )
    for external_id, name, owner, tier in PARTNERS:
        _upsert(Kind.PARTNER_ACCOUNT, external_id, name, owner, None, {"partner_tier": tier})
    for external_id, name, owner, account, attributes in _opportunities():
        _upsert(Kind.OPPORTUNITY, external_id, name, owner, account, attributes)
    for row in _simple_records():
        _upsert(*row)
    _share("001DEMO000000001", user="sam", level=RecordShare.Level.READ)
    _share("006DEMO000000000", user="sam", level=RecordShare.Level.EDIT)
    _share("001DEMO000000003", user="rita", level=RecordShare.Level.READ)
    _share("001DEMOP00000001", team="Ecosystem Operations", level=RecordShare.Level.EDIT)
    return Record.objects.filter(external_id__contains="DEMO").count()


def _share(external_id: str, *, level: str, user: str | None = None, team: str | None = None):
    record = Record.objects.get(external_id=external_id)
    if user:
        who = {"user": get_user_model().objects.get(username=user)}
    else:
        who = {"team": Team.objects.get(name=team)}
    RecordShare.objects.update_or_create(record=record, **who, defaults={"level": level})


def sample_answer(definition: dict[str, Any], requester: AbstractBaseUser) -> Any:
    """A plausible valid answer for a field, so demo cases follow the live catalog."""
    kind, name = definition["type"], definition["name"]
    options = definition.get("options") or []
    samples: dict[str, Any] = {
        "text": "See description",
        "long_text": "Details are in the description and the attached documents.",
        "number": "250",
        "money": "48000",
        "percent": "10",
        "date": _today_plus(10),
        "user": "derek",
        "picklist": options[0] if options else "",
        "multi_picklist": options[:1],
        "url": f"https://crm.example.com/{name}",
        "email": "ap@example.org",
        "checkbox": True,
        "record": "001DEMO000000001",
    }
    if kind == "file":
        upload = create_upload(
            requester, file=ContentFile(b"Demo document\n", name=f"{name.replace('_', '-')}.txt")
        )
        return [str(upload.id)]
    return samples[kind]


# (record external id, requester, team, request type, sub-request, priority, status, story,
#  answers); answers the catalog requires but these omit get a plausible sample value.
DEMO_CASES = [
    (
        "006DEMO000000000",
        "rita",
        "Deal Desk",
        "Quote Help",
        "Private Offer",
        Priority.HIGH,
        Status.WORK_IN_PROGRESS,
        "Acme wants to buy the renewal through **AWS Marketplace** this quarter. "
        "Their procurement team asked for the private offer by the 15th.",
        {
            "quote_url": "https://crm.example.com/quotes/Q-10231",
            "marketplace": "AWS",
            "customer_billing_id": "4021-7763-1180",
            "offer_contact_name": "Jamie Chen",
            "offer_contact_email": "jamie.chen@acme.example",
        },
    ),
    (
        "006DEMO000000001",
        "rita",
        "Deal Desk",
        "Opportunity Help",
        "ARR Review",
        Priority.MEDIUM,
        Status.NEW,
        "Net ARR on the upgrade looks too low after the tier change; please review.",
        {
            "expected_net_arr": "64000",
            "arr_calculation": "500 Ultimate seats x $1,188 minus the 380 Premium seats replaced.",
        },
    ),
    (
        "006DEMO000000010",
        "rita",
        "Billing Team",
        "Invoice Copy Requests",
        None,
        Priority.LOW,
        Status.CLOSED,
        "The customer's AP team lost the last invoice and needs a copy to pay it.",
        {"invoice_number": "INV-00872", "send_to_email": "ap@globex.example"},
    ),
    (
        "006DEMO000000011",
        "rita",
        "Sales Operations",
        "Opportunity Splits",
        None,
        Priority.MEDIUM,
        Status.PENDING_RESPONSE,
        "Split with the SA who ran the technical evaluation.",
        {"split_lines": "rita, AE, 70%\nsam, AE, 30%", "approving_manager": "sean"},
    ),
    (
        "006DEMO000000020",
        "sam",
        "Renewal Operations",
        "Churn Exception Request",
        None,
        Priority.URGENT,
        Status.NEW,
        "Consolidating two subscriptions into one; not a real churn.",
        {
            "exception_request_arr": "18000",
            "scenario": "Subscription migration/consolidation",
            "justification": "Both subscriptions move to one co-termed renewal; no seats are lost.",
        },
    ),
    (
        "006DEMO000000030",
        "sam",
        "Ecosystem Operations",
        "CPPO",
        None,
        Priority.HIGH,
        Status.ON_HOLD,
        "Partner transacting through AWS CPPO; the customer prefers it.",
        {"program": "AWS CPPO", "resale_partner": "001DEMOP00000004"},
    ),
    (
        "001DEMO000000001",
        "rita",
        "Sales Operations",
        "Account Name Changes",
        None,
        Priority.LOW,
        Status.NEW,
        "Acme changed its legal name after the merger.",
        {"new_legal_name": "Acme Holdings, Inc."},
    ),
    (
        "001DEMO000000002",
        "rita",
        "Sales Operations",
        "Employee Count/Segment Correction",
        None,
        Priority.MEDIUM,
        Status.WORK_IN_PROGRESS,
        "Employee count is stale; new filing attached.",
        {
            "correct_employee_count": "2450",
            "evidence_url": "https://investors.globex.example/annual-report-2026",
        },
    ),
    (
        "001DEMOP00000001",
        "pia",
        "Ecosystem Operations",
        "Partner Payments",
        None,
        Priority.MEDIUM,
        Status.NEW,
        "Rebate for last quarter has not arrived.",
        {"payment_type": "Rebate"},
    ),
    (
        "001DEMOP00000002",
        "pia",
        "Billing Team",
        "Request Reseller Account Creation in Zuora",
        None,
        Priority.HIGH,
        Status.NEW,
        "New reseller needs a billing account before the first order.",
        {
            "billing_company_name": "DevOps Distribution GmbH",
            "billing_contact_name": "Lena Vogt",
            "billing_contact_email": "billing@devops-distribution.example",
            "vat_number": "DE123456789",
            "ap_contact_created": True,
        },
    ),
    (
        "a0DDEMO000000000",
        "pia",
        "Ecosystem Operations",
        "Extension Request > 30 Days",
        None,
        Priority.MEDIUM,
        Status.CLOSED,
        "Customer procurement is slow; the deal is still active.",
        {"new_expiry_date": _today_plus(75)},
    ),
    (
        "00QDEMO000000000",
        "leo",
        "SalesDev & Marketing",
        "Why did this Lead move to a queue?",
        None,
        Priority.LOW,
        Status.NEW,
        "The lead disappeared from my view overnight.",
        {"queue": "Inquiry Queue"},
    ),
    (
        "003DEMO000000000",
        "rita",
        "SalesDev & Marketing",
        "How do I update the matched account?",
        None,
        Priority.LOW,
        Status.WORK_IN_PROGRESS,
        "This contact is matched to the wrong Acme.",
        {"correct_account": "001DEMO000000001"},
    ),
    (
        "006DEMO000000040",
        "rita",
        "Sales Operations",
        "Churn Exception Request - Comp",
        None,
        Priority.HIGH,
        Status.WORK_IN_PROGRESS,
        "Stark moved two product lines to a new subscription; the churn is not real.",
        {
            "exception_request_arr": "22000",
            "justification": "The ARR moved to the new subscription on the same account.",
            "approving_manager": "nina",
        },
    ),
]
# Approvals asked for on demo cases: (index in DEMO_CASES, who asks, step, approvers).
DEMO_APPROVALS = [(13, "rita", 1, ["nina"])]


def _request_type(record: Record, team_name: str, name: str) -> RequestType:
    team = teams_by_name(team_name)
    return RequestType.objects.select_related("team").get(kind=record.kind, team=team, name=name)


def create_cases() -> int:
    agents = {team: agent[0] for team, agent, _lead in TEAM_PEOPLE}
    for i, (
        external_id,
        requester_name,
        team,
        type_name,
        sub_name,
        priority,
        status,
        story,
        given,
    ) in enumerate(DEMO_CASES):
        requester = get_user_model().objects.get(username=requester_name)
        record = Record.objects.get(external_id=external_id)
        request_type = _request_type(record, team, type_name)
        sub = request_type.sub_requests.get(name=sub_name) if sub_name else None
        key = f"demo-{i}"
        if Case.objects.filter(submission_key=f"{requester.pk}:{key}").exists():
            continue
        answers = dict(given)
        for definition in effective_fields(request_type, sub):
            needed = definition["required"] or condition_holds(definition["required_if"], answers)
            if needed and definition["name"] not in answers:
                answers[definition["name"]] = sample_answer(definition, requester)
        result = submit_case(
            requester,
            record=record,
            request_type=request_type,
            sub_request=sub,
            priority=priority,
            urgent_reason="Quarter closes this week." if priority == Priority.URGENT else "",
            description=story,
            answers=answers,
            submission_key=key,
        )
        _age(result.case, hours=DEMO_AGES[i % len(DEMO_AGES)])
        if status != Status.NEW:
            _advance(result.case, status, agents[request_type.team.name])
    sweep()  # the SLA stages of the aged cases: at risk, breached
    return Case.objects.count()


# How long ago each demo case was raised (hours; the SLA clock counts only business hours).
DEMO_AGES = (2, 30, 75, 5, 100, 1, 52, 150, 20, 8)


def _age(case: Case, *, hours: int) -> None:
    """Date a fresh demo case back, as if it had been raised `hours` ago."""
    created = timezone.now() - dt.timedelta(hours=hours)
    Case.objects.filter(pk=case.pk).update(created_at=created, updated_at=created)
    CaseEvent.objects.filter(case=case).update(created_at=created)
    case.created_at = case.updated_at = created
    refresh_case_sla(case)
    rollups.apply(case.pk)


def _advance(case: Case, status: str, agent_username: str) -> None:
    """Move a demo case along as an agent would (status services arrive with case work)."""
    agent = get_user_model().objects.get(username=agent_username)
    now = timezone.now()
    case.owner = agent
    case.status = status
    case.first_response_at = now
    case.closed_at = now if status == Status.CLOSED else None
    case.save(update_fields=["owner", "status", "first_response_at", "closed_at"])
    refresh_case_sla(case, now=now)
    rollups.apply(case.pk)
    CaseEvent.objects.create(
        case=case, kind="case.owner_changed", actor=agent, data={"to": agent.get_username()}
    )
    CaseEvent.objects.create(
        case=case, kind="case.status_changed", actor=agent, data={"from": Status.NEW, "to": status}
    )


def create_approvals() -> None:
    """Ask for the demo approvals, once: a case that has approvals already is left alone."""
    users = get_user_model().objects
    for index, asker, step, approvers in DEMO_APPROVALS:
        requester = users.get(username=DEMO_CASES[index][1])
        case = Case.objects.filter(submission_key=f"{requester.pk}:demo-{index}").first()
        if case is not None and not case.approvals.exists():
            actor = users.get(username=asker)
            request_approval(case, actor=actor, step=step, approvers=approvers)


# Another team asked for help from a demo case: (index of the parent in DEMO_CASES, who asks,
# team, request type, story, answers). The child stays open, so the parent shows it.
DEMO_CHILDREN = [
    (
        0,
        "dana",
        "Billing Team",
        "Invoice Copy Requests",
        "The private offer must match last year's invoice: please send me a copy.",
        {"invoice_number": "INV-00655", "send_to_email": "dana@example.com"},
    ),
]


def create_linked_cases() -> None:
    """Raise the demo child cases, once (their submission key finds them again)."""
    users = get_user_model().objects
    for i, (parent_index, asker_name, team, type_name, story, given) in enumerate(DEMO_CHILDREN):
        asker = users.get(username=asker_name)
        parent_requester = users.get(username=DEMO_CASES[parent_index][1])
        parent = Case.objects.filter(
            submission_key=f"{parent_requester.pk}:demo-{parent_index}"
        ).first()
        if (
            parent is None
            or Case.objects.filter(submission_key=f"{asker.pk}:demo-child-{i}").exists()
        ):
            continue
        request_type = _request_type(parent.record, team, type_name)
        answers = dict(given)
        for definition in effective_fields(request_type, None):
            if definition["required"] and definition["name"] not in answers:
                answers[definition["name"]] = sample_answer(definition, asker)
        submit_case(
            asker,
            record=parent.record,
            parent=parent,
            request_type=request_type,
            description=story,
            answers=answers,
            submission_key=f"demo-child-{i}",
        )


@transaction.atomic
def load_demo() -> tuple[list[Login], int, int]:
    from supportdesk.notify.models import Delivery

    emails_before = Delivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    logins = create_people()
    records = create_records()
    cases = create_cases()
    create_linked_cases()
    create_approvals()
    create_views()  # supportdesk.lists: a private, a team and a published list view
    # The demo's cases are made-up history: their in-app notifications stay, but nobody is
    # emailed about them; only what happens once the app runs is.
    Delivery.objects.filter(pk__gt=emails_before, state=Delivery.State.PENDING).update(
        state=Delivery.State.SKIPPED
    )
    return logins, records, cases
