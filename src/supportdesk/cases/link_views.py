"""Raising a case linked to another: "Ask another team for help" and "Request a follow-up".

Each is a case page action (GET: its form, inline under htmx; POST: do it). Doing it starts
the guided request (the wizard) linked to the case and goes to it; the case is created when
the wizard is submitted. Works without JavaScript like every other action.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from supportdesk.cases import forms as f
from supportdesk.cases.links import case_kind, start_linked_draft, teams_offered
from supportdesk.cases.models import Case
from supportdesk.cases.policy import link_refusal, may_ask_for_help, may_follow_up
from supportdesk.cases.queries import case_for
from supportdesk.cases.services import LinkNotAllowed
from supportdesk.cases.wizard import step_url
from supportdesk.people.models import Team


class AskTeamForm(f.ActionForm):
    """Which team to ask; the wizard then asks for the request type and the details."""

    team = forms.ChoiceField(
        label="Team",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the team to ask for help.",
            "invalid_choice": "Choose one of the teams listed.",
        },
    )
    submit_label = "Next"

    def __init__(self, *args: Any, teams: list[Team], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.teams = {t.slug: t for t in teams}
        self.fields["team"].choices = [(t.slug, t.name) for t in teams]
        self.intro = (
            "The team gets a request of its own, linked to case "
            f"{self.case.number}: next you choose the request type and give the details they "
            "need, as for any request. Nobody is notified until you submit it."
        )

    def clean_team(self) -> Team:
        return self.teams[self.cleaned_data["team"]]


class FollowUpForm(f.ActionForm):
    submit_label = "Start the follow-up request"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.intro = (
            f"Case {self.case.number} was closed too long ago to reopen. A follow-up is a new "
            "request on the same record, linked to it: choose the request type and give the "
            "details, as for any request."
        )


@login_required
@require_http_methods(["GET", "POST"])
def case_ask_for_help(request: HttpRequest, number: str) -> HttpResponse:
    """Choose the team to ask (preset by `?team=<slug>`), then on to the wizard."""
    case = case_for(request.user, number)
    if not may_ask_for_help(request.user, case):
        return _refused(request, case, link_refusal(request.user, case))
    teams = teams_offered(case_kind(case))
    data = request.POST if request.method == "POST" else None
    initial = {"team": request.GET.get("team", "")}
    form = AskTeamForm(data, case=case, user=request.user, teams=teams, initial=initial)
    if form.is_bound and form.is_valid():
        return _start(request, case, form.cleaned_data["team"])
    return _page(request, case, form, "ask_for_help", "Ask another team for help")


@login_required
@require_http_methods(["GET", "POST"])
def case_follow_up(request: HttpRequest, number: str) -> HttpResponse:
    """The requester of a case closed too long ago: a new request linked to it."""
    case = case_for(request.user, number)
    if not may_follow_up(request.user, case):
        return _refused(request, case, link_refusal(request.user, case))
    data = request.POST if request.method == "POST" else None
    form = FollowUpForm(data, case=case, user=request.user)
    if form.is_bound and form.is_valid():
        offered = {t.pk for t in teams_offered(case_kind(case))}
        return _start(request, case, case.team if case.team_id in offered else None)
    return _page(request, case, form, "follow_up", "Request a follow-up")


def _start(request: HttpRequest, case: Case, team: Team | None) -> HttpResponse:
    try:
        draft = start_linked_draft(request.user, case, team=team)
    except LinkNotAllowed as refused:
        return _refused(request, case, str(refused))
    url = step_url(draft, "type" if draft.team_id else "team")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _page(
    request: HttpRequest, case: Case, form: f.ActionForm, name: str, title: str
) -> HttpResponse:
    partial = _partial(request)
    context = {
        "case": case,
        "form": form,
        "name": name,
        "title": title,
        "action_url": reverse(f"cases:{name}", args=[case.number]),
        "inline": partial,
        "changes": None,
    }
    template = "cases/_action_form.html" if partial else "cases/case_action.html"
    return render(request, template, context)


def _refused(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    if _partial(request):
        context = {"case": case, "message": message}
        return render(request, "cases/_action_message.html", context, status=409)
    messages.error(request, message)
    return redirect(case)
