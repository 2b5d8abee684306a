"""Markdown for descriptions, comments and catalog instructions: no raw HTML, sanitised."""

from __future__ import annotations

from functools import cache, lru_cache

import markdown_it
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# What turns text into HTML, for caches of rendered HTML (an upgrade may change the output).
RENDERER = f"markdown-it-py {markdown_it.__version__}, nh3 {nh3.__version__}"


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def render_markdown(text: str | None) -> SafeString:
    """HTML for `text`, safe to put in a page: raw HTML is escaped, then nh3 cleans the rest."""
    if not text:
        return mark_safe("")  # noqa: S308
    return _render(text)


@lru_cache(maxsize=4096)
def _render(text: str) -> SafeString:
    """Rendering is pure and feeds show the same comments again and again: remember it."""
    html = nh3.clean(_parser().render(text), link_rel="noopener noreferrer")
    return mark_safe(html)  # noqa: S308 -- sanitised by nh3 just above
