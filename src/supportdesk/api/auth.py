"""Who is calling: a personal API token (`Authorization: Bearer …`) or the browser's session.

Both return the user, which ninja puts on `request.auth`. A token is tried first; without one
the Django session is used, with the CSRF check for unsafe methods (a cookie is sent by the
browser on its own, a bearer token is not). No credentials → 401; a `read` token on an unsafe
method → 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja.errors import AuthorizationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from supportdesk.people.models import ApiToken, hash_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# last_used_at is informational: write it at most this often, not on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    # Conditional, so several processes seeing a stale value write once between them.
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


class TokenAuth(HttpBearer):
    """A personal API token; one query (the token with its user)."""

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        token = token.strip()
        if not token:
            return None
        try:
            api_token = ApiToken.objects.select_related("user").get(key_hash=hash_token(token))
        except ApiToken.DoesNotExist:
            return None
        if not api_token.is_usable or not api_token.user.is_active:
            return None
        if api_token.scope == ApiToken.Scope.READ and request.method not in SAFE_METHODS:
            raise AuthorizationError(message="This token may only read (scope “read”).")
        _touch(api_token)
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


class SessionAuth(APIKeyCookie):
    """The logged-in browser user; unsafe methods must pass Django's CSRF check.

    Unlike ninja's `django_auth`, the CSRF check runs only once the session is known to belong
    to a user, so an anonymous call answers 401 rather than a CSRF 403.
    """

    param_name = "sessionid"  # for the OpenAPI document; replaced by the setting below

    def __init__(self) -> None:
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if request.method not in SAFE_METHODS and not exempt and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover
        return self(request)


API_AUTH = [TokenAuth(), SessionAuth()]


def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the API's docs and OpenAPI document: a session or a valid token, like the API."""

    @wraps(view)
    @csp_update({"img-src": ["data:"]})  # Swagger UI's stylesheet draws its icons as data: URLs
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        has_token = scheme.lower() == "bearer" and TokenAuth().authenticate(request, raw)
        if request.user.is_authenticated or has_token:
            return view(request, *args, **kwargs)
        return redirect_to_login(request.get_full_path())

    return wrapper
