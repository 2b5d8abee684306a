"""Every way to set a password applies AUTH_PASSWORD_VALIDATORS: the password change page and
the `supportdesk user add` command (and so user_upsert)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from supportdesk.people.services import PeopleError, user_upsert
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("4815162342", "entirely numeric"),
        ("henrietta-hunter", "too similar"),
    ],
)
def test_user_add_refuses_a_weak_password_and_creates_nobody(password, reason):
    with pytest.raises(CommandError, match=reason):
        call_command(
            "user", "add", "henrietta", "--password", password, "--name", "Henrietta Hunter",
            stdout=StringIO(),
        )  # fmt: skip
    assert not get_user_model().objects.filter(username="henrietta").exists()


def test_user_upsert_keeps_the_old_password_when_the_new_one_is_refused(rep):
    with pytest.raises(PeopleError, match="Password refused"):
        user_upsert(username="rita", password="rita")
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)


def test_the_password_change_page_refuses_a_weak_password(rep):
    client = Client()
    client.force_login(rep)
    data = {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    response = client.post(reverse("password_change"), data)
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)
