"""Admins manage webhooks on their page and through the API; everyone else gets 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportdesk.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.api.conftest import TokenClient, make_token
from tests.factories import quote_question
from tests.webhooks.conftest import make_due, run_webhooks

pytestmark = pytest.mark.django_db

API = "/api/v1/webhooks"


@pytest.fixture
def admin_api(admin_user) -> TokenClient:
    return TokenClient(make_token(admin_user))


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_non_admins_get_404_on_the_page_and_the_api(login, deal_desk_agent, endpoint):
    hook = endpoint("case.created")
    client = login(deal_desk_agent)
    assert client.get(reverse("webhooks:list")).status_code == 404
    assert client.get(reverse("webhooks:detail", args=[hook.pk])).status_code == 404
    assert client.post(reverse("webhooks:rotate", args=[hook.pk])).status_code == 404
    api = TokenClient(make_token(deal_desk_agent))
    for response in (
        api.get(API),
        api.get(f"{API}/{hook.pk}"),
        api.get(f"{API}/{hook.pk}/deliveries"),
        api.post_json(API, {"url": "https://example.com/h", "event_kinds": ["case.created"]}),
        api.delete(f"{API}/{hook.pk}"),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert WebhookEndpoint.objects.filter(pk=hook.pk).exists()


def test_the_admin_menu_links_the_page(login, admin_user, rep):
    page = login(admin_user).get(reverse("webhooks:list")).content.decode()
    assert f'href="{reverse("webhooks:list")}">Webhooks</a>' in page
    other = login(rep).get(reverse("records:list")).content.decode()
    assert reverse("webhooks:list") not in other


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(
    login, admin_user, receiver, allow_private
):
    client = login(admin_user)
    response = client.post(
        reverse("webhooks:list"),
        {"url": receiver.url, "event_kinds": ["case.created", "case.closed"], "description": "CRM"},
    )
    hook = WebhookEndpoint.objects.get()
    assert hook.event_kinds == ["case.created", "case.closed"] and hook.created_by == admin_user
    assert hook.secret.startswith("whsec_") and hook.secret in response.content.decode()
    again = client.get(reverse("webhooks:detail", args=[hook.pk])).content.decode()
    assert hook.secret not in again
    rotated = client.post(reverse("webhooks:rotate", args=[hook.pk])).content.decode()
    hook_after = WebhookEndpoint.objects.get()
    assert hook_after.secret != hook.secret and hook_after.secret in rotated


def test_the_page_shows_field_errors(login, admin_user):
    response = login(admin_user).post(
        reverse("webhooks:list"), {"url": "ftp://example.com/x", "event_kinds": ["case.created"]}
    )
    assert response.status_code == 200
    assert "Use an http:// or https:// URL." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_page_logs_deliveries_and_redelivers(
    login, admin_user, endpoint, receiver, rep, opportunity
):
    hook = endpoint("case.created")
    receiver.statuses.extend([500])
    quote_question(rep, opportunity)
    run_webhooks()
    client = login(admin_user)
    page = client.get(reverse("webhooks:detail", args=[hook.pk])).content.decode()
    delivery = hook.deliveries.get()
    assert "HTTP 500" in page and f"{delivery.duration_ms} ms" in page
    url = reverse("webhooks:redeliver", args=[hook.pk, delivery.pk])
    assert client.post(url).status_code == 302
    run_webhooks()
    delivery.refresh_from_db()
    assert delivery.state == "succeeded" and len(receiver.requests) == 2
    client.post(reverse("webhooks:active", args=[hook.pk]), {"active": "0"})
    assert not WebhookEndpoint.objects.get().active
    client.post(reverse("webhooks:delete", args=[hook.pk]))
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


def test_the_api_creates_lists_changes_and_deletes(admin_api, receiver, allow_private):
    made = admin_api.post_json(API, {"url": receiver.url, "event_kinds": ["case.commented"]})
    assert made.status_code == 201
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["created_by"] == "ada"
    listed = admin_api.get(API).json()
    assert [w["id"] for w in listed] == [body["id"]] and listed[0]["secret"] is None
    changed = admin_api.patch(
        f"{API}/{body['id']}",
        {"event_kinds": ["case.closed"], "active": False},
        content_type="application/json",
    ).json()
    assert changed["event_kinds"] == ["case.closed"] and changed["active"] is False
    assert changed["secret"] is None
    rotated = admin_api.patch(
        f"{API}/{body['id']}", {"rotate_secret": True}, content_type="application/json"
    ).json()
    assert rotated["secret"] not in (None, body["secret"])
    assert admin_api.delete(f"{API}/{body['id']}").status_code == 204
    assert admin_api.get(f"{API}/{body['id']}").status_code == 404


def test_the_api_names_each_wrong_field(admin_api, receiver, settings):
    assert errors_of(
        admin_api.post_json(API, {"url": "ftp://example.com/h", "event_kinds": ["case.nope"]})
    ) == {
        "url": "Use an http:// or https:// URL.",
        "event_kinds": "“case.nope” is not an event kind; choose from case.created, "
        "case.updated, case.status_changed, case.commented, case.closed, case.reopened.",
    }
    private = errors_of(admin_api.post_json(API, {"url": receiver.url, "event_kinds": []}))
    assert "loopback" in private["url"]
    assert private["event_kinds"] == "Choose at least one event kind."
    assert set(errors_of(admin_api.post_json(API, {}))) == {"url", "event_kinds"}


def test_the_api_lists_deliveries_and_redelivers(
    admin_api, endpoint, receiver, rep, opportunity, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    hook = endpoint("case.created")
    receiver.status = 500
    quote_question(rep, opportunity)
    run_webhooks()
    page = admin_api.get(f"{API}/{hook.pk}/deliveries").json()
    (item,) = page["items"]
    assert item["state"] == "failed" and item["attempts"] == 1
    assert item["response_code"] == 500 and item["duration_ms"] is not None
    assert item["payload"]["kind"] == "case.created" and page["next"] is None
    receiver.status = 200
    answer = admin_api.post(f"{API}/{hook.pk}/deliveries/{item['id']}/redeliver")
    assert answer.status_code == 202 and answer.json()["state"] == "pending"
    make_due()
    run_webhooks()
    assert hook.deliveries.get().state == "succeeded"
    missing = admin_api.post(f"{API}/{hook.pk}/deliveries/999999/redeliver")
    assert missing.status_code == 404


def test_an_admin_edits_an_endpoint_on_its_page(login, admin_user, endpoint, receiver):
    hook = endpoint("case.created")
    client = login(admin_user)
    url = reverse("webhooks:detail", args=[hook.pk])
    refused = client.post(url, {"url": "ftp://example.com/", "event_kinds": ["case.closed"]})
    assert "Use an http:// or https:// URL." in refused.content.decode()
    saved = client.post(
        url, {"url": receiver.url, "event_kinds": ["case.closed"], "description": "Renamed"}
    )
    assert saved.status_code == 302
    hook.refresh_from_db()
    assert hook.event_kinds == ["case.closed"] and hook.description == "Renamed"


def test_a_patch_with_a_private_url_changes_nothing(admin_api, endpoint, settings):
    hook = endpoint("case.created")
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    answer = admin_api.patch(
        f"{API}/{hook.pk}", {"url": "http://10.0.0.5/hook"}, content_type="application/json"
    )
    assert "10.0.0.5, a private address" in errors_of(answer)["url"]
    assert WebhookEndpoint.objects.get().url == hook.url
