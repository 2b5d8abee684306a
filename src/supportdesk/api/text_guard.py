"""Refuse NUL characters in API input before any of it reaches the database.

PostgreSQL cannot store U+0000 in text or jsonb (a DataError, so a 500), SQLite can; so the
API answers 422 naming the field on both. The check covers the path, the query string and
JSON bodies (file uploads are binary and not checked). Installed on every operation by
`api.add_decorator(refuse_nul_characters, mode="view")` in urls.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import suppress
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from supportdesk.api.errors import problem_response

NUL = "\x00"
MESSAGE = "Text may not contain NUL characters (U+0000)."


def _nul_fields(value: Any, path: str) -> Iterator[str]:
    """Dotted paths of the strings (and keys) in `value` that hold a NUL character."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            field = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield field
            yield from _nul_fields(item, field)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_fields(item, f"{path}.{index}" if path else str(index))


def nul_fields(request: HttpRequest, path_params: dict[str, Any]) -> list[str]:
    fields = list(_nul_fields(path_params, ""))
    fields += [key for key, values in request.GET.lists() if NUL in key + "".join(values)]
    if request.content_type != "application/json":
        return fields
    try:
        body = request.body
    except RequestDataTooBig:  # the operation reads it too, and answers 413
        return fields
    if b"\\u0000" in body:
        with suppress(ValueError):  # not JSON: the operation answers 400 for that
            fields += list(_nul_fields(json.loads(body), ""))
    return fields


def refuse_nul_characters(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if fields := nul_fields(request, kwargs):
            errors = {field: [MESSAGE] for field in fields}
            return problem_response(422, "The request has errors; see `errors`.", errors=errors)
        return view(request, *args, **kwargs)

    return wrapper
