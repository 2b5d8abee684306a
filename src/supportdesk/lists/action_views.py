"""The Cases tab's actions on a whole list: export it to CSV, act on the chosen cases.

Thin: the list (`listing_for`, only cases the viewer may see) or the chosen cases → the
export or the bulk service (`lists.export`, `lists.bulk`) → the download or the outcomes.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from supportdesk.lists.builtins import default_view_for
from supportdesk.lists.bulk import (
    BULK_LABELS,
    BulkAction,
    BulkInvalid,
    bulk_act,
    bulk_request,
    move_names,
    move_targets,
)
from supportdesk.lists.export import csv_response
from supportdesk.lists.queries import listing_for, view_for


@login_required
@require_safe
def case_export(request: HttpRequest) -> HttpResponse:
    """The list as shown (view, filters, columns, sort) as a CSV download."""
    key = request.GET.get("view")
    view = view_for(request.user, key) if key else default_view_for(request.user)
    listing = listing_for(request.user, view, request.GET)
    if errors := {k: v for k, v in listing.errors.items() if k != "columns"}:
        lines = [f"{name}: {m}" for name, ms in errors.items() for m in ms]
        return HttpResponseBadRequest("\n".join(lines), content_type="text/plain")
    return csv_response(listing, request.user, view.name)


def _back(request: HttpRequest) -> str:
    """Where the list was (the form's `next`), if it is on this site."""
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure())
    return back if back and safe else reverse("cases:mine")


@login_required
@require_POST
def case_bulk(request: HttpRequest) -> HttpResponse:
    """Do one action to each chosen case; show what was done and what was refused, per case."""
    data, numbers, back = request.POST.dict(), request.POST.getlist("case"), _back(request)
    if data.get("action") == BulkAction.MOVE and not data.get("request_type"):
        if target := data.get("target"):
            data |= move_names(target)
        else:  # the second step: where to
            context = {"numbers": numbers, "back": back, "note": data.get("note", "")}
            context["targets"] = move_targets(request.user, numbers)
            return render(request, "lists/bulk_move.html", context)
    try:
        outcomes = bulk_act(request.user, numbers, bulk_request(data))
    except BulkInvalid as invalid:
        for field_messages in invalid.errors.values():
            for message in field_messages:
                messages.error(request, message)
        return redirect(back)
    context = {
        "outcomes": outcomes,
        "action": BULK_LABELS[BulkAction(data["action"])].rstrip("…"),
        "done": sum(o.done for o in outcomes),
        "refused": sum(o.refused for o in outcomes),
        "back": back,
    }
    return render(request, "lists/bulk_result.html", context)
