"""HTML fragments cached under a digest of what they show, so they are never stale.

    html = render_each("cases/_feed_item.html", items, name="item", anchor_prefix="event-")

Each value is rendered by the template alone: the context holds the value (as `name`) and
the keyword arguments, nothing else — no request, no context processors, no user. Its cache
key digests the value, those arguments, the template's source, the time zone and language
dates are formatted in, and a `version` for code that computes HTML while rendering (a lazily
rendered Markdown body). A change to anything a fragment shows is a new key: nothing needs
invalidating, and the cache may be one process's memory or shared by every process (Redis).

The digest is taken from plain values only — str, int, float, bool, None, dates, tuples,
lists, dicts and dataclasses of those. A value holding anything else (a model instance, whose
repr says nothing of its fields) is rendered every time, never cached: it cannot go stale.
"""

from __future__ import annotations

import copyreg
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import logging
import pickle
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

log = logging.getLogger(__name__)
TIMEOUT = 7 * 24 * 3600  # keys never go stale: the timeout only gives the space back
_PLAIN = (int, float, bool, type(None), dt.date, dt.time, dt.timedelta, Decimal)
_EXACT = frozenset({str, dt.datetime, *_PLAIN})  # (subclasses go the long way round)


class NotPlain(TypeError):
    """The value holds something whose changes a digest could not see."""


def render_joined(
    template_name: str, values: Sequence[Any], *, name: str, version: str = "", **extra: Any
) -> SafeString:
    """`"".join(render_each(...))`, kept whole as well, under a digest of all the values: a
    page of them read again costs one cache lookup rather than one for each value."""
    if not values:
        return SafeString()
    template = get_template(template_name)
    salt = _salt(template.template.source, version, name, extra)
    try:
        material = [plain(value) for value in values]
    except NotPlain:  # rendered value by value: those that are plain come from the cache
        each = render_each(template_name, values, name=name, version=version, **extra)
        return SafeString("".join(each))
    key = "fragments:" + _digest(salt, material)
    html = _cache_call("get", key)
    if html is None:
        keys = ["fragment:" + _digest(salt, value) for value in material]
        html = "".join(_render_each(template, keys, values, name, extra))
        _cache_call("set", key, html, TIMEOUT)
    return mark_safe(html)  # noqa: S308 -- the output of an autoescaping template


def render_each(
    template_name: str, values: Sequence[Any], *, name: str, version: str = "", **extra: Any
) -> list[SafeString]:
    """`template_name` rendered for each value (as `name`, beside `extra`), from the cache
    when the same value was rendered before."""
    if not values:
        return []
    template = get_template(template_name)
    salt = _salt(template.template.source, version, name, extra)
    keys = [fragment_key(salt, value) for value in values]
    return _render_each(template, keys, values, name, extra)


def _render_each(
    template: Any,
    keys: list[str | None],
    values: Sequence[Any],
    name: str,
    extra: dict[str, Any],
) -> list[SafeString]:
    found = _cache_call("get_many", [k for k in keys if k is not None]) or {}
    rendered = {}
    out = []
    for key, value in zip(keys, values, strict=True):
        html = found.get(key) if key is not None else None
        if html is None:
            html = template.render({name: value, **extra})
            if key is not None:
                rendered[key] = html
        out.append(mark_safe(html))  # noqa: S308 -- the output of an autoescaping template
    if rendered:
        _cache_call("set_many", rendered, TIMEOUT)
    return out


def cached_html(key: str) -> SafeString | None:
    """HTML kept under `key` (a digest of everything it shows) by `keep_html`, if any."""
    html = _cache_call("get", key)
    return None if html is None else mark_safe(html)  # noqa: S308 -- stored by keep_html


def keep_html(key: str, html: str) -> None:
    _cache_call("set", key, str(html), TIMEOUT)


def digest_key(prefix: str, material: Any) -> str | None:
    """`prefix` and a digest of `material` (with the time zone and language dates and text
    are rendered in); None when the material is not plain (see the module's docstring)."""
    where = (timezone.get_current_timezone_name(), translation.get_language() or "")
    try:
        digested = plain((where, material))
    except NotPlain:
        return None
    return f"{prefix}:" + _digest("", digested)


def template_digest(template_name: str) -> str:
    """A digest of the template's source: a deploy that edits it changes every key."""
    return _source_digest(get_template(template_name).template.source)


def _cache_call(method: str, *args: Any) -> Any:
    """A cache that is down (a shared one, say) costs speed, not the page."""
    try:
        return getattr(cache, method)(*args)
    except Exception:  # noqa: BLE001 -- any backend's connection error
        log.warning("fragment cache %s failed", method, exc_info=True)
        return None


def fragment_key(salt: str, value: Any) -> str | None:
    """The value's cache key, or None when it is not plain (see the module's docstring)."""
    try:
        material = plain(value)
    except NotPlain:
        return None
    return "fragment:" + _digest(salt, material)


def _digest(salt: str, material: Any) -> str:
    """A digest of the salt and of a value that `plain()` gave: its pickle, which names the
    type of each value (an int is not a bool, a SafeString not a str) and costs a third of
    its repr. Without the memo (`fast`), equal values always pickle to the same bytes."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.fast = True  # nothing plain refers to itself
    pickler.dispatch_table = _DISPATCH
    pickler.dump(material)
    return hashlib.sha256(salt.encode() + b"\0" + out.getvalue()).hexdigest()


# A datetime's time zone, pickled without copyreg's generic (and slow) way for objects.
_DISPATCH = {**copyreg.dispatch_table, dt.timezone: lambda tz: (dt.timezone, tz.__getinitargs__())}


def plain(value: Any) -> Any:
    """The value as nested tuples of plain values (naming the types that render differently:
    a SafeString is not escaped, a str is); NotPlain for anything else."""
    kind = type(value)
    if kind in _EXACT:
        return value
    if kind is list or kind is tuple:  # (plain values as they are, without a call each)
        return tuple([v if type(v) in _EXACT else plain(v) for v in value])
    if (names := _field_names(kind)) is not None:
        fields = [getattr(value, name) for name in names]
        return (_type_name(kind), tuple([v if type(v) in _EXACT else plain(v) for v in fields]))
    if isinstance(value, str):  # SafeString and the like
        return (_type_name(kind), str.__str__(value))
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, list | tuple):
        return (_type_name(kind), tuple(plain(v) for v in value))
    if isinstance(value, dict):
        return (_type_name(kind), tuple((plain(k), plain(v)) for k, v in value.items()))
    raise NotPlain(f"{kind.__qualname__} cannot be digested for a cache key")


@functools.cache
def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's fields (the names plain() reads); None for other types."""
    return (
        tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None
    )


@functools.cache
def _type_name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _salt(source: str, version: str, name: str, extra: dict[str, Any]) -> str:
    where = (timezone.get_current_timezone_name(), translation.get_language() or "")
    return f"{_source_digest(source)}|{version}|{name}|{plain(extra)!r}|{where}|"


@functools.lru_cache(maxsize=64)
def _source_digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]
