"""Markdown rendering is safe to put in a page."""

from __future__ import annotations

from django.utils.safestring import SafeString

from supportdesk.markup import render_markdown


def test_markdown_renders_commonmark():
    html = render_markdown("**bold** and a [link](https://example.com)\n\n- one\n- two")
    assert isinstance(html, SafeString)
    assert "<strong>bold</strong>" in html and "<li>one</li>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">link</a>' in html


def test_raw_html_is_escaped_and_dangerous_links_dropped():
    html = render_markdown('<img src=x onerror="alert(1)"> [x](javascript:alert(1))')
    assert "<img" not in html and "&lt;img" in html
    assert 'href="javascript:' not in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == "" and render_markdown(None) == ""
