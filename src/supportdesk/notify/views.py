"""The user's notifications (list by case, open, mark read, the bell), their preferences, the
one-click email settings link, and the admins' "Delivery problems" page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from supportdesk.notify.emails import read_settings_token
from supportdesk.notify.forms import EmailSettingForm, PreferencesForm
from supportdesk.notify.kinds import channel_choices, effective_channel, kind_for
from supportdesk.notify.models import Channel
from supportdesk.notify.queries import delivery_problems, group_by_case, notifications_of
from supportdesk.notify.services import (
    mark_read,
    preferences_of,
    retry_deliveries,
    set_preferences,
)

PAGE_SIZE = 50


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = notifications_of(request.user).select_related("case")
    page = Paginator(notifications.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    groups = group_by_case(page.object_list)
    return render(request, "notify/notification_list.html", {"page": page, "groups": groups})


def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell alone, for htmx to poll: the unread count without reloading the page. Once
    the session is gone, 286 tells htmx to stop polling (rather than swap in a login page)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=286)
    return render(request, "notify/_bell.html")


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link; opening it marks it read."""
    notification = get_object_or_404(notifications_of(request.user), pk=pk)
    if notification.read_at is None:
        mark_read(request.user, [notification.pk])
    safe = url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(notification.url if notification.url and safe else "notify:list")


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(notifications_of(request.user), pk=pk)
    mark_read(request.user, [pk])
    return redirect("notify:list")


@require_POST
@login_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    mark_read(request.user)
    return redirect("notify:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    chosen, settings_row = preferences_of(request.user)
    form = PreferencesForm(
        request.POST or None, chosen=chosen, settings_row=settings_row, prefix=None
    )
    if request.method == "POST" and form.is_valid():
        set_preferences(
            request.user,
            channels=form.channels(),
            digest_enabled=form.cleaned_data["digest_enabled"],
            digest_hour=form.cleaned_data["digest_hour"],
            time_zone=form.cleaned_data["time_zone"],
        )
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notify:preferences")
    return render(request, "notify/preferences.html", {"form": form})


@csrf_exempt  # the link's signature authorises it (RFC 8058 one-click from a mail client)
def email_settings(request: HttpRequest, token: str) -> HttpResponse:
    """One kind of email for the user the signed link names: keep it or stop it, no login."""
    found = read_settings_token(token)
    user = get_user_model().objects.filter(pk=found[0], is_active=True).first() if found else None
    if user is None:
        raise Http404("This link is not valid any more.")
    key = found[1]
    if request.method == "POST":
        form = EmailSettingForm(request.POST or {"channel": _no_email(key)})
        if form.is_valid():
            _save_email_setting(user, key, form.cleaned_data["channel"])
            return render(request, "notify/email_settings.html", _email_context(user, key, True))
    return render(request, "notify/email_settings.html", _email_context(user, key, False))


def _no_email(key: str) -> str:
    return Channel.IN_APP if key != "digest" else Channel.OFF


def _save_email_setting(user, key: str, channel: str) -> None:
    if key == "digest":
        set_preferences(user, channels={}, digest_enabled=channel != Channel.OFF)
    elif channel in dict(channel_choices(kind_for(key))):
        set_preferences(user, channels={key: channel})


def _email_context(user, key: str, saved: bool) -> dict:
    chosen, settings_row = preferences_of(user)
    kind = kind_for(key)
    current = effective_channel(kind, chosen.get(key))
    return {
        "person": user,
        "kind": kind,
        "digest": key == "digest",
        "digest_on": settings_row.digest_enabled,
        "emails_on": current in (Channel.BOTH, Channel.EMAIL),
        "saved": saved,
        "no_email": _no_email(key),
        "with_email": Channel.BOTH,
    }


@staff_member_required
def delivery_problem_list(request: HttpRequest) -> HttpResponse:
    problems = list(delivery_problems()[:200])
    failed = [d for d in problems if d.state == "failed"]
    retrying = [d for d in problems if d.state != "failed"]
    return render(
        request, "notify/delivery_problems.html", {"failed": failed, "retrying": retrying}
    )


@require_POST
@staff_member_required
def delivery_retry(request: HttpRequest) -> HttpResponse:
    if request.POST.get("all"):
        ids = delivery_problems().filter(state="failed").values_list("pk", flat=True)
    else:
        ids = [int(i) for i in request.POST.getlist("delivery") if i.isascii() and i.isdigit()]
    count = retry_deliveries(ids)
    messages.success(request, f"Queued {count} email(s) to be sent again.")
    return redirect("notify:problems")
