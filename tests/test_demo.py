"""The demo data a newcomer logs into: every role, every record kind, cases in every status."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from supportdesk.cases.display.page import case_page
from supportdesk.cases.models import Case, Status
from supportdesk.people.models import Membership, Team
from supportdesk.records.models import Kind, Record

pytestmark = pytest.mark.django_db


def test_demo_covers_every_role_kind_and_status_and_is_idempotent(capsys):
    call_command("demo")
    first = capsys.readouterr().out
    counts = (Record.objects.count(), Case.objects.count(), Membership.objects.count())
    call_command("demo")
    assert (Record.objects.count(), Case.objects.count(), Membership.objects.count()) == counts

    assert "password for all" in first and "ops" in first
    assert Record.objects.count() >= 40
    assert set(Record.objects.values_list("kind", flat=True)) == set(Kind.values)
    assert Record.objects.filter(kind=Kind.OPPORTUNITY, account__isnull=False).exists()
    for team in Team.objects.filter(is_active=True):
        roles = set(team.memberships.values_list("role", flat=True))
        assert roles == {"agent", "lead"}, team.name
    assert Case.objects.count() >= 12
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    assert Case.objects.values("team").distinct().count() >= 5


def test_demo_answers_fit_their_request_types_and_the_feed_reads_naturally():
    call_command("demo")
    offer = Case.objects.get(sub_request__name="Private Offer")
    assert offer.details["marketplace"] == "AWS"
    assert "gcp_payment_method" not in offer.details  # only asked when the marketplace is GCP
    feed = [(item.text, item.detail) for item in case_page(offer)["feed"]]
    assert ("changed the status", "New → Work in Progress") in feed
    assert ("took ownership", "") in feed


def test_the_demo_history_sends_no_email_but_keeps_the_bell():
    from supportdesk.notify.models import Delivery, Notification

    call_command("demo", stdout=io.StringIO())
    assert Notification.objects.exists()
    assert not Delivery.objects.filter(state=Delivery.State.PENDING).exists()
