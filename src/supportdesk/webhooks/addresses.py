"""Where webhooks may go: http(s) URLs whose host resolves only to public addresses.

Private, loopback, link-local, multicast, reserved and unspecified addresses are refused (an
admin could otherwise make the server call its own network: SSRF) unless the setting
`WEBHOOK_ALLOW_PRIVATE_ADDRESSES` is on. The check runs when an endpoint is saved and again
at every delivery, on the addresses the connection then really uses (`connect_checked`), so a
name that later resolves elsewhere (DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

SCHEMES = ("http", "https")


class AddressRefused(ValueError):
    """The URL is not one webhooks may be sent to; the message says why."""


def check_url(url: str) -> None:
    """Raise AddressRefused unless `url` is http(s) and its host resolves to allowed addresses."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in SCHEMES:
        raise AddressRefused("Use an http:// or https:// URL.")
    if not parts.hostname:
        raise AddressRefused("The URL has no host.")
    if parts.username or parts.password:
        raise AddressRefused("Leave credentials out of the URL; requests are signed instead.")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise AddressRefused("The URL's port is not valid.") from None
    resolve_allowed(parts.hostname, port)


def resolve_allowed(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, all of them allowed (else AddressRefused)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"The host “{host}” could not be resolved.") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise AddressRefused(f"The host “{host}” could not be resolved.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            if reason := refusal(address):
                raise AddressRefused(
                    f"“{host}” resolves to {address}, {reason}; webhooks may only go to "
                    "public addresses."
                )
    return addresses


def refusal(address: str) -> str:
    """Why webhooks may not go to this IP address ("" when they may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "an unspecified address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    )
    for attribute, reason in checks:
        if getattr(ip, attribute):
            return reason
    return "" if ip.is_global else "not a public address"


def connect_checked(
    address: tuple[str, int], timeout: float | None = None, source_address: object = None
) -> socket.socket:
    """`socket.create_connection`, but only to addresses `resolve_allowed` accepts: the
    connection goes to the very address that was checked."""
    host, port = address
    last_error: OSError | None = None
    for ip in resolve_allowed(host, port):
        try:
            return socket.create_connection((ip, port), timeout)
        except OSError as error:
            last_error = error
    raise last_error or OSError(f"Could not connect to {host}:{port}.")
