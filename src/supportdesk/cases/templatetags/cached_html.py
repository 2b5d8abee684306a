"""`{% cached_html key %}…{% endcached_html %}`: the block's HTML, kept under `key`.

The key must digest everything the block shows (build it with `fragments.digest_key`); an
empty key renders the block every time. Unlike Django's `{% cache %}`, a cache that is down
costs speed, not the page (supportdesk.fragments).
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils.safestring import SafeString

from supportdesk import fragments

register = template.Library()


class CachedHtmlNode(template.Node):
    def __init__(self, nodelist: NodeList, key: FilterExpression):
        self.nodelist, self.key = nodelist, key

    def render(self, context: Context) -> SafeString | str:
        key = self.key.resolve(context)
        if not key:
            return self.nodelist.render(context)
        html = fragments.cached_html(key)
        if html is None:
            html = self.nodelist.render(context)
            fragments.keep_html(key, html)
        return html


@register.tag("cached_html")
def cached_html(parser: Parser, token: Token) -> CachedHtmlNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% cached_html key %} takes one key")
    nodelist = parser.parse(("endcached_html",))
    parser.delete_first_token()
    return CachedHtmlNode(nodelist, parser.compile_filter(bits[1]))
