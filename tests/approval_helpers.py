"""Cases with approval steps (from the real catalog), approvers and personas for the approval
tests of cases/, web/ and api/ (its fixtures are
registered as a pytest plugin in tests/conftest.py).

An end-of-quarter PO Exception (Deal Desk / Opportunity Help) has two steps, one approver each:
"Sr Director Deal Desk approval" (role sr-director-deal-desk), then "Sr Manager Billing & AR
approval" (sr-manager-billing-ar); the team names the approvers. A Churn Exception Request -
Comp (Sales Operations) has "Leadership approval" (sales-leadership, chosen by the requester),
then "Compensation approval" (compensation).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from supportdesk.cases.models import Case, CaseWatcher
from supportdesk.cases.services import create_upload, submit_case
from supportdesk.catalog.queries import resolve_choice
from supportdesk.people.models import ApprovalRole, Membership
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory

END_OF_QUARTER = "End of quarter: PO delayed"
DIRECTOR_STEP = "Sr Director Deal Desk approval"
BILLING_STEP = "Sr Manager Billing & AR approval"


def approver(username: str, role: str, first: str = "", last: str = "") -> Any:
    """A user holding the approval role `role` (a slug from the catalog)."""
    user = UserFactory(username=username, first_name=first or username.title(), last_name=last)
    ApprovalRole.objects.get(slug=role).members.add(user)
    return user


def member(username: str, team_name: str, role: str = Membership.Role.AGENT, **names: str) -> Any:
    user = UserFactory(username=username, **names)
    MembershipFactory(user=user, team=team(team_name), role=role)
    return user


def watch(case: Case, user: Any) -> Any:
    CaseWatcher.objects.create(case=case, user=user, added_by=case.requester)
    return user


@pytest.fixture
def sid(db: Any) -> Any:
    """Sid, the Sr Director Deal Desk: the first approver of an end-of-quarter PO exception."""
    return approver("sid", "sr-director-deal-desk", "Sid", "Director")


@pytest.fixture
def bill(db: Any) -> Any:
    """Bill, the Sr Manager Billing & AR: the second approver."""
    return approver("bill", "sr-manager-billing-ar", "Bill", "Manager")


@pytest.fixture
def lead(db: Any) -> Any:
    """Lena, a lead of Deal Desk (leads may close over open approvals)."""
    return member("lena", "Deal Desk", Membership.Role.LEAD, first_name="Lena", last_name="Lead")


def _upload(user: Any) -> str:
    file = SimpleUploadedFile("customer-email.pdf", b"%PDF-1.4 po", "application/pdf")
    return str(create_upload(user, file=file).id)


def po_exception(requester: Any, record: Any, exception: str = END_OF_QUARTER) -> Case:
    """A Deal Desk PO Exception; at the end of the quarter it needs two approvals."""
    choice = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Opportunity Help", sub_request="PO Exception"
    )
    answers = {"po_exception_type": exception, "customer_confirmation": [_upload(requester)]}
    if exception == END_OF_QUARTER:
        answers["po_expected_date"] = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    else:
        answers["po_number"] = "PO-1"
    return submit_case(
        requester,
        record=record,
        request_type=choice.request_type,
        sub_request=choice.sub_request,
        description="The customer's PO arrives next week.",
        answers=answers,
    ).case


def churn_comp(requester: Any, record: Any, manager: str) -> Case:
    """A Sales Operations Churn Exception Request - Comp (the requester chooses step 1's
    approver); `manager`, the approving manager it names, must be a user."""
    choice = resolve_choice(
        "opportunity",
        team="Sales Operations",
        request_type="Churn Exception Request - Comp",
        sub_request=None,
    )
    answers = {
        "exception_request_arr": "18000",
        "justification": "Moved to a new subscription.",
        "approving_manager": manager,
    }
    return submit_case(
        requester,
        record=record,
        request_type=choice.request_type,
        description="Not a real churn.",
        answers=answers,
    ).case


def invoice_update(requester: Any, record: Any) -> Case:
    """A Billing Invoice Update: Billing leadership (a lead of Billing) approves."""
    choice = resolve_choice(
        "opportunity", team="Billing", request_type="Invoice Update", sub_request=None
    )
    if choice.errors:  # the canonical name, when the display name does not resolve
        choice = resolve_choice(
            "opportunity",
            team="Billing",
            request_type="Invoice Update (incl. VAT ID, name update, address update, PO)",
            sub_request=None,
        )
    answers = {"invoice_number": "INV-1", "update_type": "VAT ID", "new_value": "DE123"}
    return submit_case(
        requester,
        record=record,
        request_type=choice.request_type,
        description="New VAT ID.",
        answers=answers,
    ).case
