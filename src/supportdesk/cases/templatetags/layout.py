"""`{% topbar %}` and `{% bell %}`: base.html's navigation, bell and user menu, drawn in
Python (supportdesk/layout.py)."""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString

from supportdesk import layout

register = template.Library()


@register.simple_tag(takes_context=True)
def topbar(context: Context) -> SafeString:
    return layout.topbar(context)


@register.simple_tag(takes_context=True)
def bell(context: Context) -> SafeString:
    return layout.bell(context)
