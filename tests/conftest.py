"""Personas shared by the whole suite (see CONVENTIONS.md, "Tests")."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from supportdesk.people.models import Membership, Team
from tests.factories import MembershipFactory, RecordFactory, RecordShareFactory, UserFactory

pytest_plugins = [
    "tests.approval_helpers",  # approvers for the approval tests
    "tests.fuzz_summary",  # the request count of tests/api/test_fuzz.py
]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a database file (one per xdist worker), not pytest-django's shared
    in-memory one, so a real `supportdesk worker` subprocess can open it (tests/notify)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "supportdesk.sqlite_backend":
        name = tmp_path_factory.mktemp("db") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    cache.clear()  # cached catalog lookups must not outlive the test that made the rows
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def team(name: str) -> Team:
    """A team from the loaded catalog (the catalog loads with the test database)."""
    return Team.objects.get(name=name)


@pytest.fixture
def rep(db):
    """A sales rep: the requester persona."""
    return UserFactory(username="rita", first_name="Rita", last_name="Rep")


@pytest.fixture
def other_rep(db):
    return UserFactory(username="oscar", first_name="Oscar", last_name="Other")


@pytest.fixture
def outsider(db):
    return UserFactory(username="olga", first_name="Olga", last_name="Outsider")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", is_staff=True, is_superuser=True)


@pytest.fixture
def deal_desk_agent(db):
    user = UserFactory(username="dan", first_name="Dan", last_name="Desk")
    MembershipFactory(user=user, team=team("Deal Desk"), role=Membership.Role.AGENT)
    return user


@pytest.fixture
def billing_agent(db):
    user = UserFactory(username="bea", first_name="Bea", last_name="Billing")
    MembershipFactory(user=user, team=team("Billing"), role=Membership.Role.AGENT)
    return user


@pytest.fixture
def opportunity(rep):
    """An opportunity owned by the rep (so the rep has edit access)."""
    return RecordFactory(owner=rep, name="Acme Corp — FY27 Renewal", external_id="006ACME0001")


@pytest.fixture
def shared_read(opportunity, other_rep):
    return RecordShareFactory(record=opportunity, user=other_rep, level="read")


@pytest.fixture
def shared_edit(opportunity, other_rep):
    return RecordShareFactory(record=opportunity, user=other_rep, level="edit")
