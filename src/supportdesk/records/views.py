"""The Records tab and the record page (with the Request Support button)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from supportdesk.cases.display.formatting import (
    attribute_rows,
    format_attribute,
    humanize_key,
    person,
)
from supportdesk.cases.queries import cases_visible_to
from supportdesk.cases.wizard import start_draft, step_url
from supportdesk.records.models import Kind, Record
from supportdesk.records.queries import can_edit_record, record_for, records_readable_by

PAGE_SIZE = 50
RELATED_CASES = 50
KEY_ATTRIBUTES = {
    Kind.OPPORTUNITY: ("stage", "amount", "close_date"),
    Kind.CUSTOMER_ACCOUNT: ("segment", "employee_count"),
    Kind.PARTNER_ACCOUNT: ("segment", "employee_count", "partner_type"),
}


@login_required
def record_list(request: HttpRequest) -> HttpResponse:
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    records = records_readable_by(request.user).select_related("owner", "account")
    if q:
        records = records.filter(Q(name__icontains=q) | Q(external_id__icontains=q))
    if kind in Kind.values:
        records = records.filter(kind=kind)
    page = Paginator(records.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "kind": kind, "kinds": Kind.choices}
    return render(request, "records/record_list.html", context)


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = record_for(request.user, pk)
    cases = list(
        cases_visible_to(request.user)
        .filter(record=record)
        .select_related("team", "request_type", "sub_request")
        .order_by("-created_at", "-id")[: RELATED_CASES + 1]
    )
    context = {
        "record": record,
        "owner_name": person(record.owner) if record.owner_id else "",
        "can_request": can_edit_record(request.user, record),
        "key_attributes": key_attributes(record),
        "attributes": attribute_rows(record.attributes),
        "cases": cases[:RELATED_CASES],
        "more_cases": len(cases) > RELATED_CASES,
    }
    return render(request, "records/record_detail.html", context)


@require_POST
@login_required
def request_support(request: HttpRequest, pk: int) -> HttpResponse:
    """Resume this user's unsubmitted request for the record, or start one (edit access only)."""
    draft = start_draft(request.user, record_for(request.user, pk))
    return redirect(step_url(draft, "team"))


def key_attributes(record: Record) -> list[tuple[str, str]]:
    """The few attributes shown in the record's header (the kind decides which)."""
    attributes = record.attributes or {}
    keys = KEY_ATTRIBUTES.get(record.kind) or tuple(attributes)[:3]
    return [(humanize_key(k), format_attribute(k, attributes[k])) for k in keys if k in attributes]
