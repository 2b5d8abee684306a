"""Small factories for tests. Catalog rows come from the real catalog where possible."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from supportdesk.cases.models import Case
from supportdesk.cases.services import submit_case
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.catalog.queries import resolve_choice
from supportdesk.people.models import Membership, Team
from supportdesk.records.models import Kind, Record, RecordShare

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda t: slugify(t.name))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.AGENT


class RecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Record

    kind = Kind.OPPORTUNITY
    name = factory.Sequence(lambda n: f"Acme Corp — Renewal {n}")
    external_id = factory.Sequence(lambda n: f"006T{n:011d}")
    owner = factory.SubFactory(UserFactory)
    # Mid-quarter and years off: no suggested priority (cases.priority_rules) on any test day.
    attributes = factory.LazyAttribute(
        lambda r: (
            {"stage": "4-Proposal", "amount": "120000", "close_date": "2031-05-14"}
            if r.kind == Kind.OPPORTUNITY
            else {}
        )
    )


class RecordShareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordShare

    record = factory.SubFactory(RecordFactory)
    level = RecordShare.Level.EDIT


class RequestTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequestType

    kind = Kind.OPPORTUNITY
    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Request type {n}")
    fields = factory.LazyFunction(list)


class SubRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubRequest

    request_type = factory.SubFactory(RequestTypeFactory)
    name = factory.Sequence(lambda n: f"Sub-request {n}")
    fields = factory.LazyFunction(list)


def quote_question(requester, record, **overrides) -> Case:
    """A Deal Desk "Quote Help / Quote Question" case (one required answer), via submit_case."""
    choice = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Quote Help", sub_request="Quote Question"
    )
    arguments = {
        "record": record,
        "request_type": choice.request_type,
        "sub_request": choice.sub_request,
        "description": "Which approval does this ramp need?",
        "answers": {"quote_url": "https://crm.example.com/q/1"},
    }
    return submit_case(requester, **(arguments | overrides)).case
