"""Settings › API tokens: create (the token is shown once, in the answer to the POST), list and
revoke your own; and the admins' page listing everyone's tokens."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from supportdesk.people.forms import TokenForm
from supportdesk.people.models import ApiToken
from supportdesk.people.queries import TOKEN_STATES, token_state, tokens_in_state
from supportdesk.people.services import PeopleError, token_create, token_revoke

PAGE_SIZE = 50


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in staff only; anyone else gets a 404, as if the page did not exist."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


def _with_state(tokens: Any) -> list[ApiToken]:
    rows = list(tokens)
    for token in rows:
        token.state = token_state(token)
    return rows


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """My tokens and the form for a new one. A successful POST renders the page with the new
    token in it (never stored, never in a URL); the browser is told not to keep it."""
    form = TokenForm(request.POST or None)
    created, raw = None, None
    if request.method == "POST" and form.is_valid():
        try:
            created, raw = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
        except PeopleError as err:
            form.add_error(None, str(err))
        else:
            form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
    context = {"form": form, "tokens": _with_state(tokens), "created": created, "raw": raw}
    response = render(request, "people/tokens.html", context)
    if raw is not None:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token_revoke(token):
        messages.success(request, f"Token “{token.name}” is revoked; it no longer works.")
    return redirect("people:tokens")


@staff_only
def admin_token_list(request: HttpRequest) -> HttpResponse:
    """Everyone's tokens, newest first, by user (username) and state."""
    username = request.GET.get("user", "").strip()
    state = request.GET.get("state", "")
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
    if username:
        tokens = tokens.filter(user__username__iexact=username)
    tokens = tokens_in_state(tokens, state)
    page = Paginator(tokens, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "tokens": _with_state(page.object_list),
        "username": username,
        "state": state if state in TOKEN_STATES else "",
        "states": TOKEN_STATES,
    }
    return render(request, "people/admin_tokens.html", context)


@require_POST
@staff_only
def admin_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=pk)
    if token_revoke(token):
        messages.success(
            request, f"Token “{token.name}” of {token.user.get_username()} is revoked."
        )
    query = request.GET.urlencode()  # the list's filters, kept in the form's action
    return redirect(reverse("people:admin_tokens") + (f"?{query}" if query else ""))
