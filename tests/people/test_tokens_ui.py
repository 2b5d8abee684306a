"""Settings › API tokens: create (shown once), list, revoke; the admins' page of everyone's."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from supportdesk.people.models import ApiToken, hash_token
from supportdesk.people.services import token_create
from supportdesk.people.views import PAGE_SIZE
from tests.api.conftest import TokenClient

pytestmark = pytest.mark.django_db

URL = "/settings/tokens/"
ADMIN_URL = "/settings/tokens/all/"
RAW = re.compile(r'value="(sd_[A-Za-z0-9_-]+)"')


@pytest.fixture
def rep_browser(client, rep):
    client.force_login(rep)
    return client


def create(browser, **fields):
    return browser.post(URL, {"name": "CI", "scope": "read", "expires": "90", **fields})


def test_the_user_menu_links_to_the_tokens_page(rep_browser):
    page = rep_browser.get(URL).content.decode()
    assert f'href="{URL}"' in page
    assert f'href="{ADMIN_URL}"' not in page  # not staff


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(rep_browser, rep):
    response = create(rep_browser, name="Nightly export")
    assert response.status_code == 200  # rendered in the POST answer, not redirected
    assert response["Cache-Control"] == "no-store"
    raw = RAW.search(response.content.decode())[1]
    token = ApiToken.objects.get(user=rep)
    assert token.name == "Nightly export"
    assert token.scope == ApiToken.Scope.READ
    assert token.key_hash == hash_token(raw)
    assert raw.startswith(token.hint)
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    assert dt.timedelta(days=89) < token.expires_at - timezone.now() <= dt.timedelta(days=90)
    # The token works, and it is never shown again.
    assert TokenClient(raw).get("/api/v1/tokens").status_code == 200
    again = rep_browser.get(URL).content.decode()
    assert raw not in again
    assert "Nightly export" in again and token.hint in again


def test_expiry_choices(rep_browser, rep):
    create(rep_browser, name="forever", expires="never")
    day = timezone.localdate() + dt.timedelta(days=10)
    create(rep_browser, name="dated", expires="date", expires_on=day.isoformat())
    tokens = {t.name: t for t in ApiToken.objects.filter(user=rep)}
    assert tokens["forever"].expires_at is None
    assert timezone.localtime(tokens["dated"].expires_at).date() == day + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "required"),
        ({"scope": "admin"}, "scope", "valid choice"),
        ({"expires": "7"}, "expires", "valid choice"),
        ({"expires": "date"}, "expires_on", "Choose the day"),
        ({"expires": "date", "expires_on": "2000-01-01"}, "expires_on", "today or a later"),
    ],
)
def test_invalid_fields_are_reported_and_nothing_is_created(rep_browser, fields, field, message):
    response = create(rep_browser, **fields)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert 'class="field-error"' in response.content.decode()
    assert response.context["raw"] is None
    assert not ApiToken.objects.exists()


def test_revoking_makes_the_token_fail_and_is_idempotent(rep_browser, rep):
    token, raw = token_create(user=rep, name="old", scope=ApiToken.Scope.READ_WRITE)
    assert TokenClient(raw).get("/api/v1/tokens").status_code == 200
    response = rep_browser.post(f"{URL}{token.pk}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == URL
    token.refresh_from_db()
    first = token.revoked_at
    assert first is not None
    assert TokenClient(raw).get("/api/v1/tokens").status_code == 401
    assert rep_browser.post(f"{URL}{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at == first
    assert "Revoked" in rep_browser.get(URL).content.decode()


def test_revoking_needs_a_post_and_the_csrf_token(client, rep):
    from django.test import Client

    token, _ = token_create(user=rep, name="t", scope=ApiToken.Scope.READ)
    client.force_login(rep)
    assert client.get(f"{URL}{token.pk}/revoke/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(rep)
    assert strict.post(f"{URL}{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_nobody_revokes_another_users_token_from_their_page(client, rep, other_rep):
    token, _ = token_create(user=other_rep, name="theirs", scope=ApiToken.Scope.READ)
    client.force_login(rep)
    assert client.post(f"{URL}{token.pk}/revoke/").status_code == 404
    assert "theirs" not in client.get(URL).content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_list_shows_last_use_and_state(rep_browser, rep):
    used, raw = token_create(user=rep, name="used", scope=ApiToken.Scope.READ)
    TokenClient(raw).get("/api/v1/tokens")
    token_create(user=rep, name="expiring", scope=ApiToken.Scope.READ)
    ApiToken.objects.filter(name="expiring").update(expires_at=timezone.now())
    page = rep_browser.get(URL)
    states = {t.name: t.state for t in page.context["tokens"]}
    assert states == {"used": "active", "expiring": "expired"}
    used.refresh_from_db()
    assert used.last_used_at is not None
    assert used.last_used_at.isoformat()[:16] in page.content.decode()


def test_admins_see_everyones_tokens_filter_and_revoke(client, admin_user, rep, other_rep):
    mine, _ = token_create(user=rep, name="rita-ci", scope=ApiToken.Scope.READ)
    theirs, raw = token_create(user=other_rep, name="oscar-ci", scope=ApiToken.Scope.READ)
    client.force_login(admin_user)
    page = client.get(ADMIN_URL).content.decode()
    assert "rita-ci" in page and "oscar-ci" in page
    assert f'href="{ADMIN_URL}"' in page  # the user menu links it for staff
    only_oscar = client.get(ADMIN_URL, {"user": "oscar"}).content.decode()
    assert "oscar-ci" in only_oscar and "rita-ci" not in only_oscar
    response = client.post(f"{ADMIN_URL}{theirs.pk}/revoke/?user=oscar")
    assert response.status_code == 302
    assert response["Location"] == f"{ADMIN_URL}?user=oscar"
    assert TokenClient(raw).get("/api/v1/tokens").status_code == 401
    revoked = client.get(ADMIN_URL, {"state": "revoked"}).context["tokens"]
    active = client.get(ADMIN_URL, {"state": "active"}).context["tokens"]
    assert [t.name for t in revoked] == ["oscar-ci"]
    assert [t.name for t in active] == ["rita-ci"]


def test_the_admin_page_is_a_404_for_everyone_else(client, rep, other_rep):
    token, _ = token_create(user=other_rep, name="t", scope=ApiToken.Scope.READ)
    client.force_login(rep)
    assert client.get(ADMIN_URL).status_code == 404
    assert client.post(f"{ADMIN_URL}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_admin_page_is_paginated_and_its_links_keep_the_filter(client, admin_user, rep):
    for i in range(PAGE_SIZE + 5):
        token_create(user=rep, name=f"ci-{i:02}", scope=ApiToken.Scope.READ)
    client.force_login(admin_user)
    first = client.get(ADMIN_URL, {"user": "rita"})
    assert len(first.context["tokens"]) == PAGE_SIZE
    html = first.content.decode()
    assert f"Page 1 of 2 · {PAGE_SIZE + 5} in all" in html
    assert 'href="?user=rita&amp;page=2"' in html
    second = client.get(ADMIN_URL, {"user": "rita", "page": 2})
    names = [t.name for t in first.context["tokens"]] + [t.name for t in second.context["tokens"]]
    assert len(second.context["tokens"]) == 5
    assert sorted(names) == [f"ci-{i:02}" for i in range(PAGE_SIZE + 5)]
    assert names[0] == f"ci-{PAGE_SIZE + 4:02}"  # newest first
