"""Parts of the case page drawn in Python (cases.display.html): `{% primary_action_items %}`,
`{% menu_action_items %}`, `{% attachment_items %}`, `{% other_case_items %}` and
`{% snapshot_items %}`, each given the list the template looped over, and `{% composer %}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.template.context import Context
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import get_template
from django.utils.safestring import SafeString

from supportdesk.cases.display import html

register = template.Library()


@register.simple_tag(takes_context=True)
def primary_action_items(context: Context, actions: Sequence[Any]) -> SafeString:
    if not actions:
        return SafeString()
    version, seen = context["case"].version, context.get("seen")
    return html.primary_action_items(actions, version, seen, CsrfTokenNode().render(context))


@register.simple_tag
def menu_action_items(actions: Sequence[Any]) -> SafeString:
    return html.menu_action_items(actions)


@register.simple_tag(takes_context=True)
def attachment_items(context: Context, rows: Sequence[Any]) -> SafeString:
    return html.attachment_items(rows, CsrfTokenNode().render(context)) if rows else SafeString()


@register.simple_tag
def other_case_items(rows: Sequence[Any]) -> SafeString:
    return html.other_case_items(rows)


@register.simple_tag
def snapshot_items(rows: Sequence[Any]) -> SafeString:
    return html.snapshot_items(rows)


@register.simple_tag(takes_context=True)
def composer(context: Context) -> SafeString:
    """The feed's composer (`composer`, a CommentForm, for `case`), with the files sent with it
    before (`uploads`), as cases/_composer.html shows it."""
    form, uploads = context["composer"], context.get("uploads") or []
    errors = form.error_summary()
    summary = _render("cases/_error_summary.html", errors=errors) if errors else "\n"
    upload_list = _render("cases/_upload_list.html", uploads=uploads) if uploads else "\n"
    return html.composer(
        form,
        context["case"].number,
        CsrfTokenNode().render(context),
        error_summary=summary,
        upload_list=upload_list,
        uploads=uploads,
        accept=context.get("accept", ""),
        hint=context.get("hint", ""),
        ask_url=getattr(context.get("linked"), "ask_url", ""),
    )


def _render(template_name: str, **context: Any) -> str:
    return get_template(template_name).render(context)
