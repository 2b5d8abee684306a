"""Every URL pattern the project serves, found by walking the URLconf (ninja's API included).

Nothing here is listed by hand: a route added to any urls.py or API router shows up in
`discover_routes()`, so the permission matrix must have an entry for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

ALL_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", as `reverse` takes it
    pattern: str  # the full path pattern, e.g. "cases/<str:number>/take/"
    params: tuple[str, ...]  # the pattern's parameters, in order
    methods: frozenset[str]  # an API operation's methods; every method for Django views

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/v1/")

    @property
    def is_admin_site(self) -> bool:
        return self.name.startswith("admin:")


def _ninja_methods(pattern: URLPattern) -> frozenset[str] | None:
    """The HTTP methods of the ninja operation a URL pattern names (None: not a ninja view)."""
    from ninja.operation import PathView

    for cell in getattr(pattern.callback, "__closure__", None) or ():
        path_view = cell.cell_contents
        if isinstance(path_view, PathView):
            for operation in path_view.operations:
                name = getattr(operation, "url_name", None) or operation.view_func.__name__
                if name == pattern.name:
                    return frozenset(operation.methods)
    return None


def _walk(
    patterns: list, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name or ''}", entry


def discover_routes() -> list[Route]:
    routes = []
    for pattern, name, url_pattern in _walk(get_resolver().url_patterns):
        # No include() in this project takes parameters: a pattern's own are all there are.
        params = tuple(url_pattern.pattern.regex.groupindex)
        methods = _ninja_methods(url_pattern) if pattern.startswith("api/v1/") else None
        routes.append(Route(name, pattern, params, methods or ALL_METHODS))
    return routes
