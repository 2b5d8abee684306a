"""API fixtures: personal tokens and clients that send them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from supportdesk.people.models import ApiToken, hash_token


def make_token(user: Any, *, scope: str = ApiToken.Scope.READ_WRITE, **fields: Any) -> str:
    """Create a token for `user`; returns the raw token (only its hash is stored)."""
    raw = ApiToken.generate()
    ApiToken.objects.create(
        user=user, name="test", key_hash=hash_token(raw), hint=raw[:8], scope=scope, **fields
    )
    return raw


class TokenClient(Client):
    """A test client that authenticates every request with `Authorization: Bearer <raw>`."""

    def __init__(self, raw: str, **kwargs: Any) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {raw}", **kwargs)
        self.raw = raw

    def post_json(self, path: str, data: Any, **extra: Any) -> Any:
        return self.post(path, data, content_type="application/json", **extra)


@pytest.fixture
def api_client() -> Callable[..., TokenClient]:
    """api_client(user, scope=...) → a client calling the API as that user with a token."""

    def build(user: Any, **token_fields: Any) -> TokenClient:
        return TokenClient(make_token(user, **token_fields))

    return build


@pytest.fixture
def rep_api(api_client, rep) -> TokenClient:
    return api_client(rep)


@pytest.fixture
def admin_api(api_client, admin_user) -> TokenClient:
    return api_client(admin_user)


@pytest.fixture
def expired(db) -> dict[str, Any]:
    return {"expires_at": timezone.now() - dt.timedelta(minutes=1)}
