"""The confirmation page and the Request Support wizard. Thin: access → action → render.
The case page and its actions are in `case_views`; the Cases tab is `supportdesk.lists`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from supportdesk.cases import wizard
from supportdesk.cases.duplicate_actions import add_draft_to_case
from supportdesk.cases.forms import accept_attribute, attachment_hint
from supportdesk.cases.models import Case, RequestDraft
from supportdesk.cases.queries import case_for

StepView = Callable[[HttpRequest, RequestDraft], HttpResponse]


@login_required
def case_submitted(request: HttpRequest, number: str) -> HttpResponse:
    case = case_for(request.user, number)
    return render(request, "cases/case_submitted.html", {"case": case})


# ---- the Request Support wizard ----------------------------------------------------------


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Leave the wizard: a full page load under htmx, a plain redirect without it."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def wizard_step(step: str) -> Callable[[StepView], Callable[..., HttpResponse]]:
    """Load the user's own draft (404 otherwise), re-check edit access, keep steps in order."""

    def decorate(view: StepView) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        @require_http_methods(["GET", "POST"])
        def wrapper(request: HttpRequest, draft_id: Any) -> HttpResponse:
            draft = wizard.draft_for(request.user, draft_id)
            if draft.case_id is not None:
                landing = "cases:submitted" if request.method == "POST" else "cases:detail"
                return _go(request, reverse(landing, args=[draft.case.number]))
            wizard.check_editable(request.user, draft)
            if missing := wizard.missing_step(draft, step):
                return redirect(wizard.step_url(draft, missing))
            return view(request, draft)

        return wrapper

    return decorate


def _render_step(
    request: HttpRequest, draft: RequestDraft, step: str, **extra: Any
) -> HttpResponse:
    partial = request.htmx and not request.htmx.history_restore_request
    context = {
        "base_template": "cases/_wizard_partial.html" if partial else "base.html",
        "draft": draft,
        "record": draft.record,
        "step": step,
        "steps": wizard.steps_nav(draft, step),
        "choice_label": wizard.choice_label(draft),
        **extra,
    }
    return render(request, f"cases/wizard_{step}.html", context)


def _next(request: HttpRequest, draft: RequestDraft, step: str) -> HttpResponse:
    return redirect(wizard.step_url(draft, step))


@wizard_step("team")
def wizard_team(request: HttpRequest, draft: RequestDraft) -> HttpResponse:
    teams = wizard.teams_for(draft.record)
    errors = {}
    if request.method == "POST":
        errors = wizard.save_team(draft, request.POST.get("team"), teams)
        if not errors:
            return _next(request, draft, "type")
    return _render_step(
        request,
        draft,
        "team",
        teams=teams,
        redirects=wizard.redirect_rows(),
        errors=wizard.inline_errors(errors),
        selected=request.POST.get("team") if errors else str(draft.team_id or ""),
    )


@wizard_step("type")
def wizard_type(request: HttpRequest, draft: RequestDraft) -> HttpResponse:
    groups = wizard.type_groups(draft)
    errors = {}
    if request.method == "POST":
        errors = wizard.save_type(draft, request.POST.get("choice"), groups)
        if request.POST.get("action") == "previous":
            return _next(request, draft, "team")
        if not errors:
            return _next(request, draft, "details")
    return _render_step(
        request,
        draft,
        "type",
        groups=groups,
        errors=wizard.inline_errors(errors),
        selected=wizard.current_choice(draft),
    )


@wizard_step("details")
def wizard_details(request: HttpRequest, draft: RequestDraft) -> HttpResponse:
    if request.method == "GET":
        details = wizard.details_from_draft(draft)
    else:
        details = wizard.save_details(draft, request.POST, request.FILES, request.user)
        if request.POST.get("action") == "previous":
            for problem in details.upload_errors.values():
                messages.warning(request, " ".join(problem))
            return _next(request, draft, "type")
        if details.is_valid():
            wizard.finish_details(draft)
            return _next(request, draft, "review")
    hint, accept = attachment_hint(), accept_attribute()
    return _render_step(request, draft, "details", details=details, hint=hint, accept=accept)


@wizard_step("review")
def wizard_review(request: HttpRequest, draft: RequestDraft) -> HttpResponse:
    errors, action = None, request.POST.get("action")
    reason = request.POST.get("not_duplicate_reason", "")
    if request.method == "POST":
        if action == "previous":
            return _next(request, draft, "details")
        if number := request.POST.get("add_to"):  # a possible duplicate, instead of a new case
            outcome = add_draft_to_case(draft, request.user, number)
            if isinstance(outcome, Case):
                messages.success(request, f"Your details were added to case {outcome.number}.")
                return _go(request, outcome.get_absolute_url())
        else:
            anyway = reason if action == "submit_anyway" else None
            outcome = wizard.submit(draft, request.user, not_duplicate_reason=anyway)
            if isinstance(outcome, Case):
                return _go(request, reverse("cases:submitted", args=[outcome.number]))
        errors = outcome
    review = wizard.review(draft, errors)
    return _render_step(request, draft, "review", review=review, reason=reason)
