"""Login throttling around django-axes: the client address it counts failures by, and logins
checked one at a time per username so that parallel guesses cannot outrun the count."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest

from supportdesk.observability.proxies import client_address


def client_ip(request: HttpRequest) -> str | None:
    """The address that sent the login: behind a TRUSTED_PROXIES proxy, the client it names in
    X-Forwarded-For (otherwise every user would share the proxy's counter)."""
    address = client_address(request)
    return str(address) if address is not None else None


def _lock_key(username: str) -> int:
    digest = hashlib.sha256(f"supportdesk.login:{username}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def login_lock(username: str) -> Iterator[None]:
    """Run one login attempt for `username` at a time, across threads and processes.

    django-axes asks "is this pair locked out?" before the password is checked and records the
    failure after it; without this lock, guesses sent together all pass the first step and all
    get their password checked (twenty at once: twenty checks, not the limit). Inside the lock
    the next attempt sees the failures of the one before it.

    PostgreSQL: a transaction-scoped advisory lock per username. SQLite: the IMMEDIATE
    transactions of the settings take the database's write lock at BEGIN.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(username)])
        yield


class SerialLoginMixin:
    """For an AuthenticationForm: authenticate under `login_lock`."""

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")  # type: ignore[attr-defined]
        with login_lock(username):
            try:
                return super().clean()  # type: ignore[misc]
            except ValidationError as refused:
                error = refused  # raised after the commit, which keeps the recorded failure
        raise error


class LoginForm(SerialLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(SerialLoginMixin, AdminAuthenticationForm):
    pass
