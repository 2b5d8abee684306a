"""The leads' urgent-use page: per requester, how often they mark requests to the team Urgent
and how often agents lower them. Leads of a team and admins only; anyone else gets a 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from supportdesk.cases import priority_stats as stats
from supportdesk.people.models import Membership, Team
from supportdesk.people.queries import team_roles_of


class UsageForm(forms.Form):
    team = forms.ChoiceField(label="Team", required=False)
    days = forms.TypedChoiceField(
        label="Period",
        coerce=int,
        required=False,
        choices=[(d, f"Last {d} days") for d in stats.PERIODS],
        initial=stats.DEFAULT_PERIOD,
        error_messages={"invalid_choice": "Choose one of the periods offered."},
    )

    def __init__(self, data: Any, *, teams: list[Team]):
        super().__init__(data)
        self.teams = {t.slug: t for t in teams}
        self.fields["team"].choices = [(t.slug, t.name) for t in teams]
        self.fields["team"].initial = teams[0].slug

    def chosen(self) -> tuple[Team, int]:
        """The team asked for (404 for one the user may not see) and the period (the
        default, with the error shown, when it is not one offered)."""
        slug = self.data.get("team") or next(iter(self.teams))
        if slug not in self.teams:
            raise Http404("No such team.")
        self.is_valid()
        days = getattr(self, "cleaned_data", {}).get("days")
        return self.teams[slug], days or stats.DEFAULT_PERIOD


@login_required
@require_safe
def urgent_usage(request: HttpRequest) -> HttpResponse:
    teams = stats.teams_led_by(request.user)
    if not teams:
        raise Http404("No such page.")
    form = UsageForm(request.GET or None, teams=teams)
    team, days = form.chosen()
    report = stats.urgent_usage(team, since=timezone.now() - dt.timedelta(days=days))
    return render(request, "cases/urgent_usage.html", {"form": form, "report": report})


LEAD_NAV_SECONDS = 300


def lead_nav(request: HttpRequest) -> dict[str, Callable[[], bool]]:
    """`leads_a_team` for the main navigation, worked out only when a template asks, and
    remembered in the cache for a few minutes so pages pay no query for it (the page itself
    checks access on every request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def leads_a_team() -> bool:
        if user.is_staff:
            return True
        key = f"supportdesk:leads-a-team:{user.pk}"
        leads = cache.get(key)
        if leads is None:
            leads = Membership.Role.LEAD in team_roles_of(user).values()
            cache.set(key, leads, LEAD_NAV_SECONDS)
        return leads

    return {"leads_a_team": leads_a_team}
