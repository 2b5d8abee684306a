"""The client's address behind reverse proxies, believing X-Forwarded-For only from proxies
listed in TRUSTED_PROXIES (addresses or networks; empty, the default: never)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: HttpRequest) -> IPAddress | None:
    """The address of whoever sent the request; None when it cannot be told.

    The socket's address (REMOTE_ADDR), unless that is a trusted proxy: then X-Forwarded-For
    is read from the right, each trusted proxy's entry skipped, and the first other address
    is the client. Entries left of it were written by the client and prove nothing.
    """
    trusted = [ipaddress.ip_network(n, strict=False) for n in settings.TRUSTED_PROXIES]
    address = parse_address(request.META.get("REMOTE_ADDR", ""))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if address is None or not _is_trusted(address, trusted) or not forwarded:
        return address
    for entry in reversed(forwarded.split(",")):
        hop = parse_address(entry)
        if hop is None:
            return None  # garbage where an address should be: believe nothing further left
        address = hop
        if not _is_trusted(hop, trusted):
            return hop
    return address  # every hop a trusted proxy: the left-most one is where it came from


def parse_address(text: str) -> IPAddress | None:
    """An address as proxies write it: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]:443`,
    `192.0.2.1:8080`; None for anything else."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address: IPAddress, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)
