"""Logging in and out, changing the password; nothing is open to anonymous users."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    "url", ["/", "/cases/", "/records/", "/records/1/", "/notifications/", "/cases/00000001/"]
)
def test_every_page_needs_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


def test_login_page_has_labelled_fields(client):
    page = text(client.get(reverse("login")))
    assert '<label for="id_username">Username' in page
    assert '<label for="id_password">Password' in page
    assert "topbar-end" not in page  # no navigation for anonymous users


def test_login_goes_to_my_cases(client, rep):
    page = text(client.get(reverse("login")))
    assert '<input type="hidden" name="next" value="/">' in page  # what the form sends
    data = {"username": "rita", "password": PASSWORD, "next": "/"}
    response = client.post(reverse("login"), data)
    assert response.status_code == 302 and response.url == "/"
    assert "My Requests" in text(client.get(response.url))  # the Cases tab's default view


def test_login_honours_next(client, rep):
    data = {"username": "rita", "password": PASSWORD, "next": "/records/"}
    assert client.post(reverse("login"), data).url == "/records/"


def test_wrong_password_is_announced(client, rep):
    response = client.post(reverse("login"), {"username": "rita", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in text(response) and "correct username and password" in text(response)


def test_logout_is_a_post_from_the_user_menu(login, rep):
    client = login(rep)
    page = text(client.get("/"))
    assert f'<form method="post" action="{reverse("logout")}">' in page
    assert client.post(reverse("logout")).url == reverse("login")
    assert client.get("/").status_code == 302


def test_password_change(login, rep):
    client = login(rep)
    assert "Change your password" in text(client.get(reverse("password_change")))
    new = "a much longer new password 42"
    data = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    response = client.post(reverse("password_change"), data, follow=True)
    assert "Password changed" in text(response)
    rep.refresh_from_db()
    assert rep.check_password(new)


def test_password_change_errors_name_the_field(login, rep):
    data = {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}
    page = text(login(rep).post(reverse("password_change"), data))
    assert '<a href="#id_old_password">Old password:' in page


def test_not_found_page_is_friendly(login, rep, settings):
    settings.DEBUG = False
    response = login(rep).get("/records/999999/")
    assert response.status_code == 404 and "you do not have access" in text(response)
