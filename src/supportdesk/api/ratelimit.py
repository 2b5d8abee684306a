"""Rate limiting of the API, per token (per user for browser-session calls).

`settings.API_RATE_LIMIT` is `"<requests>/<period>"`: a whole number of requests per `second`,
`minute`, `hour` or `day` (also `s`, `sec`, `m`, `min`, `h`, `d`), e.g. `"600/minute"`; empty
or `"off"` turns limiting off. Each token has its own budget, so does each session user.

The count is a fixed-window counter in Django's default cache (`cache.add` then the atomic
`cache.incr`), shared by every process when the cache is Redis and per process with the
in-memory cache. Over the limit the API answers 429 (problem+json) with `Retry-After`, the
seconds until the window ends. A window boundary can let up to twice the limit through in a
short burst; the limit is a guard, not an exact meter.
"""

from __future__ import annotations

import math
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")
OFF = {"", "off", "none"}


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int


@lru_cache(maxsize=16)
def parse_rate(text: str | None) -> Rate | None:
    """`"600/minute"` → Rate(600, 60); None when limiting is off. Bad text: ImproperlyConfigured."""
    if text is None or text.strip().lower() in OFF:
        return None
    match = _RATE.match(text.lower())
    if not match or match[2] not in PERIODS or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"API_RATE_LIMIT must look like '600/minute' (per second, minute, hour or day) "
            f"or be 'off', not {text!r}."
        )
    return Rate(int(match[1]), PERIODS[match[2]])


def hit(key: str, rate: Rate, *, now: float) -> float | None:
    """Count one request for `key` at time `now` (seconds since the epoch). Returns None while
    within `rate`, else the seconds until the current window ends."""
    window = int(now // rate.seconds)
    cache_key = f"ratelimit:{key}:{rate.seconds}:{window}"
    cache.add(cache_key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # gone between add and incr, or a cache that keeps nothing (dummy://)
        return None
    if count <= rate.requests:
        return None
    return (window + 1) * rate.seconds - now


def clock() -> float:
    """The time the limiter counts by (tests replace it to move between windows)."""
    return time.time()


def caller_key(request: HttpRequest) -> str | None:
    """Whose budget a request spends: its token's, else its session user's."""
    token = getattr(request, "api_token", None)
    if token is not None:
        return f"token:{token.pk}"
    user = getattr(request, "auth", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return None


_wait: ContextVar[float | None] = ContextVar("api_rate_limit_wait", default=None)


class ApiRateLimit(BaseThrottle):
    """Ninja's throttle hook, run after authentication on every operation of the API; ninja
    answers 429 with `Retry-After` (from `wait`) when `allow_request` is False."""

    def allow_request(self, request: HttpRequest) -> bool:
        rate = parse_rate(getattr(settings, "API_RATE_LIMIT", None))
        key = caller_key(request)
        wait = hit(key, rate, now=clock()) if rate is not None and key is not None else None
        _wait.set(wait)  # per request: one instance serves every thread
        return wait is None

    def wait(self) -> float | None:
        wait = _wait.get()
        return math.ceil(wait) if wait is not None else None
