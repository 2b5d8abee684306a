"""SSRF: webhooks go only to http(s) URLs on public addresses, checked when an endpoint is
saved and again at each delivery, unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on."""

from __future__ import annotations

import socket

import pytest

from supportdesk.webhooks.addresses import refusal
from supportdesk.webhooks.endpoints import EndpointInvalid, create_endpoint
from tests.factories import quote_question
from tests.webhooks.conftest import run_webhooks

pytestmark = pytest.mark.django_db


def url_error(admin_user, url: str) -> str:
    with pytest.raises(EndpointInvalid) as refused:
        create_endpoint(admin_user, url=url, event_kinds=["case.created"])
    return " ".join(refused.value.errors["url"])


@pytest.fixture
def intranet_dns(monkeypatch):
    """A name that resolves to a private address (the test's DNS; everything else is real)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "hooks.intranet.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_loopback_is_refused_when_private_addresses_are_not_allowed(admin_user, receiver):
    assert "127.0.0.1, a loopback address" in url_error(admin_user, receiver.url)
    assert "loopback" in url_error(admin_user, "http://localhost:8000/hook")
    assert "loopback" in url_error(admin_user, "http://[::1]/hook")


def test_only_http_and_https_urls(admin_user):
    ftp = url_error(admin_user, "ftp://files.example.com/hook")
    assert ftp == "Use an http:// or https:// URL."
    assert url_error(admin_user, "file:///etc/passwd") == "Use an http:// or https:// URL."
    assert url_error(admin_user, "https:///no-host") == "The URL has no host."
    assert "credentials" in url_error(admin_user, "https://user:pw@example.com/hook")


def test_a_host_that_resolves_to_a_private_address_is_refused(admin_user, intranet_dns):
    error = url_error(admin_user, "https://hooks.intranet.example.test/in")
    assert "resolves to 10.20.30.40, a private address" in error


def test_a_name_that_does_not_resolve_is_refused(admin_user):
    assert "could not be resolved" in url_error(admin_user, "https://nowhere.invalid/hook")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "a link-local address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("224.0.0.251", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104
        ("192.168.1.10", "a private address"),
        ("100.64.0.1", "not a public address"),
        ("fd00::1", "a private address"),
        ("93.184.215.14", ""),
        ("2606:4700::1111", ""),
    ],
)
def test_which_addresses_are_refused(address, reason):
    assert refusal(address) == reason


def test_the_setting_allows_private_addresses(admin_user, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    made = create_endpoint(admin_user, url=receiver.url, event_kinds=["case.created"])
    assert made.url == receiver.url


def test_the_address_is_checked_again_at_delivery(endpoint, receiver, rep, opportunity, settings):
    hook = endpoint("case.created")  # registered while private addresses were allowed
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    quote_question(rep, opportunity)
    run_webhooks()
    assert receiver.requests == []
    delivery = hook.deliveries.get()
    assert delivery.state == "pending" and delivery.attempts == 1
    assert delivery.response_code is None
    assert "AddressRefused" in delivery.last_error and "loopback" in delivery.last_error
