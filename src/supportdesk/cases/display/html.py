"""Parts of the case page drawn in Python — its lists and the composer — as the templates
drew them, byte for byte.

The template engine spends ~5 µs on each variable, filter and tag: a list of files or cases
costs a few hundred µs a page that plain string formatting writes in a tenth of the time.
The templates call these through `{% load case_html %}`; each function's text is the
template's text it replaced (its whitespace too), and escapes what the template escaped
(tests/web/test_case_page_html.py keeps that markup as the reference).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.template.defaultfilters import filesizeformat, join
from django.utils.safestring import SafeString

from supportdesk.cases.display.formatting import AttachmentRow, SnapshotRow, esc
from supportdesk.url_builder import url_for


def primary_action_items(
    actions: Sequence[Any], version: int, seen: int | None, csrf_input: str
) -> SafeString:
    """The action bar's buttons (page.ActionLink): a form for what acts at once (`post`), a
    link to the page's own rating form (`anchor`), else a link that opens the action's form."""
    parts = []
    for i, a in enumerate(actions):
        url, label = esc(a.url), esc(a.label)
        first = " button--primary" if i == 0 else ""
        if a.post:
            seen_value = "" if seen is None else esc(seen)
            item = (
                f'\n  <form method="post" action="{url}" hx-post="{url}"'
                f' hx-target="#action-panel">\n    {csrf_input}'
                f'\n    <input type="hidden" name="version" value="{esc(version)}">'
                f'\n    <input type="hidden" name="seen" value="{seen_value}">'
                f'\n    <button class="button button--primary" type="submit">{label}</button>'
                "\n  </form>\n  "
            )
        elif a.anchor:
            item = f'\n  <a class="button{first}" href="{url}">{label}</a>\n  '
        else:
            item = (
                f'\n  <a class="button{first}" href="{url}" hx-get="{url}"'
                f' hx-target="#action-panel">{label}</a>\n  '
            )
        parts.append(f"\n  {item}\n  ")
    return SafeString("".join(parts))


def menu_action_items(actions: Sequence[Any]) -> SafeString:
    """The "More actions" menu's entries (page.ActionLink): links that open the forms."""
    return SafeString(
        "".join(
            f'\n      <li><a href="{esc(a.url)}" hx-get="{esc(a.url)}"'
            f' hx-target="#action-panel">{esc(a.label)}</a></li>\n      '
            for a in actions
        )
    )


def attachment_items(rows: Sequence[AttachmentRow], csrf_input: str) -> SafeString:
    """The `<li>`s of the Attachments card; `csrf_input` is what `{% csrf_token %}` gives."""
    parts = []
    for a in rows:
        link, name = a.link, esc(a.link.name)
        preview = (
            f'<a href="{esc(link.url)}" tabindex="-1" aria-hidden="true"><img class="thumb"'
            f' src="{esc(link.preview)}" alt="" loading="lazy" width="48" height="48"></a>'
            if link.preview
            else ""
        )
        comment = f' · <a href="#event-{esc(a.event_id)}">with a comment</a>' if a.event_id else ""
        remove = (
            f'\n          <form method="post" action="{esc(a.remove_url)}">'
            f"\n            {csrf_input}"
            '\n            <button class="button button--small button--link" type="submit">'
            f'Remove<span class="visually-hidden"> {name}</span></button>'
            "\n          </form>\n          "
            if a.can_remove
            else ""
        )
        parts.append(
            '\n        <li>\n          <div class="attachment">\n            '
            f"{preview}\n            <div>"
            f'\n              <a href="{esc(link.url)}">{name}</a>'
            f'\n              <span class="muted small">{esc(filesizeformat(a.size))} · '
            f"{esc(a.added_by)} · {esc(a.day)}{comment}</span>"
            "\n            </div>\n          </div>\n          "
            f"{remove}\n        </li>\n        "
        )
    return SafeString("".join(parts))


def other_case_items(rows: Sequence[Any]) -> SafeString:
    """The `<li>`s of "Other cases on this record" (page.OtherCase rows)."""
    parts = []
    for other in rows:
        sla = (
            f'<span class="badge sla-badge sla-badge--{esc(other.sla[1])}">'
            f"{esc(other.sla[0])}</span> "
            if other.sla
            else ""
        )
        parts.append(
            f'\n        <li><span><a href="{esc(other.url)}">{esc(other.number)}</a> '
            f'{esc(other.subject)} <span class="muted small">· {esc(other.team)}</span></span>'
            f'\n          <span>{sla}<span class="status status--{esc(other.status)}">'
            f"{esc(other.status_label)}</span></span></li>\n        "
        )
    return SafeString("".join(parts))


