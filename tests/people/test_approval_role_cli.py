"""`supportdesk user add … --approval-role SLUG`: who may approve is people data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

PW = "a long enough password"  # passes the password validators

pytestmark = pytest.mark.django_db


def cli(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def roles_of(username: str) -> list[str]:
    user = get_user_model().objects.get(username=username)
    return sorted(user.approval_roles.values_list("slug", flat=True))


def test_user_add_gives_approval_roles_and_keeps_them(db):
    out = cli("user", "add", "carlos", "--password", PW, "--approval-role", "compensation",
              "--approval-role", "sales-leadership")  # fmt: skip
    assert roles_of("carlos") == ["compensation", "sales-leadership"]
    assert "User carlos: no team; approval roles: compensation, sales-leadership." in out
    cli("user", "add", "carlos", "--password", PW, "--team", "Billing")
    assert roles_of("carlos") == ["compensation", "sales-leadership"]


def test_an_unknown_approval_role_is_refused_naming_the_valid_ones(db):
    with pytest.raises(CommandError, match="Unknown approval role 'finance'. Valid roles: .*comp"):
        cli("user", "add", "carlos", "--password", PW, "--approval-role", "finance")
    assert not get_user_model().objects.filter(username="carlos").exists()


def test_without_roles_the_output_is_as_before(db):
    assert cli("user", "add", "dora", "--password", PW).strip() == "User dora: no team."
