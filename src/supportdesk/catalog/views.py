"""Pages about the catalog itself."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from supportdesk.catalog.queries import redirect_rows


@login_required
def departments(request: HttpRequest) -> HttpResponse:
    """The departments handled elsewhere, with the source document's instructions."""
    return render(request, "catalog/departments.html", {"redirects": redirect_rows()})