def snapshot_items(rows: Sequence[SnapshotRow]) -> SafeString:
    """The rows of "Record at submission": each fact, and its value now where it changed."""
    parts = []
    for row in rows:
        changed = ' class="fact--changed"' if row.now else ""
        now = f' <span class="now">now: {esc(row.now)}</span>' if row.now else ""
        parts.append(f"<div{changed}><dt>{esc(row.label)}</dt><dd>{esc(row.then)}{now}</dd></div>")
    return SafeString("".join(parts))


# ---- the composer ----------------------------------------------------------------------------

_MARKDOWN_HELP = (
    '\n    <details class="markdown-help">'
    "\n      <summary>Markdown help</summary>"
    '\n      <ul class="small">'
    "\n        <li><code>**bold**</code>, <code>_italic_</code>, <code>`code`</code></li>"
    "\n        <li><code>[a link](https://…)</code>, <code>- a list item</code>,"
    " <code>&gt; a quote</code></li>"
    "\n        <li><code>@username</code> mentions a person: they are notified and can open"
    " the case.</li>"
    "\n        <li>Team handles such as <code>@billing</code> notify nobody: messages go to"
    " individuals. To get a team's help, {ask}: a request to them, linked to this case.</li>"
    "\n      </ul>\n    </details>"
)


def _value(value: Any) -> str:
    """` value="…"` of a hidden input, as the composer's template wrote it (none when empty)."""
    return "" if value is None or value == "" else f' value="{esc(value)}"'


def _field_error(bound: Any, html_id: str) -> str:
    return (
        f'<p class="field-error" id="{html_id}"><span class="visually-hidden">Error: </span>'
        f"{join(bound.errors, ' ', autoescape=True)}</p>"
        if bound.errors
        else ""
    )


def composer(
    form: Any,
    number: str,
    csrf_input: str,
    *,
    error_summary: str,
    upload_list: str,
    uploads: Sequence[Any],
    accept: Any,
    hint: Any,
    ask_url: Any,
) -> SafeString:
    """The feed's composer (cases.forms.CommentForm), as _composer.html drew it before: its
    inputs as Django's widgets draw them, with the form's values and errors.
    `error_summary` and `upload_list` are the HTML of those templates."""
    url = esc(url_for("cases:comment", number))
    body, files = form["body"], form["files"]
    described = ' aria-describedby="id_body_error" aria-invalid="true"' if body.errors else ""
    text = body.value()
    internal = ""
    if "internal" in form.fields:
        box = form["internal"]
        invalid = ' aria-describedby="id_internal_error" aria-invalid="true"' if box.errors else ""
        internal = (
            '\n  <div class="checkbox composer-internal">'
            f'\n    <input type="checkbox" name="internal"{invalid} id="id_internal"'
            f"{' checked' if box.value() else ''}>"
            f'\n    <label for="id_internal">{esc(box.label)}</label>\n  </div>\n  '
        )
    ask = (
        f'<a href="{esc(ask_url)}">ask another team for help</a>'
        if ask_url
        else "ask them for help from the case"
    )
    return SafeString(
        f'\n<form id="composer" class="composer" method="post" action="{url}"'
        ' enctype="multipart/form-data" novalidate'
        f'\n      hx-post="{url}" hx-encoding="multipart/form-data" hx-target="this"'
        ' hx-swap="outerHTML">'
        f"\n  {csrf_input}"
        f'\n  <input type="hidden" name="version"{_value(form["version"].value())} id="id_version">'
        f'<input type="hidden" name="seen"{_value(form["seen"].value())} id="id_seen">'
        f"\n  {error_summary}"
        f'\n  <div class="field{" field--error" if body.errors else ""}">'
        '\n    <label for="id_body">Add to the feed</label>'
        f"\n    {_field_error(body, 'id_body_error')}"
        '\n    <div class="mention-host"><textarea name="body" cols="40" rows="4"'
        ' placeholder="Write a comment… @username to mention someone"'
        f' maxlength="{esc(body.field.max_length)}"'
        f' data-mention-url="{esc(url_for("cases:mention_suggest", number))}"{described}'
        f' required id="id_body">\n{esc(text) if text else ""}</textarea></div>'
        f"\n  </div>\n  {internal}"
        f'\n  <div class="field composer-files{" field--error" if files.errors else ""}">'
        '\n    <label for="id_composer_files">Files</label>'
        f"\n    {_field_error(files, 'id_composer_files_error')}"
        "\n    "
        + "".join(f'<input type="hidden" name="upload" value="{esc(u.id)}">' for u in uploads)
        + f"\n    {upload_list}"
        '\n    <input type="file" id="id_composer_files" name="files" multiple'
        f' accept="{esc(accept)}" aria-describedby="id_composer_files_hint">'
        f'\n    <p class="help" id="id_composer_files_hint">{esc(hint)}</p>'
        '\n  </div>\n  <div class="composer-actions">'
        + _MARKDOWN_HELP.format(ask=ask)
        + '\n    <button class="button button--primary" type="submit">'
        f"{esc(form.submit_label)}</button>\n  </div>\n</form>\n"
    )
