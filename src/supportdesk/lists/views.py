"""The Cases tab and the pages that save, rename, share, publish and delete list views.

Thin: access (`view_for`: 404 when hidden; `can_edit_view`: 403 for a view one may only
read) → the service in `lists.services` → redirect with a message, or the form again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from supportdesk.lists.forms import ViewForm
from supportdesk.lists.models import ListView
from supportdesk.lists.pages import ViewPicker, list_page, tidy_url, view_draft
from supportdesk.lists.queries import can_edit_view, view_for
from supportdesk.lists.services import (
    ViewInvalid,
    create_view,
    delete_view,
    publish_view,
    update_view,
)


@login_required
@require_safe
def case_list(request: HttpRequest) -> HttpResponse:
    """The Cases tab: a built-in or saved view, changed by the URL's filters, columns, sort."""
    if url := tidy_url(request):
        return redirect(url)
    picker = ViewPicker(request.user)
    view = picker.current(request.GET.get("view"))
    return render(request, "lists/case_list.html", list_page(request, view, picker))


def _editable(request: HttpRequest, pk: int) -> ListView:
    view = view_for(request.user, pk)
    if not can_edit_view(request.user, view):
        raise PermissionDenied("Only the owner can change this view; clone it to make your own.")
    return view


@login_required
@require_http_methods(["GET", "POST"])
def view_create(request: HttpRequest) -> HttpResponse:
    """Save the list as a new view ("Save as…"), or clone a view (`from`, without state)."""
    draft = view_draft(request.user, request.POST if request.method == "POST" else request.GET)
    form = ViewForm(request.POST or None, user=request.user, initial={"name": draft.name})
    if form.is_valid():
        try:
            view = create_view(owner=request.user, **form.cleaned_data, **draft.definition)
        except ViewInvalid as invalid:
            form.apply_errors(invalid.errors)
        else:
            messages.success(request, f"Saved the view “{view.name}”.")
            return redirect(view)
    return render(request, "lists/view_form.html", {"form": form, "draft": draft})


@login_required
@require_http_methods(["GET", "POST"])
def view_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a view and choose who sees it."""
    view = _editable(request, pk)
    form = ViewForm(request.POST or None, user=request.user, view=view)
    if request.method == "POST" and form.is_valid():
        try:
            update_view(view, actor=request.user, **form.cleaned_data)
        except ViewInvalid as invalid:
            form.apply_errors(invalid.errors)
        else:
            messages.success(request, f"Saved the view “{view.name}”.")
            return redirect(view)
    return render(request, "lists/view_form.html", {"form": form, "view": view})


@login_required
@require_POST
def view_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the list page's filters, columns and sort into the view."""
    view = _editable(request, pk)
    try:
        update_view(view, actor=request.user, **view_draft(request.user, request.POST).definition)
    except ViewInvalid as invalid:
        for field_messages in invalid.errors.values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.success(request, f"Saved the changes to “{view.name}”.")
    return redirect(view)


@login_required
@require_http_methods(["GET", "POST"])
def view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = _editable(request, pk)
    if request.method == "GET":
        return render(request, "lists/view_delete.html", {"view": view})
    delete_view(view, actor=request.user)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("cases:mine")


@login_required
@require_POST
def view_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin publishes a view to everyone (`published=1`) or takes it back (`0`)."""
    view = view_for(request.user, pk)
    if not request.user.is_staff:
        raise PermissionDenied("Only an admin can publish a view to everyone.")
    published = request.POST.get("published") != "0"
    publish_view(view, actor=request.user, published=published)
    done = "Published" if published else "Unpublished"
    messages.success(request, f"{done} the view “{view.name}”.")
    return redirect(view)
