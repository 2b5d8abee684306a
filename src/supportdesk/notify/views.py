"""The user's notifications: list, open (marks read), mark read, mark all read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from supportdesk.notify.models import Notification
from supportdesk.notify.services import mark_read

PAGE_SIZE = 50


def _mine(request: HttpRequest) -> QuerySet[Notification]:
    return Notification.objects.filter(user=request.user)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = _mine(request).order_by("-created_at", "-id")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/notification_list.html", {"page": page})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link; opening it marks it read."""
    notification = get_object_or_404(_mine(request), pk=pk)
    if notification.read_at is None:
        mark_read(request.user, [notification.pk])
    safe = url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(notification.url if notification.url and safe else "notify:list")


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(_mine(request), pk=pk)
    mark_read(request.user, [pk])
    return redirect("notify:list")


@require_POST
@login_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    mark_read(request.user)
    return redirect("notify:list")
